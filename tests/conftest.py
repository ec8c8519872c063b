# The fixtures live in shopbridge.testing (a pytest plugin) so that plugin authors get the very same ones.
import sys
from pathlib import Path

# Test helper modules (e.g. pictures.py) are imported by name; importlib import mode does not add tests/ itself.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "plugins"))  # the Fakegram test plugin (fake_platform.py)

import pytest  # noqa: E402

from shopbridge import plugins as _plugins  # noqa: E402

_plugins.CALLED = set()  # every hook called during the run; checked at the end of a full run


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Under pytest-xdist the hooks are called in the workers: collect what each one saw."""
    _plugins.CALLED.update(getattr(node, "workeroutput", {}).get("hooks_called", []))


def pytest_sessionfinish(session, exitstatus):
    """A full, green run must have called every hook specification at least once (through the shop's paths)."""
    from shopbridge import docs_hooks

    if hasattr(session.config, "workerinput"):  # an xdist worker: report, the controller decides
        session.config.workeroutput["hooks_called"] = sorted(_plugins.CALLED)
        return
    option = session.config.option
    full_run = not option.keyword and not option.markexpr and all(
        str(a).rstrip("/").endswith(("tests", "plugins")) for a in session.config.args)
    if exitstatus != 0 or not full_run or option.collectonly or session.testscollected < 50:
        return
    missing = sorted({fn.__name__ for fn in docs_hooks.hook_functions()} - _plugins.CALLED)
    if missing:
        session.config.get_terminal_writer().line(f"Hooks no test exercised: {', '.join(missing)}", red=True)
        session.exitstatus = 1


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
