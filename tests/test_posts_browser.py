"""In Chromium: the owner connects a dry-run channel, composes a post, reads the preview and publishes it."""

from __future__ import annotations

import pytest

from shopbridge.testing import PASSWORDS


@pytest.mark.browser
def test_owner_connects_a_channel_composes_and_publishes_a_post(app, live_server, desktop, users, fake_links,
                                                                product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt")
    errors: list[str] = []
    desktop.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    desktop.goto(live_server.url + "/admin/login")
    desktop.fill("#email", "owner@example.com")
    desktop.fill("#password", PASSWORDS["owner"])
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url("**/admin/")

    desktop.goto(live_server.url + "/admin/channels/")
    desktop.get_by_role("link", name="Connect Fakegram").click()
    desktop.fill("#name", "Fakegram demo")
    desktop.fill("#s_account_id", "42")
    desktop.get_by_role("button", name="Connect").click()
    assert "Channel “Fakegram demo” connected." in desktop.content()
    assert "/webhooks/channels/" in desktop.locator("code.copyable").inner_text()

    desktop.goto(live_server.url + "/admin/posts/new?product=linen-shirt")
    desktop.get_by_label("Fakegram demo").check()
    desktop.fill("#caption", "{title}, only {price}")
    desktop.fill("#hashtags", "linen summer")
    desktop.get_by_role("button", name="Save draft and preview").click()
    preview = desktop.locator("pre.preview-text").first.inner_text()
    assert preview.startswith("Linen shirt, only €49.00") and "#linen #summer" in preview

    desktop.get_by_role("button", name="Publish").click()
    assert desktop.locator("h1 .badge").inner_text() == "published"
    desktop.goto(live_server.url + "/admin/outbox/")
    assert "https://api.fakegram.test/v1/posts" in desktop.content()
    assert not [e for e in errors if "Content Security Policy" in e]
