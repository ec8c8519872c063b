"""QR codes for buy links: options checked up front, images made once and served from a cache.

``qrcode`` computes the module matrix (encoding, masking, error correction); drawing it is done here, with one
pixel per module scaled up by a whole factor (crisp edges at any size) for PNG, and one ``<path>`` for SVG,
so both formats come from the very same matrix.

Colour rules, and why: scanners threshold the image into dark and light, and the cheap cameras of older phones
in a dim metro station do that badly. We require a WCAG contrast ratio of at least 4.5:1 between foreground and
background (the WCAG AA threshold for text, a well-understood yardstick that still allows brand colours such
as a dark blue on cream), and we refuse *inverted* codes (light modules on a dark background): ISO/IEC 18004
permits them, but many decoders — including some phones' built-in camera apps — do not try the inverted image.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import qrcode
from PIL import Image, ImageDraw, ImageFont

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
EC_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,  # ~7 % of the code can be damaged
    "M": qrcode.constants.ERROR_CORRECT_M,  # ~15 %
    "Q": qrcode.constants.ERROR_CORRECT_Q,  # ~25 %
    "H": qrcode.constants.ERROR_CORRECT_H,  # ~30 %: what a logo in the middle needs
}
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 64, 2048, 512
MIN_BORDER, MAX_BORDER, DEFAULT_BORDER = 2, 16, 4  # the standard asks for 4; 2 still decodes on a plain page
MIN_CONTRAST = 4.5
#: Share of the code's width the logo may cover. At level H up to 30 % of codewords may be lost; a centred
#: square of 22 % of the width hides under 5 % of the modules, leaving a wide margin for smudges.
LOGO_SHARE = 0.22
HEX_RE = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class QrOptionError(ValueError):
    """A QR request the shop refuses; the message says what to change."""


@dataclass(frozen=True)
class QrOptions:
    fmt: str = "png"
    size: int = DEFAULT_SIZE
    ec: str = "M"
    border: int = DEFAULT_BORDER
    fg: str = "#000000"
    bg: str = "#ffffff"
    logo: bool = False


def parse_colour(value: str, name: str) -> str:
    match = HEX_RE.match((value or "").strip())
    if not match:
        raise QrOptionError(f"{name} must be a hex colour such as #1a2b3c or 1a2b3c")
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _int(value: Any, name: str, low: int, high: int, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise QrOptionError(f"{name} must be a whole number between {low} and {high}") from None
    if not low <= number <= high:
        raise QrOptionError(f"{name} must be between {low} and {high} (got {number})")
    return number


def parse_options(args: Any, fmt: str) -> QrOptions:
    """Check the query parameters of a QR request: ``size``, ``ec``, ``border``, ``fg``, ``bg``, ``logo``."""
    if fmt not in FORMATS:
        raise QrOptionError("format must be png or svg")
    size = _int(args.get("size"), "size", MIN_SIZE, MAX_SIZE, DEFAULT_SIZE)
    border = _int(args.get("border"), "border", MIN_BORDER, MAX_BORDER, DEFAULT_BORDER)
    ec = str(args.get("ec") or "M").strip().upper()
    if ec not in EC_LEVELS:
        raise QrOptionError("ec (error correction) must be L, M, Q or H")
    logo = str(args.get("logo") or "").strip().lower() in {"1", "true", "yes", "on"}
    if logo:
        ec = "H"  # a logo hides modules; only the highest level reliably rebuilds them
    fg = parse_colour(args.get("fg") or "#000000", "fg (foreground colour)")
    bg = parse_colour(args.get("bg") or "#ffffff", "bg (background colour)")
    if relative_luminance(fg) > relative_luminance(bg):
        raise QrOptionError("the foreground must be darker than the background: many phone scanners cannot "
                            "read light-on-dark (inverted) codes")
    ratio = contrast_ratio(fg, bg)
    if ratio < MIN_CONTRAST:
        raise QrOptionError(f"these colours are too close for scanners (contrast {ratio:.1f}:1; at least "
                            f"{MIN_CONTRAST}:1 is needed) — darken the foreground or lighten the background")
    return QrOptions(fmt=fmt, size=size, ec=ec, border=border, fg=fg, bg=bg, logo=logo)


def matrix(data: str, ec: str, border: int) -> list[list[bool]]:
    """The module matrix of ``data`` including the quiet zone; ``True`` is a dark module."""
    code = qrcode.QRCode(error_correction=EC_LEVELS[ec], border=border, box_size=1)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _logo_box(total: int, border: int) -> tuple[int, int]:
    """(offset, side) of the logo square in modules, centred, an odd whole number of modules wide."""
    side = int((total - 2 * border) * LOGO_SHARE)
    side += (side + total) % 2  # same parity as total so it centres exactly
    return (total - side) // 2, side


def render_png(data: str, options: QrOptions, logo: Image.Image | None = None) -> bytes:
    cells = matrix(data, options.ec, options.border)
    total = len(cells)
    scale = options.size // total
    if scale < 2:
        raise QrOptionError(f"size {options.size} is too small for this code: it needs at least {total * 2} pixels")
    small = Image.new("P", (total, total), 0)
    small.putpalette([*_rgb(options.bg), *_rgb(options.fg)])
    small.putdata([1 if dark else 0 for row in cells for dark in row])
    image = small.resize((total * scale, total * scale), Image.Resampling.NEAREST)
    if options.logo and logo is not None:
        image = image.convert("RGB")
        offset, side = _logo_box(total, options.border)
        pad = ImageDraw.Draw(image)
        pad.rectangle([offset * scale, offset * scale, (offset + side) * scale - 1, (offset + side) * scale - 1],
                      fill=_rgb(options.bg))
        inner = side * scale - 2 * scale  # one module of padding all round
        mark = logo.convert("RGBA")
        mark.thumbnail((inner, inner), Image.Resampling.LANCZOS)
        x = offset * scale + (side * scale - mark.width) // 2
        y = offset * scale + (side * scale - mark.height) // 2
        image.paste(mark, (x, y), mark)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def render_svg(data: str, options: QrOptions, logo: Image.Image | None = None) -> bytes:
    """An SVG with a ``viewBox`` in modules (it scales to any print size) and one path for the dark modules."""
    cells = matrix(data, options.ec, options.border)
    total = len(cells)
    runs: list[str] = []
    for y, row in enumerate(cells):
        x = 0
        while x < total:
            if row[x]:
                start = x
                while x < total and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {total}" width="{options.size}" '
        f'height="{options.size}" shape-rendering="crispEdges">',
        f'<rect width="{total}" height="{total}" fill="{options.bg}"/>',
        f'<path fill="{options.fg}" d="{"".join(runs)}"/>',
    ]
    if options.logo and logo is not None:
        offset, side = _logo_box(total, options.border)
        mark = logo.convert("RGBA")
        mark.thumbnail((256, 256), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        mark.save(buffer, "PNG")
        href = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
        parts.append(f'<rect x="{offset}" y="{offset}" width="{side}" height="{side}" fill="{options.bg}"/>')
        parts.append(f'<image x="{offset + 1}" y="{offset + 1}" width="{side - 2}" height="{side - 2}" '
                     f'href="{href}" preserveAspectRatio="xMidYMid meet"/>')
    parts.append("</svg>")
    return "\n".join(parts).encode()


def render(data: str, options: QrOptions, logo: Image.Image | None = None) -> bytes:
    return (render_svg if options.fmt == "svg" else render_png)(data, options, logo)


# --- the shop's logo ----------------------------------------------------------------------------------------


def monogram(shop_name: str, colour: str = "#000000") -> Image.Image:
    """A round badge with the shop's initial: the logo used until the shop configures its own."""
    side = 256
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse([0, 0, side - 1, side - 1], fill=_rgb(colour))
    letter = (shop_name.strip()[:1] or "S").upper()
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 150)
    except OSError:
        font = ImageFont.load_default(size=150)
    draw.text((side / 2, side / 2), letter, fill=(255, 255, 255), font=font, anchor="mm")
    return image


