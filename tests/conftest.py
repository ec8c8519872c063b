# The fixtures live in shopbridge.testing (a pytest plugin) so that plugin authors get the very same ones.
import sys
from pathlib import Path

# Test helper modules (e.g. pictures.py) are imported by name; importlib import mode does not add tests/ itself.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "plugins"))  # the Fakegram test plugin (fake_platform.py)

import pytest  # noqa: E402


@pytest.fixture
def fake_server():
    """The Fakegram platform (tests/plugins/fake_platform.py) as a local fake server."""
    import fake_platform

    return fake_platform.FakeServer()


@pytest.fixture
def app_config(tmp_path):
    """Every test app also loads the Fakegram test plugin (tests/plugins/fake_platform.py)."""
    return {"PLUGINS": ["fake_platform"]}


@pytest.fixture
def fake_links(monkeypatch):
    """Buy links are another feature's: a small fake of the posts → links adapter, one URL per call."""
    from shopbridge.posts import linking

    made = []

    def tracked_link(session, *, post, channel, product, user=None):
        made.append({"post": getattr(post, "id", None), "channel": channel.name, "product": product.slug})
        return f"https://shop.test/l/{len(made):04d}"

    monkeypatch.setattr(linking, "tracked_link", tracked_link)
    return made


@pytest.fixture
def fakegram(app, fake_server):
    """The test app with the Fakegram plugin's requests going to ``fake_server``."""
    import httpx

    from shopbridge.channels.service import TRANSPORT

    app.extensions[TRANSPORT] = httpx.MockTransport(fake_server.handler)
    return fake_server
