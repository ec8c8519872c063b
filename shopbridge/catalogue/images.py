"""Product images: validated, re-encoded and resized with Pillow.

An upload is accepted only if Pillow can decode it as JPEG, PNG, WebP or GIF (the declared content type and
file name are not trusted), it is under ``MAX_UPLOAD_BYTES`` and its pixel count is sane (decompression bombs
are refused). The stored original is re-encoded, which also drops EXIF data such as the GPS position of the
phone that took the photo. Smaller JPEG renditions are generated for ``srcset`` so phones download only what
they show.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from shopbridge.catalogue.models import Image, Product

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_PIXELS = 50_000_000
MIN_SIDE = 100


class ImageError(ValueError):
    """An upload that is not an acceptable product image; the message says why in plain words."""


@dataclass(frozen=True)
class StoredImage:
    path: str
    content_type: str
    width: int
    height: int
    sizes: list[int]


def _open(data: bytes, max_bytes: int) -> PILImage.Image:
    if len(data) == 0:
        raise ImageError("the file is empty")
    if len(data) > max_bytes:
        raise ImageError(f"the file is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB")
    try:
        with PILImage.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in ACCEPTED_FORMATS:
            raise ImageError(f"{fmt} images are not accepted; use JPEG, PNG or WebP")
        image = PILImage.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ImageError("the image has too many pixels")
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, PILImage.DecompressionBombError):
        raise ImageError("the file is not an image we can read (JPEG, PNG or WebP)") from None
    if min(image.size) < MIN_SIDE:
        raise ImageError(f"the image is {image.width}×{image.height}; it needs at least {MIN_SIDE} pixels a side")
    return ImageOps.exif_transpose(image)


def check(data: bytes, max_bytes: int) -> None:
    """Raise :class:`ImageError` unless ``data`` would be accepted by :func:`store`; writes nothing.

    Forms call this for every upload before they change anything, so a bad third file never leaves the first
    two stored.
    """
    _open(data, max_bytes).close()


def files_of(image: Image) -> list[str]:
    """Every file (relative to UPLOAD_DIR) stored for ``image``: the original and its renditions."""
    stem = image.path.rsplit(".", 1)[0]
    return [image.path, *(f"{stem}-{w}.jpg" for w in image.sizes)]


def delete_files(upload_dir: str | Path, image: Image) -> None:
    """Remove ``image``'s files; used after the row is gone, or when the transaction that added it failed."""
    root = Path(upload_dir).resolve()
    for relative in files_of(image):
        target = (root / relative).resolve()
        if root in target.parents:  # never follow a tampered path out of the upload directory
            target.unlink(missing_ok=True)


def store(upload_dir: str | Path, product_id: int, data: bytes, sizes: list[int], max_bytes: int) -> StoredImage:
    """Validate ``data`` and write the original plus one rendition per width in ``sizes``."""
    image = _open(data, max_bytes)
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    folder = Path(upload_dir) / "products" / str(product_id)
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)

    if has_alpha:
        original_name, content_type = f"{token}.png", "image/png"
        image.convert("RGBA").save(folder / original_name, "PNG", optimize=True)
    else:
        original_name, content_type = f"{token}.jpg", "image/jpeg"
        image.convert("RGB").save(folder / original_name, "JPEG", quality=90, optimize=True, progressive=True)

    flat = image.convert("RGBA")
    background = PILImage.new("RGB", flat.size, (255, 255, 255))
    background.paste(flat, mask=flat.split()[3])
    made: list[int] = []
    for width in sorted(set(sizes)):
        if width >= image.width:
            continue
        height = round(image.height * width / image.width)
        background.resize((width, height), PILImage.LANCZOS).save(
            folder / f"{token}-{width}.jpg", "JPEG", quality=82, optimize=True, progressive=True
        )
        made.append(width)
    return StoredImage(
        path=f"products/{product_id}/{original_name}",
        content_type=content_type,
        width=image.width,
        height=image.height,
        sizes=made,
    )


def rendition_path(image: Image, width: int | None = None) -> str:
    """Path (relative to UPLOAD_DIR) of the smallest stored rendition at least ``width`` wide."""
    if width is None:
        return image.path
    for size in sorted(image.sizes):
        if size >= width:
            stem = image.path.rsplit(".", 1)[0]
            return f"{stem}-{size}.jpg"
    return image.path


def add_image(upload_dir: str | Path, product: Product, data: bytes, *, sizes: list[int], max_bytes: int,
              alt: str = "") -> Image:
    stored = store(upload_dir, product.id, data, sizes, max_bytes)
    image = Image(product_id=product.id, path=stored.path, content_type=stored.content_type, width=stored.width,
                  height=stored.height, sizes=stored.sizes, alt=alt or product.title,
                  position=len(product.images))
    product.images.append(image)
    return image