def shop_logo(config: dict, colour: str = "#000000") -> tuple[Image.Image, str]:
    """The logo for the middle of QR codes and its fingerprint (part of cache keys, so a new logo shows).

    ``SHOP_LOGO`` in the configuration names an image file; without it the shop's monogram is used. Loaded
    once per process and file version (path and modification time), not on every request.
    """
    path = config.get("SHOP_LOGO")
    if path and os.path.isfile(path):
        return _logo_file(path, os.stat(path).st_mtime_ns)
    return _monogram(config.get("SHOP_NAME", ""), colour)


@lru_cache(maxsize=8)
def _logo_file(path: str, _mtime_ns: int) -> tuple[Image.Image, str]:
    raw = Path(path).read_bytes()
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image, hashlib.sha256(raw).hexdigest()[:16]


@lru_cache(maxsize=32)
def _monogram(name: str, colour: str) -> tuple[Image.Image, str]:
    return monogram(name, colour), hashlib.sha256(f"monogram:{name}:{colour}".encode()).hexdigest()[:16]


# --- the cache ----------------------------------------------------------------------------------------------


#: Sizes the shop itself asks for (storefront, admin preview, downloads): these variants are kept on disk.
STANDARD_SIZES = frozenset({128, 256, 512, 1024, 2048})


