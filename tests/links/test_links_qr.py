"""QR codes: every image a shop can download decodes, with a real decoder, to a URL that scans to the product."""

from __future__ import annotations

import io

import pytest
from linkhelpers import IPHONE_SAFARI, decode, hits, path_of, svg_to_png
from PIL import Image

COLOURS = [("000000", "ffffff"), ("1a237e", "fff8e1"), ("004d40", "ffffff"), ("4a148c", "f3e5f5")]


def _follow_scan(client, app, url: str, link) -> None:
    """Open the decoded URL as a phone would: it must land on the product and count as a scan."""
    assert url.endswith(f"/q/{link.code}")
    before = len(hits(app))
    response = client.get(path_of(url), headers={"User-Agent": IPHONE_SAFARI})
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/p/linen-shirt")
    recorded = hits(app)
    assert len(recorded) == before + 1 and recorded[-1]["kind"] == "scan" and recorded[-1]["link_id"] == link.id


@pytest.mark.parametrize("logo", ["", "1"])
@pytest.mark.parametrize("fg,bg", COLOURS)
def test_png_codes_decode_to_their_link(client, app, make_link, fg, bg, logo):
    link = make_link(channel="poster")
    response = client.get(f"/b/{link.code}/qr.png?size=400&fg={fg}&bg={bg}&logo={logo}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.width <= 400 and image.width >= 300
    _follow_scan(client, app, decode(response.data), link)


@pytest.mark.parametrize("logo", ["", "1"])
@pytest.mark.parametrize("fg,bg", COLOURS[:2])
def test_svg_codes_decode_to_their_link(client, app, make_link, fg, bg, logo):
    link = make_link(channel="poster")
    response = client.get(f"/b/{link.code}/qr.svg?fg=%23{fg}&bg=%23{bg}&logo={logo}")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<script" not in response.data
    _follow_scan(client, app, decode(svg_to_png(response.data)), link)


@pytest.mark.parametrize("ec", ["L", "M", "Q", "H"])
def test_every_error_correction_level_and_a_narrow_quiet_zone_decode(client, app, make_link, ec):
    link = make_link(channel="poster")
    response = client.get(f"/b/{link.code}/qr.png?ec={ec}&border=2&size=300")
    assert response.status_code == 200
    _follow_scan(client, app, decode(response.data), link)


def test_a_logo_forces_high_error_correction(app):
    from werkzeug.datastructures import MultiDict

    from shopbridge.links.qr import parse_options

    assert parse_options(MultiDict({"logo": "1", "ec": "L"}), "png").ec == "H"


def test_a_custom_logo_file_is_used(app, client, make_link, tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 200), (220, 20, 60)).save(logo)
    app.config["SHOP_LOGO"] = str(logo)
    link = make_link(channel="poster")
    data = client.get(f"/b/{link.code}/qr.png?logo=1&size=420").data
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.getpixel((image.width // 2, image.height // 2)) == (220, 20, 60)  # the logo sits in the middle
    _follow_scan(client, app, decode(data), link)


@pytest.mark.parametrize("query,message", [
    ("size=100000", "size must be between"),
    ("size=-5", "size must be between"),
    ("size=big", "size must be a whole number"),
    ("border=99", "border must be between"),
    ("ec=Z", "ec (error correction) must be L, M, Q or H"),
    ("fg=red", "fg (foreground colour) must be a hex colour"),
    ("bg=%23ggg", "bg (background colour) must be a hex colour"),
    ("fg=777777&bg=888888", "too close for scanners"),
    ("fg=ffff00&bg=ffffff", "too close for scanners"),
    ("fg=ffffff&bg=000000", "darker than the background"),
])
def test_bad_qr_requests_get_a_clear_400(client, make_link, query, message):
    link = make_link(channel="poster")
    response = client.get(f"/b/{link.code}/qr.png?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert message in response.get_json()["detail"]
    # The HTML answer says the same in words.
    assert message.split(" (")[0] in client.get(f"/b/{link.code}/qr.png?{query}").get_data(as_text=True)


def test_unknown_codes_have_no_qr_image(client):
    assert client.get("/b/zzzzzzzz/qr.png").status_code == 404
    assert client.get("/b/zzzzzzzz/qr.gif").status_code == 404


def test_images_are_cached_with_a_strong_etag_and_304(client, make_link, app):
    link = make_link(channel="poster")
    url = f"/b/{link.code}/qr.png?size=256"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    versioned = client.get(url + f"&v={link.version}")
    assert "immutable" in versioned.headers["Cache-Control"]
    from pathlib import Path

    cached = list((Path(app.config["GENERATED_DIR"]) / "qr").glob("*/*.png"))
    assert len(cached) == 1  # generated once, whatever the number of requests


def test_the_cache_is_invalidated_when_the_link_changes(client, make_link, db_session, app):
    from shopbridge.links import service

    link = make_link(channel="poster")
    url = f"/b/{link.code}/qr.png?size=256"
    etag = client.get(url).headers["ETag"]
    service.update_link(db_session, link, placement="poster, Cadorna station")
    db_session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    decode(changed.data)


def test_the_product_page_shows_scan_to_buy(client, shirt):
    page = client.get("/p/linen-shirt").get_data(as_text=True)
    assert "Scan to buy on your phone" in page
    import re

    src = re.search(r'class="scan-to-buy">\s*<img src="([^"]+)"', page).group(1).replace("&amp;", "&")
    image = client.get(src)
    assert image.status_code == 200
    assert decode(image.data).split("/q/")[0] in ("http://localhost",)


def test_odd_variants_are_not_kept_on_disk(client, make_link, app):
    """Anyone may request any size and colours; only the shop's standard variants are written to disk."""
    from pathlib import Path

    link = make_link(channel="poster")
    for size in (300, 301, 302):
        assert client.get(f"/b/{link.code}/qr.png?size={size}&fg=102030").status_code == 200
    assert client.get(f"/b/{link.code}/qr.png?size=256").status_code == 200
    assert client.get(f"/b/{link.code}/qr.svg?size=512&logo=1").status_code == 200
    on_disk = list((Path(app.config["GENERATED_DIR"]) / "qr").glob("*/*"))
    assert sorted(p.suffix for p in on_disk) == [".png", ".svg"]


def test_the_memory_cache_is_bounded_in_bytes(tmp_path):
    from shopbridge.links.qr import ImageCache

    cache = ImageCache(tmp_path, memory_bytes=1000)
    for i in range(10):
        cache.put(f"{i:064x}", "png", b"x" * 300, persist=False)
    kept = [i for i in range(10) if cache.get(f"{i:064x}", "png") is not None]
    assert kept == [7, 8, 9]
