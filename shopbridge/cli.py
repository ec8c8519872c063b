"""The ``shopbridge`` command line: ``shopbridge --help`` lists everything.

It is Flask's command group, so ``shopbridge run``, ``shopbridge shell`` and ``shopbridge routes`` work too.
Plugins add commands through the ``shopbridge_cli_commands`` hook.
"""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from shopbridge import db, migrate


def _create_app():
    from shopbridge.app import create_app

    app = create_app()
    from shopbridge.plugins import call

    with app.app_context():
        answers = call("shopbridge_cli_commands", app=app)
    for commands in answers:
        for command in commands or []:
            app.cli.add_command(command)
    return app


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """shopbridge: your own shop, selling through social channels."""


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every pending migration."""
    migrate.upgrade(db.engine())
    click.echo("Database is up to date.")


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Exit 1 if migrations are pending."""
    missing = migrate.pending(db.engine())
    if missing:
        click.echo(f"Pending migrations: {', '.join(sorted(missing))}", err=True)
        raise SystemExit(1)
    click.echo("No pending migrations.")


@main.group("user")
def user_group() -> None:
    """People who run the shop."""


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["owner", "staff", "agency"]), default="owner", show_default=True)
@click.password_option()
@with_appcontext
def user_create(email: str, role: str, password: str) -> None:
    """Create an admin user."""
    from shopbridge.accounts.service import AccountError, create_user

    with db.session_scope() as session:
        try:
            create_user(session, email, password, role)
        except AccountError as exc:
            raise click.UsageError(f"{exc.field}: {exc}") from None
    click.echo(f"Created {role} {email}.")


@main.group("demo")
def demo_group() -> None:
    """The demo shop."""


@demo_group.command("load")
@with_appcontext
def demo_load() -> None:
    """Load the demo catalogue and users, once (later runs keep what is there)."""
    from shopbridge.demo import load_demo

    created = load_demo(current_app._get_current_object())
    click.echo("Demo shop loaded." if created else "Demo shop already present; left as it is.")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 5000)), show_default="$PORT or 5000")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Run background jobs in this process too (production runs `shopbridge worker` apart).")
@with_appcontext
def serve(host: str, port: int, worker: bool) -> None:
    """Serve the shop for local use (production uses gunicorn; see docs/deploy.md)."""
    from werkzeug.serving import run_simple

    from shopbridge.demo import DEMO_USERS

    app = current_app._get_current_object()
    shown = host if host not in {"0.0.0.0", "::"} else "127.0.0.1"
    click.echo("")
    click.echo(f"  Storefront:  http://{shown}:{port}/")
    click.echo(f"  Admin:       http://{shown}:{port}/admin/")
    for email, password, role in DEMO_USERS:
        click.echo(f"  Demo {role + ':':8} {email} / {password}")
    running = None
    if worker:
        from shopbridge.jobs import start_embedded_worker

        running = start_embedded_worker(app)
        click.echo("  Background jobs: running in this process" if running else "  Background jobs: inline")
    click.echo("")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if running is not None:
            running.stop(graceful=False)


from shopbridge.channels.cli import register as _register_channel_commands  # noqa: E402

_register_channel_commands(main)


@main.command("plugins")
@click.argument("action", type=click.Choice(["list"]), default="list")
@with_appcontext
def plugins_command(action: str) -> None:
    """List installed plugins, their versions and the hooks they implement."""
    from shopbridge.plugins import describe

    rows = describe(current_app._get_current_object())
    if not rows:
        click.echo("No plugins installed.")
    for row in rows:
        click.echo(f"{row['name']} {row['version']}  ({row['distribution']})")
        click.echo(f"    hooks: {', '.join(row['hooks']) or '-'}")
