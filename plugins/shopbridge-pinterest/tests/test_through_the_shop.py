"""The whole way through the shop: an owner composes a post, the publishing job pins it on Pinterest.

Runs once the plugin framework (``shopbridge.posts``, the ``channel_factory`` fixture) is part of shopbridge;
until then it is skipped.
"""

from __future__ import annotations

import io

import pytest

pytest.importorskip("shopbridge.posts.publishing", reason="needs the plugin framework (feat/channels)")


@pytest.fixture
def tracked_links(monkeypatch):
    """Buy links belong to the links feature; here each call returns a new tracked URL."""
    from shopbridge.posts import linking

    made = []

    def tracked_link(session, *, post, channel, product, user=None):
        made.append(product.slug)
        return f"https://shop.example/l/pin{len(made)}"

    monkeypatch.setattr(linking, "tracked_link", tracked_link)
    return made


def test_a_composed_post_becomes_one_pin_with_its_tracked_link(app, db_session, pinterest, product_factory,
                                                               channel_factory, tracked_links):
    from PIL import Image as PILImage

    from shopbridge.catalogue.images import add_image
    from shopbridge.posts import service

    product = product_factory(title="Linen shirt", slug="linen-shirt")
    buffer = io.BytesIO()
    PILImage.new("RGB", (800, 1000), (240, 235, 220)).save(buffer, "JPEG")
    image = add_image(app.config["UPLOAD_DIR"], product, buffer.getvalue(), sizes=[320, 640],
                      max_bytes=10_000_000, alt="A white linen shirt on a hanger")
    db_session.commit()
    channel = channel_factory("pinterest", {
        "access_token": pinterest.access_token, "board_id": pinterest.boards[1]["id"], "api_url": pinterest.url,
        "catalog_country": "IT", "catalog_language": "it"}, dry_run=False, name="Pinterest").channel

    with app.app_context():
        post = service.create_post(db_session, service.PostInput(
            title="Summer linen", caption="{title} for {price}.", product_ids=[product.id], image_id=image.id,
            channel_ids=[channel.id], hashtags=["linen"]))
        db_session.commit()
        service.submit(db_session, post)
        db_session.commit()
    db_session.expire_all()

    (pin,) = pinterest.pins.values()
    assert pin["board_id"] == pinterest.boards[1]["id"]
    assert pin["link"] == "https://shop.example/l/pin1"
    assert pin["title"] == "Summer linen" and "Linen shirt for €49.00" in pin["description"]
    assert pin["alt_text"] == "A white linen shirt on a hanger"
    assert pin["media_source"]["url"].startswith("http")
    assert post.targets[0].remote_id == pin["id"]
