"""Who may open which admin page: every route has a rule, and every rule holds for every role.

The matrix is built from ``app.url_map`` and the rules on the views themselves, so a page added tomorrow (by
any feature or plugin) is checked without anyone remembering to add it here.
"""

from __future__ import annotations

from pictures import png

from shopbridge.access import access_rule, permissions_for
from shopbridge.accounts.service import create_token
from shopbridge.catalogue import service
from shopbridge.db import session_scope
from shopbridge.testing import AuthActions, csrf_token_from, make_product

ROLES = ("owner", "staff", "agency")
ANONYMOUS = "anonymous"


def test_every_route_declares_who_may_use_it(app):
    offenders = sorted(
        f"{rule.endpoint} ({rule.rule})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and access_rule(app.view_functions[rule.endpoint]) is None
    )
    assert not offenders, "Routes without @public or @requires: " + ", ".join(offenders)


def _objects(app, users) -> dict[str, object]:
    """One of everything an admin URL can point at, keyed by the URL parameter names the routes use."""
    store = service.ImageStore(app.config["UPLOAD_DIR"], list(app.config["IMAGE_SIZES"]),
                               app.config["MAX_UPLOAD_BYTES"])
    with session_scope(app) as session:
        product = make_product(session, title="Linen shirt", slug="linen-shirt")
        image = service.add_images(session, product, [service.Upload(png(200, 200))], store)[0]
        session.flush()
        token, _plain = create_token(session, session.merge(users["staff"]), "matrix")
        session.flush()
        return {"product_id": product.id, "image_id": image.id, "user_id": users["staff"].id,
                "token_id": token.id, "slug": product.slug}


def _protected_routes(app):
    """(rule, method, permissions) for every signed-in page: the JSON API has its own token-based tests."""
    # Signing out is checked last, so it does not sign the other checks out.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint.endswith("logout"), r.rule)):
        found = access_rule(app.view_functions[rule.endpoint])
        if not found or found[0] != "requires" or rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, set(found[1])


def _url(rule, objects) -> tuple[str, bool]:
    """The rule's URL with real objects filled in; ``guessed`` when a parameter is unknown to this test."""
    values, guessed = {}, False
    for name in rule.arguments:
        if name in objects:
            values[name] = objects[name]
        else:
            guessed = True
            converter = type(rule._converters[name]).__name__
            values[name] = 1 if converter in {"IntegerConverter", "NumberConverter"} else "x"
    path, _query = rule.build(values, append_unknown=False)[1], None
    return path, guessed


def test_every_protected_page_answers_every_role_as_the_rules_say(app, users):
    objects = _objects(app, users)
    clients = {}
    for role in ROLES:
        actions = AuthActions(app, app.test_client(), users)
        assert actions.login(role).status_code == 302
        clients[role] = (actions.client, actions.csrf("/admin/tokens"))
    anonymous = app.test_client()
    clients[ANONYMOUS] = (anonymous, csrf_token_from(anonymous.get("/admin/login").get_data(as_text=True)))

    checked, wrong = 0, []
    for rule, method, needed in _protected_routes(app):
        path, guessed = _url(rule, objects)
        for role, (client, csrf) in clients.items():
            # As a browser asks: for a page, so that a signed-out visitor is sent to the login form.
            response = client.open(path, method=method, headers={"Accept": "text/html"},
                                   data={"csrf_token": csrf} if method != "GET" else None)
            status, location = response.status_code, response.headers.get("Location", "")
            response.get_data()  # read streamed bodies (the CSV export) to the end, as a browser would
            if role == ANONYMOUS:
                expected, ok = "redirect to the login page", status == 302 and "/admin/login?next=" in location
            elif not needed <= permissions_for(role):
                expected, ok = "403", status == 403
            elif method == "GET":
                allowed = {200, 404} if guessed else {200}
                expected, ok = f"one of {sorted(allowed)}", status in allowed
            else:
                # Posting an empty form is refused or acted on, but never for lack of rights nor by crashing.
                expected = "not 401/403/5xx"
                ok = status < 500 and status not in {401, 403} and "/admin/login?next=" not in location
            checked += 1
            if not ok:
                wrong.append(f"{method} {path} as {role}: got {status} {location}, expected {expected}")
    assert not wrong, "\n".join(wrong)
    # The products admin, people, tokens, settings and audit log are all in the matrix.
    assert checked >= 4 * 20
