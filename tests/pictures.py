"""Real image files for upload tests, drawn with Pillow (no binary fixtures in the repository)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def png(width: int = 800, height: int = 800, colour: tuple[int, int, int] = (11, 110, 79), *,
        fmt: str = "PNG") -> bytes:
    """A product-photo-like picture: a coloured background with a lighter disc in the middle."""
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    inset = min(width, height) // 5
    lighter = tuple(min(255, c + 90) for c in colour)
    draw.ellipse((inset, inset, width - inset, height - inset), fill=lighter)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()