def is_standard(options: QrOptions) -> bool:
    """Whether ``options`` is a variant worth keeping on disk: the defaults at a standard size.

    The image URL is public, so anyone can ask for any combination of size, colours and border. Keeping each
    on disk would let a stranger fill it; odd variants are rendered and kept in the bounded memory cache only.
    """
    defaults = QrOptions(fmt=options.fmt, size=options.size, logo=options.logo,
                         ec="H" if options.logo else "M")
    return options.size in STANDARD_SIZES and options == defaults


@lru_cache(maxsize=4096)
def cache_key(url: str, link_version: int, options: QrOptions, logo_fingerprint: str = "") -> str:
    """Everything the image depends on; a changed link bumps its version and so its key."""
    material = json.dumps([url, link_version, asdict(options), logo_fingerprint if options.logo else ""],
                          sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


class ImageCache:
    """Generated images on disk (shared by every worker) with a small in-memory layer in front.

    Keys contain the link's version, so an entry is never stale; old files are simply no longer asked for.
    Files are written atomically (temporary file + rename) so a concurrent reader never sees half an image.
    The memory layer is bounded in bytes, not entries, since a 2048-pixel logo PNG outweighs a thumbnail.
    """

    def __init__(self, directory: str | Path, memory_bytes: int = 32 * 1024 * 1024):
        self.directory = Path(directory)
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._limit = memory_bytes
        self._size = 0
        self._lock = threading.Lock()

    def _path(self, key: str, fmt: str) -> Path:
        return self.directory / key[:2] / f"{key}.{fmt}"

    def get(self, key: str, fmt: str) -> bytes | None:
        with self._lock:
            data = self._memory.get(key)
            if data is not None:
                self._memory.move_to_end(key)
                return data
        try:
            data = self._path(key, fmt).read_bytes()
        except FileNotFoundError:
            return None
        self._remember(key, data)
        return data

    def put(self, key: str, fmt: str, data: bytes, *, persist: bool = True) -> None:
        """Keep ``data``; ``persist=False`` keeps it in memory only (one-off variants anyone could request)."""
        if not persist:
            self._remember(key, data)
            return
        path = self._path(key, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        self._remember(key, data)

    def _remember(self, key: str, data: bytes) -> None:
        with self._lock:
            if key in self._memory:
                self._size -= len(self._memory[key])
            self._memory[key] = data
            self._size += len(data)
            self._memory.move_to_end(key)
            while self._size > self._limit and len(self._memory) > 1:
                _old, dropped = self._memory.popitem(last=False)
                self._size -= len(dropped)

    def files(self) -> list[Path]:
        return sorted(p for p in self.directory.glob("*/*") if not p.name.startswith(".tmp-"))
