"""The JSON API under ``/api/v1``, documented by an OpenAPI 3 document generated from the code.

flask-smorest builds the OpenAPI document from the marshmallow schemas and the route declarations, validates
input with webargs, and serves interactive docs. Every error leaves as ``application/problem+json``.
Authentication is ``Authorization: Bearer <token>`` only; the admin's session cookie is ignored here.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_smorest import Api

from shopbridge import db
from shopbridge.accounts import service as accounts
from shopbridge.problems import flatten_errors, problem_response

API_PREFIX = "/api/"


class ShopApi(Api):
    #: The app's own HTTP error handler (web.py): pages outside /api/ keep their HTML errors and login redirects,
    #: although flask-smorest registers this handler for every HTTPException of the app.
    site_handler = None

    def handle_http_exception(self, error):
        if self.site_handler is not None and not request.path.startswith(API_PREFIX):
            return self.site_handler(error)
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        errors = []
        if messages:
            for location_messages in messages.values():
                errors.extend(flatten_errors(location_messages))
        detail = data.get("message") or error.description
        if error.code == 422 and errors:
            detail = "Some fields are invalid; see errors."
        return problem_response(error.code or 500, detail=detail, errors=errors or None)


def _authenticate() -> None:
    if not request.path.startswith(API_PREFIX):
        return
    g.api_request = True
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        g.api_user = accounts.user_for_token(db.session(), token.strip())


def init_app(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "shopbridge")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    from werkzeug.exceptions import HTTPException

    site_handler = app.error_handler_spec[None][None].get(HTTPException)
    api = ShopApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer", "description": "A personal API token from the admin."}}},
        "security": [{"bearer": []}]})
    api.site_handler = site_handler
    app.before_request(_authenticate)
    # The OpenAPI document and docs pages flask-smorest adds describe the API to anyone; they change nothing.
    from shopbridge.access import access_rule, public

    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith("api-docs.") and access_rule(view) is None:
            app.view_functions[endpoint] = public(_plain_function(view))
    from shopbridge.api import products

    api.register_blueprint(products.blp)
    app.extensions["shopbridge.api"] = api
    return api


def _plain_function(view):
    """A function wrapper around a bound method, which cannot carry an ``access_rule`` attribute itself."""
    import functools

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    return wrapper
