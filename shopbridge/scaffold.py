"""``shopbridge plugin new NAME``: a new platform plugin that installs, registers and passes its tests at once.

The generated plugin is the smallest real one: a channel type with a secret setting, "test connection", and
publishing through ``channel.http`` (so dry run and the outbox work), plus tests that use the
``shopbridge.testing`` fixtures a plugin author gets for free.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template


class ScaffoldError(ValueError):
    pass


PYPROJECT = Template('''\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "shopbridge-$name"
version = "0.1.0"
description = "$label channel for shopbridge"
requires-python = ">=3.11"
dependencies = ["shopbridge"]

[project.entry-points."shopbridge.plugins"]
$name = "$module"

[tool.setuptools]
packages = ["$module"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-p no:cacheprovider --import-mode=importlib"
''')

MODULE = Template('''\
"""$label channel for shopbridge.

Every call to the platform goes through ``channel.http``: in dry run (a channel without an access token, or
with dry run switched on) the request is recorded in the shop's outbox instead of being sent.
"""

from __future__ import annotations

from shopbridge import hookimpl
from shopbridge.channels import (
    AuthError,
    Capability,
    ChannelType,
    ConnectionCheck,
    PlatformError,
    PublishResult,
    SettingField,
)

API = "https://api.$name.example/v1"

CHANNEL_TYPE = ChannelType(
    name="$name",
    label="$label",
    settings=(
        SettingField("account", "Account name", help="Your account on $label."),
        SettingField("access_token", "Access token", kind="secret"),
    ),
    capabilities=frozenset({Capability.publish_posts}),
    caption_limit=500,
)


def _headers(channel) -> dict[str, str]:
    return {"Authorization": f"Bearer {channel.setting('access_token', '')}"}


def _check(response) -> None:
    if response.status_code in (401, 403):
        raise AuthError("$label refused the access token; paste a new one in the channel's settings.")
    if response.status_code >= 400:
        raise PlatformError(f"$label answered HTTP {response.status_code}: {response.text[:200]}",
                            status=response.status_code)


@hookimpl
def shopbridge_channel_types():
    return [CHANNEL_TYPE]


@hookimpl
def shopbridge_test_connection(channel):
    if channel.type != CHANNEL_TYPE.name:
        return None
    response = channel.http.request("GET", f"{API}/me", headers=_headers(channel),
                                    dry_run_response={"name": channel.setting("account")})
    _check(response)
    return ConnectionCheck(ok=True, detail=f"Connected as {response.json().get('name')}")


@hookimpl
def shopbridge_publish_post(channel, content):
    if channel.type != CHANNEL_TYPE.name:
        return None
    response = channel.http.request(
        "POST", f"{API}/posts",
        headers={**_headers(channel), "Idempotency-Key": content.idempotency_key},
        json_body={"text": content.text, "link": content.link_url, "image_url": content.image_url},
        dry_run_response={"id": "dry-run"},
    )
    _check(response)
    data = response.json()
    return PublishResult(remote_id=str(data["id"]), url=data.get("url"))
''')

TESTS = Template('''\
"""Tests for the $label plugin, with the fixtures shopbridge gives every plugin (``shopbridge.testing``)."""

import httpx
import pytest

from shopbridge.channels import AuthError, PostContent
from shopbridge.plugins import call, describe


def test_the_plugin_is_installed_and_declares_its_channel_type(app):
    with app.app_context():
        names = {row["name"] for row in describe(app)}
        from shopbridge.channels.service import channel_types

        assert "$name" in names
        assert "$name" in channel_types(app)


def _content(**kwargs):
    return PostContent(post_id=1, title="Linen shirt", text="Linen shirt, 49 EUR", link_url="https://shop/l/abc",
                       image_url=None, image_alt="", products=(), idempotency_key="key-1", **kwargs)


def test_a_dry_run_channel_records_the_post_instead_of_sending_it(app, channel_factory, captured_http):
    made = channel_factory("$name", {"account": "acme", "access_token": "secret-token-123"}, dry_run=True)
    with app.app_context():
        result = call("shopbridge_publish_post", app=app, channel=made.context, content=_content())
    assert result.remote_id == "dry-run"
    request = captured_http[-1]
    assert request.method == "POST" and request.url.endswith("/posts")
    assert request.body["link"] == "https://shop/l/abc"
    assert "secret-token-123" not in str(request.headers)


def test_a_refused_token_is_reported_in_plain_words(app, channel_factory):
    made = channel_factory("$name", {"account": "acme", "access_token": "expired"}, dry_run=False)
    made.context.http.transport = httpx.MockTransport(lambda request: httpx.Response(401, json={}))
    with app.app_context(), pytest.raises(AuthError, match="new one"):
        call("shopbridge_publish_post", app=app, channel=made.context, content=_content())
''')

README = Template('''\
# shopbridge-$name

A $label channel for [shopbridge](https://github.com/). Install it next to shopbridge and restart:

    pip install -e plugins/shopbridge-$name

Then connect a channel in the admin (Channels → Connect $label). Run its tests with `pytest plugins/shopbridge-$name`.
''')


def create_plugin(name: str, directory: str | Path = "plugins") -> Path:
    """Write ``<directory>/shopbridge-<name>/`` and return its path; refuses to overwrite anything."""
    name = name.strip().lower().replace("-", "_")
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", name):
        raise ScaffoldError("NAME must start with a letter and use only letters, digits and _ (e.g. mastodon).")
    root = Path(directory) / f"shopbridge-{name.replace('_', '-')}"
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another name or remove it.")
    module = f"shopbridge_{name}"
    values = {"name": name, "module": module, "label": name.replace("_", " ").title()}
    (root / module).mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.substitute(values))
    (root / module / "__init__.py").write_text(MODULE.substitute(values))
    (root / "tests" / f"test_{name}.py").write_text(TESTS.substitute(values))
    (root / "README.md").write_text(README.substitute(values))
    return root
