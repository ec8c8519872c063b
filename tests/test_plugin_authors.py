"""A plugin author's path: install a plugin from its own distribution, generate a new one, use the fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from shopbridge.testing import csrf_token_from

HERE = Path(__file__).parent


def _pip_install_target(source: Path, target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def example_dist(tmp_path_factory):
    """tests/plugins/example-dist installed as a third party would, into its own site directory."""
    target = tmp_path_factory.mktemp("site")
    _pip_install_target(HERE / "plugins" / "example-dist", target)
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    sys.modules.pop("shopbridge_example", None)


@pytest.fixture
def app_config(example_dist):
    return {"PLUGINS": ["fake_platform"]}


def test_a_plugin_installed_from_its_own_distribution_works_end_to_end(app, client, auth, fake_links,
                                                                        product_factory, db_session, runner):
    from shopbridge.channels.models import Channel, OutboxEntry
    from shopbridge.cli import main
    from shopbridge.plugins import describe

    listed = {row["name"]: row for row in describe(app)}
    assert listed["example"]["distribution"] == "shopbridge-example"
    assert listed["example"]["version"] == "1.2.3"
    assert "shopbridge_publish_post" in listed["example"]["hooks"]
    result = runner.invoke(main, ["plugins", "list"])
    assert "example 1.2.3  (shopbridge-example)" in result.output

    product_factory(title="Linen shirt", slug="linen-shirt")
    auth.login("owner")
    page = client.get("/admin/channels/")
    assert "Connect Example Social" in page.get_data(as_text=True)
    form = client.get("/admin/channels/new/example_social")
    response = client.post("/admin/channels/new/example_social", data={
        "csrf_token": csrf_token_from(form.get_data(as_text=True)), "name": "Example main",
        "s_handle": "@acme", "s_api_key": "k-123456789", "dry_run": "y", "enabled": "y"})
    assert response.status_code == 302

    result = runner.invoke(main, ["post", "publish", "--product", "linen-shirt", "--channel", "Example main",
                                  "--caption", "{title} only {price}, summer is here and linen is the answer"])
    assert result.exit_code == 0, result.output
    assert "published" in result.output
    channel = db_session.exec(select(Channel).where(Channel.name == "Example main")).one()
    entry = db_session.exec(select(OutboxEntry).where(OutboxEntry.channel_id == channel.id)).one()
    assert entry.url == "https://api.example-social.test/statuses"
    assert entry.headers["X-Api-Key"] == "***"
    assert len(entry.body["status"]) <= 80  # the type's caption_limit, cut on a word boundary
    assert entry.body["status"].endswith("https://shop.test/l/0001")

    exported = runner.invoke(main, ["outbox", "export"])
    import json

    lines = [json.loads(line) for line in exported.output.splitlines()]
    assert lines[-1]["url"] == entry.url and set(lines[-1]) >= {"method", "url", "headers", "body"}


def test_plugin_new_creates_a_plugin_whose_tests_pass(tmp_path):
    from shopbridge.scaffold import ScaffoldError, create_plugin

    root = create_plugin("mastodon", tmp_path / "plugins")
    assert root == tmp_path / "plugins" / "shopbridge-mastodon"
    assert (root / "pyproject.toml").read_text().count('mastodon = "shopbridge_mastodon"') == 1
    with pytest.raises(ScaffoldError):
        create_plugin("mastodon", tmp_path / "plugins")
    with pytest.raises(ScaffoldError):
        create_plugin("9 bad name", tmp_path / "plugins")

    site = tmp_path / "site"
    _pip_install_target(root, site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", str(root / "tests"), "-p", "no:randomly"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_plugin_new_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from shopbridge.cli import main

    result = CliRunner().invoke(main, ["plugin", "new", "tiktok", "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "shopbridge-tiktok" / "shopbridge_tiktok" / "__init__.py").exists()
