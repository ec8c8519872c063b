"""Command line for channels, posts, catalogue sync, the outbox and the worker.

Everything the admin does for posts can be scripted::

    shopbridge channel list
    shopbridge channel connect "Acme bot"     # test the connection; Telegram: point the bot's webhook here
    shopbridge post publish --product linen-shirt --channel "Instagram main" --at "2030-05-01 09:00"
    shopbridge post list
    shopbridge sync --channel "Meta catalogue" --full
    shopbridge outbox export > outbox.jsonl
    shopbridge worker
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from shopbridge import db


def _app():
    return current_app._get_current_object()


def _channel(session, name: str):
    from shopbridge.channels import service

    channel = service.get_by_name(session, name)
    if channel is None:
        names = ", ".join(c.name for c in service.list_channels(session)) or "none yet"
        raise click.UsageError(f"No channel named {name!r} (channels: {names}).")
    return channel


@click.group("channel")
def channel_group() -> None:
    """Connected channels."""


@channel_group.command("list")
@with_appcontext
def channel_list() -> None:
    """List channels with their type, state and capabilities."""
    from shopbridge.channels import service

    with db.session_scope() as session:
        rows = service.list_channels(session)
        if not rows:
            click.echo("No channels. Connect one in the admin (Channels).")
        for c in rows:
            ctype = service.channel_type(c.type)
            caps = ",".join(sorted(ctype.capabilities)) if ctype else "plugin missing"
            flags = ["enabled" if c.enabled else "disabled"]
            if service.effective_dry_run(c):
                flags.append("dry-run")
            click.echo(f"{c.name}\t{c.type}\t{' '.join(flags)}\t{caps}")


@channel_group.command("connect")
@click.argument("name")
@with_appcontext
def channel_connect(name: str) -> None:
    """Check NAME's connection and point the platform's webhook at this shop.

    What the admin's "Test connection" button does: a Telegram channel, for one, registers the shop's webhook
    URL with setWebhook and the channel's secret token (generated and saved if it has none). The URL is on
    BASE_URL, so set that to the shop's public https:// address first.
    """
    from shopbridge.channels import service

    with db.session_scope() as session:
        channel = _channel(session, name)
        check = service.test_connection(session, channel)
        url = service.webhook_url(channel)
    click.echo(check.detail)
    click.echo(f"Webhook: {url}")
    if not check.ok:
        raise SystemExit(1)


@click.group("post")
def post_group() -> None:
    """Shoppable posts."""


def _parse_when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("use ISO format, e.g. 2030-05-01 09:00 or 2030-05-01T09:00+02:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config.get("TIMEZONE", "UTC")))
    return moment.astimezone(UTC)


@post_group.command("publish")
@click.option("--product", "products", multiple=True, required=True, help="Product slug (repeat for several).")
@click.option("--channel", "channel_names", multiple=True, required=True, help="Channel name (repeatable).")
@click.option("--at", "at", default=None, help="When to publish (shop time zone unless an offset is given).")
@click.option("--title", default=None, help="Title (default: the first product's title).")
@click.option("--caption", default="{title} – {price}", show_default=True)
@click.option("--hashtags", default="", help="Space-separated hashtags.")
@click.option("--option", "options", multiple=True, help="Per-channel option key=value (all channels).")
@with_appcontext
def post_publish(products, channel_names, at, title, caption, hashtags, options) -> None:
    """Compose a post and publish it now (or schedule it with --at)."""
    from shopbridge.catalogue.service import get_by_slug
    from shopbridge.posts import service

    extra = {}
    for pair in options:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: use key=value", param_hint="--option")
        extra[key.strip()] = value.strip()
    with db.session_scope() as session:
        found = []
        for slug in products:
            product = get_by_slug(session, slug)
            if product is None:
                raise click.UsageError(f"No product with slug {slug!r}.")
            found.append(product)
        channels = [_channel(session, name) for name in channel_names]
        data = service.PostInput(title=title or found[0].title, caption=caption, product_ids=[p.id for p in found],
                                 channel_ids=[c.id for c in channels], hashtags=service.parse_hashtags(hashtags),
                                 scheduled_at=_parse_when(at), options={c.id: extra for c in channels})
        data.image_id = found[0].main_image.id if found[0].main_image else None
        try:
            post = service.create_post(session, data, None)
            service.submit(session, post, None)
        except service.PostError as exc:
            raise click.UsageError("; ".join(exc.errors.values())) from None
        post_id = post.id
    with db.session_scope() as session:
        from shopbridge.posts.models import Post

        post = session.get(Post, post_id)
        click.echo(f"Post {post.id}: {post.status}")
        for target in post.targets:
            detail = target.remote_url or target.remote_id or target.last_error or ""
            click.echo(f"  {target.channel_id}\t{target.status}\t{detail}")


@post_group.command("list")
@click.option("--status", default=None)
@with_appcontext
def post_list(status) -> None:
    """List recent posts and where each one stands per channel."""
    from sqlmodel import select

    from shopbridge.channels.models import Channel
    from shopbridge.posts import service

    with db.session_scope() as session:
        names = {c.id: c.name for c in session.exec(select(Channel))}
        posts = service.list_posts(session, status)
        if not posts:
            click.echo("No posts.")
        for post in posts:
            when = post.scheduled_at.isoformat() if post.scheduled_at else ""
            click.echo(f"{post.id}\t{post.status}\t{post.title}\t{when}")
            for t in post.targets:
                click.echo(f"    {names.get(t.channel_id)}\t{t.status}\tattempts={t.attempts}\t"
                           f"{t.remote_url or t.remote_id or ''}\t{t.last_error}")


@click.command("sync")
@click.option("--channel", "channel_name", required=True)
@click.option("--full", is_flag=True, help="Send every product again (archived ones are removed).")
@with_appcontext
def sync_command(channel_name: str, full: bool) -> None:
    """Send pending catalogue changes to a channel now (or everything, with --full)."""
    from shopbridge.channels import sync

    with db.session_scope() as session:
        channel = _channel(session, channel_name)
        channel_id = channel.id
        if full:
            count = sync.full_resync(session, channel)
            click.echo(f"{count} products queued.")
        else:
            from sqlmodel import select

            from shopbridge import jobs
            from shopbridge.channels.models import PendingSync

            for row in session.exec(select(PendingSync).where(PendingSync.channel_id == channel_id)):
                row.due_at = jobs.now()  # "now" means now, not after the debounce window
                session.add(row)
    sent = sync.flush_channel(_app(), channel_id) if not full or _queue_is_immediate() else None
    if sent is not None:
        click.echo(f"{sent} items sent.")


def _queue_is_immediate() -> bool:
    from shopbridge import jobs

    return jobs.queue(_app()).huey.immediate


@click.group("outbox")
def outbox_group() -> None:
    """Requests dry-run channels recorded instead of sending."""


@outbox_group.command("export")
@click.option("--channel", "channel_name", default=None)
@click.option("--output", "-o", type=click.File("w"), default="-")
@with_appcontext
def outbox_export(channel_name, output) -> None:
    """Write the outbox as JSON lines (method, url, headers, body)."""
    from shopbridge.channels.views import outbox_lines

    with db.session_scope() as session:
        channel_id = _channel(session, channel_name).id if channel_name else None
        for line in outbox_lines(session, channel_id):
            output.write(line)


@click.command("worker")
@click.option("--workers", "-w", default=2, show_default=True)
@click.option("--once", is_flag=True, help="Run the minute sweep once (due posts, syncs) and exit.")
@with_appcontext
def worker_command(workers: int, once: bool) -> None:
    """Run background jobs: publishing, catalogue sync, inbound webhooks, scheduled posts."""
    from shopbridge import jobs

    app = _app()
    if once:
        jobs.run_periodic(app)
        click.echo("Sweep done.")
        return
    if jobs.queue(app).huey.immediate:
        raise click.UsageError("QUEUE_URL=immediate runs jobs inline; there is nothing for a worker to do.")
    click.echo(f"Worker started ({workers} threads, queue: {app.config.get('QUEUE_URL') or 'SQLite'}).",
               err=True)
    jobs.consumer(app, workers=workers).run()


@click.group("plugin")
def plugin_group() -> None:
    """Write your own plugin."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--directory", "-d", default="plugins", show_default=True, type=click.Path(file_okay=False))
def plugin_new(name: str, directory: str) -> None:
    """Create plugins/shopbridge-NAME/: a pyproject, an entry point, a hook implementation and passing tests."""
    from shopbridge.scaffold import ScaffoldError, create_plugin

    try:
        path = create_plugin(name, directory)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Created {path}")
    click.echo(f"Next: pip install -e {path} && pytest {path}")


COMMANDS = (channel_group, post_group, sync_command, outbox_group, worker_command, plugin_group)


def register(group: click.Group) -> None:
    for command in COMMANDS:
        group.add_command(command)
