"""Catalogue feeds for Meta, Pinterest and Google Merchant Center, streamed and protected by a token.

Platforms fetch feeds on their own schedule from a URL the shop pastes into their catalogue settings:
``/feeds/meta.csv?token=…``, ``/feeds/pinterest.csv?token=…``, ``/feeds/google.xml?token=…``. The token is
random, kept (encrypted) in the shop's settings, and can be rotated from the admin; a wrong or missing token
gets 404 so the feed's existence is not revealed.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlmodel import Session

from shopbridge import audit, db, settings
from shopbridge.access import SETTINGS_MANAGE, public, requires
from shopbridge.catalogue.items import iter_items
from shopbridge.feeds import formats
from shopbridge.security import constant_time_equals

bp = Blueprint("feeds", __name__)
TOKEN_KEY = "feeds.token"


def feed_token(session: Session, app: Flask | None = None) -> str:
    """The shop's feed token, created on first use."""
    token = settings.get(session, TOKEN_KEY, app=app)
    if not token:
        token = secrets.token_urlsafe(24)
        settings.put(session, TOKEN_KEY, token, secret=True, app=app)
        session.commit()
    return token


def _items(session: Session):
    from shopbridge.web import external_url

    # url_for per row would dominate a large feed; build each kind of URL once and fill in the varying part.
    product_base = external_url("storefront.product", slug="__slug__")
    media_base = external_url("media.file", filename="__path__")

    def product_url(slug: str, variant_id: int, several: bool) -> str:
        url = product_base.replace("__slug__", quote(slug))
        return f"{url}?variant={variant_id}" if several else url

    def image_url(path: str) -> str:
        return media_base.replace("__path__", quote(path))

    items = iter_items(session, product_url=product_url, image_url=image_url)
    # Every platform rejects an item without an image; the sync status explains that, the feed just skips it.
    return (item for item in items if item.image_link)


@bp.get("/feeds/<name>")
@public  # the token in the query is the access check: platforms fetch feeds without signing in
def feed(name: str):
    if name not in formats.FORMATS:
        abort(404)
    with db.session_scope() as session:
        expected = feed_token(session)
    given = request.args.get("token", "")
    if not given or not constant_time_equals(given, expected):
        abort(404)
    mimetype, writer = formats.FORMATS[name]
    app = current_app._get_current_object()

    def generate():
        # The feed has its own session: the response outlives the view function while it streams.
        with db.session_scope(app) as session:
            items = _items(session)
            if writer is None:
                chunks = formats.google_rss(items, title=app.config["SHOP_NAME"],
                                            link=request.url_root, description=app.config["SHOP_NAME"])
            else:
                chunks = writer(items)
            yield from chunks

    response = Response(stream_with_context(generate()), mimetype=mimetype.split(";")[0])
    response.headers["Content-Type"] = mimetype
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/admin/feeds", methods=["GET", "POST"])
@requires(SETTINGS_MANAGE)
def admin():
    from flask_wtf import FlaskForm

    session = db.session()
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        settings.put(session, TOKEN_KEY, secrets.token_urlsafe(24), secret=True)
        from shopbridge.access import actor

        audit.record(session, actor(), "feeds.rotate_token", None)
        session.commit()
        flash("The feed address changed. Update it in each platform's catalogue settings.")
        return redirect(url_for("feeds.admin"))
    from shopbridge.web import external_url

    token = feed_token(session)
    urls = {name: external_url("feeds.feed", name=name, token=token) for name in formats.FORMATS}
    return render_template("feeds/admin.html", urls=urls, form=form)
