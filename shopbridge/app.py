"""The application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from shopbridge import config as config_module
from shopbridge import db, health, i18n, logs, plugins, settings
from shopbridge.extensions import csrf, limiter, login_manager


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a shopbridge app.

    ``config`` overrides everything else (see :mod:`shopbridge.config` for the layers below it); tests pass a
    temporary ``DATA_DIR`` and ``DATABASE_URL`` here. The factory does not touch the database schema:
    migrations are applied by ``shopbridge db upgrade`` (``make run`` does it for you).
    """
    loaded = config_module.load(config)
    app = Flask("shopbridge", instance_path=loaded["DATA_DIR"], instance_relative_config=False)
    app.config.update(loaded)

    logs.init_app(app)
    db.init_app(app)
    health.init_app(app)
    settings.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", loaded["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    _init_login(app)

    from shopbridge import web

    web.init_app(app)
    _register_blueprints(app)

    plugins.init_app(app)
    from shopbridge import jobs

    jobs.init_app(app)
    plugins.call("shopbridge_register_blueprints", app=app)

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Trust exactly as many proxy hops as configured (1 for a single nginx): more would let a client
        # forge its address, which rate limits and unique-visitor counts rely on.
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _init_login(app: Flask) -> None:
    from shopbridge.accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session().get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.is_active else None


def _register_blueprints(app: Flask) -> None:
    from shopbridge.accounts.views import bp as auth_bp
    from shopbridge.admin import bp as admin_bp
    from shopbridge.api import init_app as init_api
    from shopbridge.catalogue.views import bp as catalogue_bp
    from shopbridge.feeds import bp as feeds_bp
    from shopbridge.links import init_app as init_links
    from shopbridge.media import bp as media_bp
    from shopbridge.storefront import bp as storefront_bp

    app.register_blueprint(storefront_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(catalogue_bp)
    init_api(app)
    init_links(app)
    from shopbridge.checkout import init_app as init_checkout

    init_checkout(app)

    from shopbridge.channels.views import bp as channels_bp
    from shopbridge.channels.views import inbox_bp, outbox_bp, webhooks_bp
    from shopbridge.posts.views import bp as posts_bp

    for blueprint in (channels_bp, inbox_bp, outbox_bp, webhooks_bp, posts_bp):
        app.register_blueprint(blueprint)
