"""What every page shares: security headers, error pages, template helpers, absolute URLs."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from shopbridge import access

DEFAULT_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def content_security_policy(app: Flask) -> str:
    policy = {k: list(v) for k, v in DEFAULT_CSP.items()}
    for directive, sources in (app.config.get("CSP_EXTRA") or {}).items():
        policy.setdefault(directive, []).extend(sources)
    return "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items())


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on the shop's public host.

    Uses ``BASE_URL`` when configured, so links built by jobs, feeds and QR codes name the public host even
    when the request came in through a proxy; otherwise the host of the current request.
    """
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    if base:
        return base + url_for(endpoint, _external=False, **values)
    return url_for(endpoint, _external=True, **values)


def wants_json() -> bool:
    # HTML wins ties: browsers, link-preview crawlers and curl send "*/*" or nothing, and should see the
    # friendly page; only a client that prefers JSON outside /api/ gets a problem document.
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )


def init_app(app: Flask) -> None:
    csp = content_security_policy(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            api = current_app.extensions.get("shopbridge.api")
            if api is not None and request.path.startswith("/api/"):
                return api.handle_http_exception(exc)
            from shopbridge.problems import problem_response

            return problem_response(exc.code or 500, detail=exc.description)
        # Every admin page (any feature's blueprint under /admin/) sends a signed-out visitor to the login page.
        if exc.code == 401 and (request.blueprint in {"admin", "auth"} or request.path.startswith("/admin/")):
            from flask import redirect

            return redirect(url_for("auth.login", next=request.full_path))
        template = "errors/404.html" if exc.code == 404 else "errors/error.html"
        return render_template(template, error=exc), exc.code

    # flask-smorest registers a handler for every HTTPException when the API is set up; Flask looks up a
    # handler for the status code itself first, so these keep their pages (and the admin its login redirect)
    # while /api/ paths are handed back to the API's problem documents above.
    for code in (400, 401, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, http_error)

    @app.context_processor
    def template_helpers():
        user = access.actor() if request else None
        return {
            "shop_name": _shop_name(),
            "can": lambda permission: access.can(user, permission),
            "external_url": external_url,
        }


def _shop_name() -> str:
    """The name saved on the settings page, else ``SHOP_NAME`` from the configuration."""
    from shopbridge import db
    from shopbridge.admin.shop_settings import effective

    return effective(db.session(), "shop_name")
