"""Helpers for the buy-link tests: real User-Agent strings, a real QR decoder, and the recorded hits."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID_INSTAGRAM = ("Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36 Instagram "
                     "346.0.0.34.108 Android (34/14; 420dpi; 1080x2205; Google/google; Pixel 8; shiba; shiba; "
                     "en_US; 634006519)")
DESKTOP_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/130.0.0.0 Safari/537.36")
FACEBOOK_PREVIEW = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"



def decode(image_bytes: bytes) -> str:
    """The text of the single QR code in a PNG/any Pillow image, read by zxing-cpp (a real decoder)."""
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    return found[0].text


def svg_to_png(svg: bytes, width: int = 600) -> bytes:
    import cairosvg

    return cairosvg.svg2png(bytestring=svg, output_width=width, output_height=width)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def hits(app):
    """Every recorded hit, oldest first, as dicts (after moving spooled hits into the database)."""
    import sqlalchemy as sa

    from shopbridge.db import engine
    from shopbridge.links import spool
    from shopbridge.links.models import Hit

    spool.wait_until_flushed(app)
    with engine(app).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(Hit.__table__).order_by(Hit.id))]
