"""Security checks that walk the whole application: every state-changing form refuses a request without its
CSRF token, and every kind of page carries the security headers.

Both lists come from ``app.url_map``, so a form added tomorrow (by any feature or plugin) is checked without
anyone remembering to add it here; the only routes skipped are those listed in ``CSRF_EXEMPT`` with a reason.
"""

from __future__ import annotations

import pytest

from shopbridge.testing import AuthActions

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

#: Routes that authenticate each request some other way, so a CSRF token does not apply. Each entry is a
#: path prefix or an endpoint name, with the reason a cross-site form cannot forge such a request.
CSRF_EXEMPT = {
    "/api/": "bearer-token authenticated: a cross-site form cannot attach an Authorization header",
    "/webhooks/": "called by platforms and Stripe, authenticated by each request's signature",
}


def _exempt(rule) -> bool:
    return any(rule.rule.startswith(p) or rule.endpoint == p for p in CSRF_EXEMPT)


def _path(rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        values[name] = 1 if converter in {"IntegerConverter", "NumberConverter"} else "x"
    return rule.build(values, append_unknown=False)[1]


def _state_changing_routes(app):
    # Signing out last, so it cannot sign the owner out of the other checks (it must refuse anyway).
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint.endswith("logout"), r.rule)):
        if rule.endpoint == "static" or _exempt(rule):
            continue
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            yield rule, method


def test_every_state_changing_form_refuses_a_request_without_its_csrf_token(app, client, users):
    auth = AuthActions(app, client, users)
    assert auth.login("owner").status_code == 302
    checked, offenders = [], []
    for rule, method in _state_changing_routes(app):
        path = _path(rule)
        # JSON so the refusal names its reason: a 400 for a missing field would not prove CSRF protection.
        response = client.open(path, method=method, data={"anything": "1"},
                               headers={"Accept": "application/json"})
        detail = (response.get_json(silent=True) or {}).get("detail", "")
        checked.append(f"{method} {rule.rule}")
        if response.status_code != 400 or "CSRF" not in detail:
            offenders.append(f"{method} {rule.rule} ({rule.endpoint}) -> {response.status_code} {detail!r}")
    assert not offenders, "State-changing routes that accept a request without a CSRF token:\n" + "\n".join(offenders)
    # The walk really covered the shop's forms, storefront and admin alike.
    assert {"POST /checkout/buy", "POST /cart/add", "POST /admin/login", "POST /admin/logout"} <= set(checked)
    assert len(checked) > 30
    # The owner is still signed in: no refused request changed anything, signing out included.
    assert client.get("/admin/").status_code == 200


def test_the_exemptions_are_only_token_or_signature_authenticated_routes(app):
    """An exempt prefix may only hold machine endpoints: no admin page or storefront form may hide there."""
    for rule in app.url_map.iter_rules():
        if _exempt(rule):
            assert not rule.rule.startswith(("/admin", "/checkout", "/cart")), rule.rule


def _assert_security_headers(response, *, what: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, what
    assert "script-src" in csp or "default-src" in csp, what
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";", 1)[0], what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in {"strict-origin-when-cross-origin", "no-referrer", "same-origin",
                                              "strict-origin"}, what


@pytest.mark.parametrize("role", ["anonymous", "owner"])
def test_every_kind_of_page_carries_the_security_headers(app, client, users, product_factory, role):
    product_factory(title="Linen shirt", slug="linen-shirt")
    if role == "owner":
        assert AuthActions(app, client, users).login("owner").status_code == 302
    pages = {
        "storefront home": "/",
        "product page": "/p/linen-shirt",
        "cart": "/cart",
        "admin": "/admin/",
        "admin login": "/admin/login",
        "API": "/api/v1/products",
        "API docs": "/api/docs",
        "not found page": "/no-such-page",
        "not found API problem": "/api/v1/products/999999",
    }
    for what, path in pages.items():
        response = client.get(path)
        assert response.status_code < 500, what
        _assert_security_headers(response, what=f"{what} ({path}) as {role}")
    # A refused form (an error page rendered by the error handler) carries them too.
    refused = client.post("/checkout/buy", data={"variant_id": "1"})
    assert refused.status_code == 400
    _assert_security_headers(refused, what="refused form")
