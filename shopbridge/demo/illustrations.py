"""Product illustrations for the demo shop, drawn with Pillow when the demo loads.

The repository ships no binary images: each demo picture is drawn from a few shapes (a T-shirt, a shirt, a
sneaker, a loafer, a tote, a backpack, a crossbody bag, a mug, a vase, a cushion, a candle) in the variant's
colour, shaded, on a soft gradient with a blurred floor shadow. Drawing is deterministic, so two loads give
the same pictures, and it is supersampled (drawn at twice the size, then reduced) for smooth edges.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
SIZE = 1200
SUPERSAMPLE = 2

COLOURS: dict[str, RGB] = {
    "White": (240, 238, 232), "Off-white": (236, 231, 219), "Ecru": (226, 216, 196), "Sand": (214, 194, 160),
    "Sky": (150, 190, 222), "Navy": (38, 54, 92), "Sage": (146, 168, 132), "Olive": (104, 112, 66),
    "Terracotta": (196, 104, 74), "Black": (38, 38, 40), "Charcoal": (70, 72, 78), "Mustard": (214, 160, 46),
    "Tan": (184, 128, 80), "Cognac": (150, 80, 40), "Forest": (46, 90, 64), "Rust": (168, 78, 44),
    "Ink": (44, 62, 110), "Speckled white": (232, 228, 218), "Blush": (226, 170, 160), "Clay": (190, 140, 110),
    "Fig & cedar": (122, 74, 96), "Orange blossom": (240, 170, 80), "Sea salt": (170, 200, 205),
    "Grey": (150, 152, 156), "Burgundy": (112, 32, 48),
}

BACKGROUNDS: dict[str, tuple[RGB, RGB]] = {
    "warm": ((250, 246, 240), (232, 222, 208)),
    "cool": ((243, 246, 249), (218, 226, 234)),
    "green": ((244, 247, 241), (221, 230, 216)),
    "rose": ((250, 243, 241), (234, 218, 214)),
}


def colour(name: str) -> RGB:
    return COLOURS.get(name, (150, 150, 150))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def lighter(c: RGB, t: float = 0.18) -> RGB:
    return _mix(c, (255, 255, 255), t)


def darker(c: RGB, t: float = 0.22) -> RGB:
    return _mix(c, (0, 0, 0), t)


# Each shape draws its silhouette (white on a black mask) and its details (seams, soles, handles) on an RGBA
# layer, in coordinates scaled from a unit square: P(x, y) maps 0..1 to pixels.
Shape = Callable[[ImageDraw.ImageDraw, ImageDraw.ImageDraw, Callable, RGB, int], None]


def _poly(points, p):
    return [p(x, y) for x, y in points]


def _arc_points(cx, cy, rx, ry, start, end, steps=24):
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in (start + (end - start) * i / steps for i in range(steps + 1))]


def _tee(mask, detail, p, c, w, *, long_sleeves=False, collar=False):
    neck = _arc_points(0.5, 0.215, 0.1, 0.075, 180, 0, 12) if not collar else [(0.40, 0.2), (0.5, 0.26), (0.60, 0.2)]
    if long_sleeves:
        sleeve_l = [(0.27, 0.24), (0.14, 0.36), (0.10, 0.76), (0.19, 0.77), (0.29, 0.44)]
        sleeve_r = [(0.71, 0.44), (0.81, 0.77), (0.90, 0.76), (0.86, 0.36), (0.73, 0.24)]
    else:
        sleeve_l = [(0.27, 0.24), (0.11, 0.36), (0.19, 0.50), (0.30, 0.44)]
        sleeve_r = [(0.70, 0.44), (0.81, 0.50), (0.89, 0.36), (0.73, 0.24)]
    outline = [(0.40, 0.20)] + sleeve_l + [(0.30, 0.86), (0.70, 0.86)] + sleeve_r + [(0.60, 0.20)]
    outline += list(reversed(neck))[1:-1] if not collar else [(0.5, 0.26)]
    mask.polygon(_poly(outline, p), fill=255)
    seam = darker(c, 0.16) + (160,)
    line = max(2, w // 300)
    if collar:
        detail.polygon(_poly([(0.40, 0.20), (0.5, 0.27), (0.44, 0.32), (0.37, 0.23)], p), fill=lighter(c, 0.1) + (255,),
                       outline=seam, width=line)
        detail.polygon(_poly([(0.60, 0.20), (0.5, 0.27), (0.56, 0.32), (0.63, 0.23)], p), fill=lighter(c, 0.1) + (255,),
                       outline=seam, width=line)
        detail.line(_poly([(0.5, 0.28), (0.5, 0.86)], p), fill=seam, width=line)
        for y in (0.36, 0.46, 0.56, 0.66, 0.76):
            x, yy = p(0.515, y)
            r = w * 0.008
            detail.ellipse([x - r, yy - r, x + r, yy + r], fill=lighter(c, 0.45) + (255,))
        x0, y0 = p(0.58, 0.38)
        x1, y1 = p(0.66, 0.47)
        detail.rectangle([x0, y0, x1, y1], outline=seam, width=line)
    else:
        # The inside of the back of the neck shows through the neckline.
        detail.ellipse([*p(0.405, 0.185), *p(0.595, 0.285)], fill=darker(c, 0.3) + (255,))
        detail.line(_poly(_arc_points(0.5, 0.215, 0.1, 0.075, 180, 0, 12), p), fill=seam, width=line * 3)
        detail.line(_poly([(0.19, 0.50), (0.30, 0.44)] if not long_sleeves else [(0.10, 0.74), (0.19, 0.75)], p),
                    fill=seam, width=line)
        detail.line(_poly([(0.70, 0.44), (0.81, 0.50)] if not long_sleeves else [(0.81, 0.75), (0.90, 0.74)], p),
                    fill=seam, width=line)
    detail.line(_poly([(0.30, 0.84), (0.70, 0.84)], p), fill=seam, width=line)


def tshirt(mask, detail, p, c, w):
    _tee(mask, detail, p, c, w)


def shirt(mask, detail, p, c, w):
    _tee(mask, detail, p, c, w, long_sleeves=True, collar=True)


def sneaker(mask, detail, p, c, w):
    upper = [(0.12, 0.66), (0.13, 0.48), (0.19, 0.37), (0.33, 0.34), (0.42, 0.30), (0.47, 0.32), (0.52, 0.42),
             (0.66, 0.47), (0.82, 0.52), (0.90, 0.60), (0.90, 0.66)]
    mask.polygon(_poly(upper, p), fill=255)
    sole = lighter((236, 232, 224), 0.2) + (255,)
    x0, y0 = p(0.10, 0.62)
    x1, y1 = p(0.915, 0.71)
    mask.rounded_rectangle([x0, y0, x1, y1], radius=w * 0.02, fill=255)
    detail.rounded_rectangle([x0, y0, x1, y1], radius=w * 0.02, fill=sole)
    detail.line([p(0.10, 0.675), p(0.915, 0.675)], fill=(200, 194, 182, 255), width=max(2, w // 400))
    seam = darker(c, 0.25) + (200,)
    line = max(2, w // 300)
    detail.line(_poly([(0.34, 0.35), (0.30, 0.52), (0.13, 0.56)], p), fill=seam, width=line)
    detail.line(_poly([(0.62, 0.46), (0.70, 0.62)], p), fill=seam, width=line)
    for i in range(4):
        a = p(0.44 + i * 0.04, 0.37 + i * 0.025)
        b = p(0.50 + i * 0.04, 0.34 + i * 0.03)
        detail.line([a, b], fill=lighter(c, 0.7) + (255,), width=line * 2)


def loafer(mask, detail, p, c, w):
    upper = [(0.12, 0.66), (0.13, 0.52), (0.20, 0.45), (0.36, 0.46), (0.50, 0.48), (0.70, 0.49), (0.84, 0.54),
             (0.90, 0.61), (0.90, 0.66)]
    mask.polygon(_poly(upper, p), fill=255)
    x0, y0 = p(0.11, 0.64)
    x1, y1 = p(0.91, 0.69)
    mask.rounded_rectangle([x0, y0, x1, y1], radius=w * 0.012, fill=255)
    detail.rounded_rectangle([x0, y0, x1, y1], radius=w * 0.012, fill=darker(c, 0.45) + (255,))
    x0, y0 = p(0.13, 0.63)
    x1, y1 = p(0.24, 0.69)
    detail.rectangle([x0, y0, x1, y1], fill=darker(c, 0.55) + (255,))
    seam = darker(c, 0.3) + (220,)
    line = max(2, w // 280)
    detail.line(_poly(_arc_points(0.60, 0.50, 0.16, 0.05, 180, 360, 16), p), fill=seam, width=line)
    detail.line(_poly([(0.47, 0.53), (0.72, 0.53)], p), fill=seam, width=line * 2)
    detail.line(_poly([(0.22, 0.47), (0.40, 0.48)], p), fill=lighter(c, 0.2) + (180,), width=line)


def tote(mask, detail, p, c, w):
    handle = darker(c, 0.3)
    for cx in (0.40, 0.60):
        box = [*p(cx - 0.09, 0.16), *p(cx + 0.09, 0.56)]
        mask.arc(box, 180, 360, fill=255, width=int(w * 0.022))
        detail.arc(box, 180, 360, fill=handle + (255,), width=int(w * 0.022))
    mask.polygon(_poly([(0.24, 0.36), (0.76, 0.36), (0.81, 0.84), (0.19, 0.84)], p), fill=255)
    seam = darker(c, 0.18) + (170,)
    detail.line(_poly([(0.245, 0.40), (0.755, 0.40)], p), fill=seam, width=max(2, w // 300))
    x0, y0 = p(0.40, 0.52)
    x1, y1 = p(0.60, 0.62)
    detail.rounded_rectangle([x0, y0, x1, y1], radius=w * 0.008, fill=lighter(c, 0.55) + (255,))


def backpack(mask, detail, p, c, w):
    box = [*p(0.44, 0.14), *p(0.56, 0.30)]
    mask.arc(box, 180, 360, fill=255, width=int(w * 0.016))
    detail.arc(box, 180, 360, fill=darker(c, 0.35) + (255,), width=int(w * 0.016))
    mask.rounded_rectangle([*p(0.27, 0.22), *p(0.73, 0.86)], radius=w * 0.1, fill=255)
    detail.rounded_rectangle([*p(0.27, 0.22), *p(0.73, 0.40)], radius=w * 0.1, fill=darker(c, 0.12) + (255,))
    detail.line([p(0.29, 0.36), p(0.71, 0.36)], fill=darker(c, 0.3) + (255,), width=max(2, w // 250))
    detail.rounded_rectangle([*p(0.34, 0.56), *p(0.66, 0.80)], radius=w * 0.04, fill=darker(c, 0.1) + (255,),
                             outline=darker(c, 0.3) + (255,), width=max(2, w // 300))
    for x in (0.38, 0.62):
        detail.rounded_rectangle([*p(x - 0.02, 0.36), *p(x + 0.02, 0.50)], radius=w * 0.008,
                                 fill=(40, 40, 40, 255))
        detail.rectangle([*p(x - 0.018, 0.44), *p(x + 0.018, 0.47)], fill=(200, 200, 200, 255))


def crossbody(mask, detail, p, c, w):
    box = [*p(0.26, 0.14), *p(0.74, 0.86)]
    mask.arc(box, 185, 355, fill=255, width=int(w * 0.012))
    detail.arc(box, 185, 355, fill=darker(c, 0.25) + (255,), width=int(w * 0.012))
    mask.rounded_rectangle([*p(0.27, 0.46), *p(0.73, 0.80)], radius=w * 0.04, fill=255)
    detail.polygon(_poly([(0.27, 0.50), (0.73, 0.50), (0.73, 0.64), (0.5, 0.70), (0.27, 0.64)], p),
                   fill=darker(c, 0.12) + (255,))
    detail.rounded_rectangle([*p(0.27, 0.46), *p(0.73, 0.53)], radius=w * 0.03, fill=darker(c, 0.12) + (255,))
    x, y = p(0.5, 0.66)
    r = w * 0.018
    detail.ellipse([x - r, y - r, x + r, y + r], fill=(214, 180, 90, 255))


def mug(mask, detail, p, c, w):
    mask.ellipse([*p(0.60, 0.42), *p(0.82, 0.70)], fill=255)
    mask.rounded_rectangle([*p(0.26, 0.32), *p(0.66, 0.82)], radius=w * 0.05, fill=255)
    detail.ellipse([*p(0.26, 0.29), *p(0.66, 0.36)], fill=darker(c, 0.25) + (255,))
    detail.ellipse([*p(0.275, 0.30), *p(0.645, 0.35)], fill=darker(c, 0.45) + (255,))
    if c == COLOURS["Speckled white"]:
        for i in range(60):  # deterministic speckles
            x = 0.29 + (i * 37 % 100) / 100 * 0.34
            y = 0.40 + (i * 61 % 100) / 100 * 0.38
            r = w * (0.002 + (i % 3) * 0.001)
            cx, cy = p(x, y)
            detail.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(90, 80, 70, 200))


def _mug_hole(mask, p):
    mask.ellipse([*p(0.675, 0.49), *p(0.77, 0.63)], fill=0)


def vase(mask, detail, p, c, w):
    right = [(0.56, 0.20), (0.55, 0.30), (0.63, 0.42), (0.68, 0.56), (0.66, 0.72), (0.60, 0.84)]
    left = [(1 - x, y) for x, y in reversed(right)]
    mask.polygon(_poly(right + left, p), fill=255)
    detail.ellipse([*p(0.43, 0.185), *p(0.57, 0.215)], fill=darker(c, 0.4) + (255,))
    for y in (0.50, 0.54):
        detail.line(_poly([(0.34, y), (0.66, y)], p), fill=lighter(c, 0.35) + (200,), width=max(2, w // 260))
    # a dried stem in the vase
    detail.line(_poly([(0.5, 0.2), (0.47, 0.05)], p), fill=(140, 110, 70, 255), width=max(2, w // 260))
    detail.line(_poly([(0.5, 0.2), (0.56, 0.08)], p), fill=(140, 110, 70, 255), width=max(2, w // 260))


def cushion(mask, detail, p, c, w):
    outline = (_arc_points(0.5, 0.28, 0.30, 0.04, 200, 340, 12) + _arc_points(0.76, 0.54, 0.04, 0.28, 290, 430, 12)
               + _arc_points(0.5, 0.80, 0.30, 0.04, 20, 160, 12) + _arc_points(0.24, 0.54, 0.04, 0.28, 110, 250, 12))
    mask.polygon(_poly(outline, p), fill=255)
    seam = darker(c, 0.2) + (170,)
    for i in range(5):
        y = 0.40 + i * 0.07
        detail.line(_poly([(0.30, y), (0.70, y)], p), fill=lighter(c, 0.25) + (120,), width=max(2, w // 200))
    detail.line(_poly([(0.24, 0.30), (0.76, 0.78)], p), fill=seam, width=1)


def candle(mask, detail, p, c, w):
    mask.rounded_rectangle([*p(0.32, 0.36), *p(0.68, 0.82)], radius=w * 0.03, fill=255)
    detail.rounded_rectangle([*p(0.33, 0.36), *p(0.67, 0.50)], radius=w * 0.02, fill=(246, 240, 228, 230))
    detail.rectangle([*p(0.36, 0.56), *p(0.64, 0.70)], fill=(250, 248, 242, 255))
    detail.line([p(0.39, 0.61), p(0.61, 0.61)], fill=darker(c, 0.3) + (255,), width=max(2, w // 200))
    detail.line([p(0.42, 0.65), p(0.58, 0.65)], fill=(160, 160, 160, 255), width=max(2, w // 300))
    detail.line([p(0.5, 0.36), p(0.5, 0.31)], fill=(40, 40, 40, 255), width=max(2, w // 250))
    mask.polygon(_poly(_arc_points(0.5, 0.28, 0.025, 0.04, 0, 180, 10) + [(0.5, 0.19)], p), fill=255)
    detail.polygon(_poly(_arc_points(0.5, 0.28, 0.025, 0.04, 0, 180, 10) + [(0.5, 0.19)], p), fill=(250, 176, 60, 255))
    detail.ellipse([*p(0.49, 0.26), *p(0.51, 0.31)], fill=(255, 236, 170, 255))


SHAPES: dict[str, Shape] = {
    "tshirt": tshirt, "shirt": shirt, "sneaker": sneaker, "loafer": loafer, "tote": tote, "backpack": backpack,
    "crossbody": crossbody, "mug": mug, "vase": vase, "cushion": cushion, "candle": candle,
}


# Where each object stands, as a fraction of the height: the shadow goes there.
FLOOR = {"sneaker": 0.72, "loafer": 0.70}


@functools.lru_cache(maxsize=4)
def _ramp(size: int, angle: int = 0) -> Image.Image:
    """A 0→255 ramp, top to bottom (or turned by ``angle``), shared by every picture of that size."""
    ramp = Image.linear_gradient("L")
    if angle:
        ramp = ramp.rotate(angle)
    return ramp.resize((size, size), Image.BILINEAR)


def _gradient(size: int, start: RGB, end: RGB, angle: int = 0) -> Image.Image:
    """``start`` blending into ``end`` along the ramp: one lookup table per channel, no per-pixel Python."""
    ramp = _ramp(size, angle)
    channels = [ramp.point([round(a + (b - a) * i / 255) for i in range(256)]) for a, b in zip(start, end, strict=True)]
    return Image.merge("RGB", channels)


def render(kind: str, fill: RGB, background: str = "warm", size: int = SIZE) -> bytes:
    """A JPEG of ``kind`` (a key of :data:`SHAPES`) in colour ``fill``, ``size`` pixels square."""
    shape = SHAPES[kind]
    big = size * SUPERSAMPLE
    top, bottom = BACKGROUNDS[background]
    canvas = _gradient(size, top, bottom)

    # A soft floor shadow: a dark ellipse under the object, blurred wide (at a quarter of the size: a blur
    # that soft looks the same, for a sixteenth of the work).
    small = size // 4
    shadow = Image.new("L", (small, small), 0)
    floor = FLOOR.get(kind, 0.86)
    ImageDraw.Draw(shadow).ellipse([small * 0.18, small * (floor - 0.035), small * 0.82, small * (floor + 0.035)],
                                   fill=120)
    shadow = shadow.filter(ImageFilter.GaussianBlur(small * 0.025)).resize((size, size), Image.BILINEAR)
    canvas.paste((70, 56, 44), mask=shadow)

    mask_img = Image.new("L", (big, big), 0)
    detail_img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    mask, detail = ImageDraw.Draw(mask_img), ImageDraw.Draw(detail_img)

    def p(x: float, y: float) -> tuple[float, float]:
        return (x * big, y * big)

    shape(mask, detail, p, fill, big)
    if kind == "mug":
        _mug_hole(mask, p)

    # Light from the top left: the colour runs from a little lighter to a little darker across the object.
    body = _gradient(size, lighter(fill, 0.12), darker(fill, 0.14), angle=45)
    small_mask = mask_img.reduce(SUPERSAMPLE)
    canvas.paste(body, mask=small_mask)
    details = detail_img.reduce(SUPERSAMPLE)
    canvas.paste(details, mask=details)  # the details' own alpha is the mask: no RGBA round trip

    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=90)
    return out.getvalue()
