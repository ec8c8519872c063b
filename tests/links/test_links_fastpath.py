"""The WSGI fast path answers live links exactly as the Flask view would, and leaves everything else to it."""

from __future__ import annotations

import pytest
from linkhelpers import FACEBOOK_PREVIEW, IPHONE_SAFARI, hits

from shopbridge.links import attribution


def _answer(app, path, *, fast: bool, headers=None, prime_cookie=False):
    app.config["LINK_FAST_PATH"] = fast
    client = app.test_client()
    if prime_cookie:
        with client.session_transaction() as session:
            session["cart"] = {"LIN-S": 2}  # something another feature keeps in the session
    response = client.get(path, headers=headers or {"User-Agent": IPHONE_SAFARI})
    with client.session_transaction() as session:
        stored = dict(session)
    cookie = client.get_cookie(attribution.COOKIE)
    return response, stored, attribution.link_code(app.config["SECRET_KEY"], cookie.value if cookie else None)


@pytest.mark.parametrize("kind", ["b", "q"])
def test_both_paths_give_the_same_answer(app, make_link, shirt, kind):
    link = make_link(variant=shirt.variants[0], channel="instagram", campaign="summer", placement="bio link")
    fast, fast_session, fast_code = _answer(app, f"/{kind}/{link.code}", fast=True, prime_cookie=True)
    slow, slow_session, slow_code = _answer(app, f"/{kind}/{link.code}", fast=False, prime_cookie=True)
    assert fast.status_code == slow.status_code == 302
    assert fast.headers["Location"] == slow.headers["Location"]
    assert fast.get_data() == slow.get_data()
    for name in ("Cache-Control", "Content-Type", "Content-Length", "Content-Security-Policy", "X-Frame-Options",
                 "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy"):
        assert fast.headers.get(name) == slow.headers.get(name), name
    # The same cookie, attribute for attribute (only the signed value and its timestamp differ).
    assert fast.headers["Set-Cookie"].split(";")[1:] == slow.headers["Set-Cookie"].split(";")[1:]
    assert fast.headers["Set-Cookie"].split("=")[0] == slow.headers["Set-Cookie"].split("=")[0]
    assert fast_session["cart"] == slow_session["cart"] == {"LIN-S": 2}  # the session is left alone
    assert fast_code == slow_code == link.code
    assert [h["kind"] for h in hits(app)] == [{"b": "click", "q": "scan"}[kind]] * 2


def test_the_fast_path_answers_without_the_flask_view(app, make_link, monkeypatch):
    from shopbridge.links import views

    link = make_link(channel="poster")
    monkeypatch.setattr(views, "_follow", lambda *a: pytest.fail("the Flask view should not run"))
    response, _, code = _answer(app, f"/q/{link.code}", fast=True)
    assert response.status_code == 302 and code == link.code


def test_bots_get_the_redirect_and_no_cookie(app, make_link):
    link = make_link(channel="facebook")
    response, _, code = _answer(app, f"/b/{link.code}", fast=True, headers={"User-Agent": FACEBOOK_PREVIEW})
    assert response.status_code == 302 and code is None
    assert "Set-Cookie" not in response.headers
    assert hits(app)[0]["is_bot"]


def test_everything_else_is_left_to_the_views(app, make_link, db_session):
    from shopbridge.links import service

    link = make_link(channel="poster")
    service.set_enabled(db_session, link, False)
    db_session.commit()
    app.config["LINK_FAST_PATH"] = True
    client = app.test_client()
    assert client.get(f"/b/{link.code}").status_code == 410
    assert client.get("/b/zzzzzzzz").status_code == 404
    assert client.post(f"/b/{link.code}").status_code == 405
    assert [h["ended"] for h in hits(app)] == [True]  # the ended link's visit, recorded once; 404 and 405 not
