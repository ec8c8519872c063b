"""The whole story in a real browser: a desktop shopper sees the QR code, a phone scans it and lands on the
product."""

from __future__ import annotations

import base64

import pytest
from linkhelpers import decode, hits, path_of


@pytest.mark.browser
def test_scan_the_product_page_qr_code_with_a_phone(live_server, desktop, phone, shirt, app):
    desktop.goto(live_server.url + "/p/linen-shirt")
    qr = desktop.locator(".scan-to-buy img")
    qr.wait_for(state="visible")
    assert desktop.locator(".scan-to-buy").inner_text().startswith("Scan to buy on your phone")
    assert qr.evaluate("img => img.complete && img.naturalWidth") > 0
    # Read the image exactly as the browser received it, then decode it.
    data_url = qr.evaluate("""img => { const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight; c.getContext('2d').drawImage(img, 0, 0);
        return c.toDataURL('image/png'); }""")
    url = decode(base64.b64decode(data_url.split(",", 1)[1]))
    assert url.startswith(live_server.url + "/q/")

    phone.goto(live_server.url + path_of(url))
    assert phone.url.split("?")[0] == live_server.url + "/p/linen-shirt"
    assert "utm_medium=qr" in phone.url
    assert phone.locator("h1").inner_text() == "Linen shirt"
    assert not phone.locator(".scan-to-buy").is_visible()  # no QR code to scan on the phone itself
    scans = [h for h in hits(app) if h["kind"] == "scan"]
    assert len(scans) == 1 and scans[0]["device"] == "ios" and not scans[0]["is_bot"]
