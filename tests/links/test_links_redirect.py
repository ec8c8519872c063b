"""A shopper follows a buy link: they land on the product with attribution, and the hit is recorded."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from linkhelpers import ANDROID_INSTAGRAM, DESKTOP_CHROME, FACEBOOK_PREVIEW, IPHONE_SAFARI, hits

from shopbridge.db import utcnow


def test_a_click_redirects_to_the_product_with_utm_parameters(client, make_link, app):
    link = make_link(channel="instagram", campaign="summer-sale", placement="bio link")
    response = client.get(f"/b/{link.code}", headers={"User-Agent": ANDROID_INSTAGRAM,
                                                        "Referer": "https://l.instagram.com/?u=secret-path"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")  # the shop's own host, never another
    assert location.path == "/p/linen-shirt"
    assert parse_qs(location.query) == {"utm_source": ["instagram"], "utm_medium": ["social"],
                                        "utm_campaign": ["summer-sale"], "utm_content": ["bio link"]}
    assert response.headers["Cache-Control"] == "no-store"
    [hit] = hits(app)
    assert hit["link_id"] == link.id and hit["kind"] == "click"
    assert hit["device"] == "android" and hit["in_app"] == "Instagram"
    assert hit["referrer_host"] == "l.instagram.com"  # the host only, never the path
    assert hit["is_bot"] is False or hit["is_bot"] == 0
    # The landing page exists and shows the product.
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_variant_link_preselects_the_variant(client, make_link, shirt):
    small = shirt.variants[0]
    link = make_link(variant=small, channel="whatsapp")
    location = urlsplit(client.get(f"/b/{link.code}").headers["Location"])
    query = parse_qs(location.query)
    assert location.path == "/p/linen-shirt"
    assert query["variant"] == [str(small.id)]
    assert query["utm_medium"] == ["messaging"]


def test_scan_to_buy_goes_to_the_product_page_until_checkout_exists(client, make_link, shirt, app):
    small = shirt.variants[0]
    link = make_link(variant=small, destination="checkout", channel="poster")
    response = client.get(f"/q/{link.code}", headers={"User-Agent": IPHONE_SAFARI})
    location = urlsplit(response.headers["Location"])
    if "checkout.start" in app.view_functions:
        assert "/checkout" in location.path
    else:
        assert location.path == "/p/linen-shirt"
        assert parse_qs(location.query)["variant"] == [str(small.id)]
    assert parse_qs(location.query)["utm_medium"] == ["qr"]  # a scan, whatever the channel
    assert hits(app)[0]["kind"] == "scan"


def test_scan_to_buy_opens_checkout_when_the_checkout_feature_is_installed(app, make_link, shirt):
    """With a ``checkout.start`` endpoint (the checkout feature), scan-to-buy links go straight to it."""
    if "checkout.start" not in app.view_functions:
        from flask import Blueprint

        from shopbridge.access import public

        fake = Blueprint("checkout", __name__)
        fake.add_url_rule("/checkout/start/<int:variant_id>", "start", public(lambda variant_id: "checkout"))
        app.register_blueprint(fake)
    link = make_link(variant=shirt.variants[0], destination="checkout", channel="poster")
    response = app.test_client().get(f"/q/{link.code}")
    location = urlsplit(response.headers["Location"])
    assert location.path.startswith("/checkout")
    assert str(shirt.variants[0].id) in location.path + location.query


def test_a_human_hit_remembers_the_link_for_checkout(client, make_link):
    link = make_link(channel="telegram")
    response = client.get(f"/b/{link.code}", headers={"User-Agent": IPHONE_SAFARI})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"sb_ref={link.code}.") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=2592000" in cookie  # the 30-day attribution window
    with client.session_transaction() as session:
        assert dict(session) == {}  # following a link never touches the shopper's session


def test_link_previews_get_the_redirect_but_are_not_clicks(client, make_link, app):
    link = make_link(channel="facebook")
    response = client.get(f"/b/{link.code}", headers={"User-Agent": FACEBOOK_PREVIEW})
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers  # bots carry no attribution into checkout
    [hit] = hits(app)
    assert hit["is_bot"] and hit["bot_name"] == "Facebook"

    from shopbridge.db import session_scope
    from shopbridge.links import analytics

    with session_scope(app) as s:
        report = analytics.report(s, analytics.Filters.last_days(1))
    assert report.totals == {"clicks": 0, "scans": 0, "bots": 1, "visitors": 0, "ended": 0, "orders": 0}


def test_unique_visitors_are_counted_per_day_without_storing_the_address(app, make_link):
    link = make_link(channel="instagram")
    alice, bob = app.test_client(), app.test_client()
    alice.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    bob.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    for _ in range(3):
        alice.get(f"/b/{link.code}", headers={"User-Agent": IPHONE_SAFARI})
    bob.get(f"/q/{link.code}", headers={"User-Agent": DESKTOP_CHROME})
    recorded = hits(app)
    assert len(recorded) == 4
    assert all("203.0.113.7" not in str(h.values()) for h in recorded)
    assert len({h["visitor"] for h in recorded}) == 2

    from shopbridge.db import session_scope
    from shopbridge.links import analytics

    with session_scope(app) as s:
        report = analytics.report(s, analytics.Filters.last_days(1))
    assert report.totals == {"clicks": 3, "scans": 1, "bots": 0, "visitors": 2, "ended": 0, "orders": 0}


def test_the_visitor_hash_changes_every_day():
    from datetime import date

    from shopbridge.links.service import visitor_hash

    today = visitor_hash("key", date(2026, 11, 23), "203.0.113.7", IPHONE_SAFARI)
    assert today == visitor_hash("key", date(2026, 11, 23), "203.0.113.7", IPHONE_SAFARI)
    assert today != visitor_hash("key", date(2026, 11, 24), "203.0.113.7", IPHONE_SAFARI)
    assert today != visitor_hash("other-key", date(2026, 11, 23), "203.0.113.7", IPHONE_SAFARI)


def test_unknown_codes_are_404(client, make_link):
    make_link()
    for code in ("zzzzzzzz", "abc", "../../etc", "AAAAAAAA"):
        assert client.get(f"/b/{code}").status_code == 404
        assert client.get(f"/q/{code}").status_code == 404


def test_a_disabled_link_shows_a_friendly_page_with_the_product(client, make_link, db_session, app):
    from shopbridge.links import service

    link = make_link(channel="instagram")
    service.set_enabled(db_session, link, False)
    db_session.commit()
    response = client.get(f"/b/{link.code}")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "no longer available" in page
    assert 'href="/p/linen-shirt"' in page
    [hit] = hits(app)  # recorded once (the fast path hands over to the view without counting it twice) …
    assert hit["ended"] and hit["kind"] == "click"

    from shopbridge.db import session_scope
    from shopbridge.links import analytics

    with session_scope(app) as s:  # … and never counted as a click
        report = analytics.report(s, analytics.Filters.last_days(1))
    assert report.totals == {"clicks": 0, "scans": 0, "bots": 0, "visitors": 0, "ended": 1, "orders": 0}


def test_the_owner_sees_that_an_ended_poster_is_still_scanned(client, make_link, db_session, app, auth):
    from shopbridge.links import service

    link = make_link(channel="poster", placement="Cadorna station")
    service.set_enabled(db_session, link, False)
    db_session.commit()
    for _ in range(2):
        assert client.get(f"/q/{link.code}", headers={"User-Agent": IPHONE_SAFARI}).status_code == 410
    auth.login("owner")
    page = client.get(f"/admin/links/{link.id}").get_data(as_text=True)
    assert "visits after the link ended" in page


def test_an_expired_link_is_410(client, make_link, db_session):
    link = make_link(channel="poster", expires_at=utcnow() + timedelta(hours=1))
    link.expires_at = utcnow() - timedelta(minutes=1)  # time passes
    db_session.add(link)
    db_session.commit()
    assert client.get(f"/q/{link.code}").status_code == 410


def test_a_link_to_an_archived_product_is_410_with_a_link_to_the_shop(client, make_link, db_session, shirt):
    from shopbridge.catalogue.service import archive_product

    link = make_link(channel="poster")
    archive_product(db_session, shirt)
    db_session.commit()
    response = client.get(f"/b/{link.code}")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "/p/linen-shirt" not in page
    assert 'href="/"' in page


@pytest.mark.parametrize("trick", [
    "https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example", "%2F%2Fevil.example",
    "https:%2F%2Fevil.example", "javascript:alert(1)", "/%5Cevil.example",
])
def test_no_open_redirect(client, make_link, trick):
    """Nothing a visitor sends can steer the redirect: not the path, not the query, not a Host header."""
    link = make_link(channel="instagram")
    attempts = [
        client.get(f"/b/{link.code}?next={trick}&url={trick}&redirect={trick}&utm_source={trick}"),
        client.get(f"/b/{link.code}/{trick}"),
        client.get(f"/b/{trick}"),
        client.get(f"/q/{link.code}?to={trick}"),
    ]
    for response in attempts:
        # Follow every redirect by hand (Werkzeug may first tidy "//" in a path): each hop stays on the shop's
        # host, and the chain ends on the product or on a 404.
        for _hop in range(3):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            location = response.headers["Location"]
            parts = urlsplit(location)
            assert parts.netloc in ("", "localhost"), location
            assert not parts.path.startswith("//") and "\\" not in parts.path, location
            if parts.path == "/p/linen-shirt":
                assert "evil" not in location
                break
            response = client.get(location)
        else:
            raise AssertionError("redirect loop")
        assert response.status_code in (200, 302, 404, 405)


def test_links_cannot_be_made_for_archived_products(db_session, shirt):
    from shopbridge.catalogue.service import archive_product
    from shopbridge.links import service

    archive_product(db_session, shirt)
    db_session.commit()
    with pytest.raises(service.LinkError) as caught:
        service.create_link(db_session, product=shirt, destination="product", channel="instagram")
    assert "archived" in caught.value.as_dict()["product"]


def test_link_input_is_checked(db_session, shirt):
    from shopbridge.links import service

    with pytest.raises(service.LinkError) as caught:
        service.create_link(db_session, product=shirt, destination="checkout", channel="Insta Gram!",
                            campaign="x" * 81, expires_at=utcnow() - timedelta(days=1))
    errors = caught.value.as_dict()
    assert set(errors) == {"variant", "channel", "campaign", "expires_at"}


def test_codes_are_short_random_and_unambiguous(db_session, shirt):
    from shopbridge.links import service

    codes = {service.create_link(db_session, product=shirt, channel="x").code for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert len(code) <= 8
        assert not set(code) & set("0o1liI")
        assert service.CODE_RE.match(code)


def test_the_default_link_is_made_once_per_product_and_variant(db_session, shirt):
    from shopbridge.links import service

    first = service.default_link(db_session, shirt)
    assert service.default_link(db_session, shirt).id == first.id
    per_variant = service.default_link(db_session, shirt, shirt.variants[1])
    assert per_variant.id != first.id and per_variant.variant_id == shirt.variants[1].id
    assert service.default_link(db_session, shirt, shirt.variants[1]).id == per_variant.id


def test_changes_bump_the_version_and_are_audited(db_session, make_link):
    import sqlalchemy as sa

    from shopbridge.accounts.models import AuditEntry
    from shopbridge.links import service

    link = make_link(channel="instagram")
    service.update_link(db_session, link, campaign="black-friday")
    service.update_link(db_session, link, campaign="black-friday")  # no change, no new version
    db_session.commit()
    assert link.version == 2
    actions = db_session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions[-2:] == ["link.create", "link.update"]


def test_a_change_made_by_another_worker_is_seen_within_the_cache_ttl(app, client, make_link):
    """The code → link cache is bounded: another process's change shows within LINK_CACHE_SECONDS."""
    import time

    import sqlalchemy as sa

    from shopbridge.db import engine
    from shopbridge.links.models import BuyLink

    app.config["LINK_CACHE_SECONDS"] = 0.3
    link = make_link(channel="poster")
    assert client.get(f"/q/{link.code}").status_code == 302
    with engine(app).begin() as conn:  # as another worker would: straight in the database
        conn.execute(sa.update(BuyLink.__table__).where(BuyLink.id == link.id).values(enabled=False))
    time.sleep(0.35)
    assert client.get(f"/q/{link.code}").status_code == 410


def test_an_italian_shopper_reads_the_gone_page_in_italian(client, make_link, db_session):
    from shopbridge.links import service

    link = make_link(channel="poster")
    service.set_enabled(db_session, link, False)
    db_session.commit()
    page = client.get(f"/b/{link.code}", headers={"Accept-Language": "it-IT,it;q=0.9"}).get_data(as_text=True)
    assert "Questo link non è più disponibile" in page and "Vedi il prodotto" in page


def test_a_database_failure_still_sends_the_shopper_on_or_answers_503(client, make_link, monkeypatch, app, caplog):
    import sqlalchemy as sa

    from shopbridge.links import service

    link = make_link(channel="poster")
    assert client.get(f"/q/{link.code}", headers={"User-Agent": IPHONE_SAFARI}).status_code == 302  # known now

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    other = make_link(channel="whatsapp")  # never read by this process: nothing to fall back on
    monkeypatch.setattr(service, "resolve", broken)
    response = client.get(f"/b/{other.code}")
    assert response.status_code == 503 and "try again" in response.get_data(as_text=True)
    assert "could not read buy link" in caplog.text


def test_a_scan_while_the_database_is_down_is_kept_and_counted_later(client, make_link, monkeypatch, app):
    import sqlalchemy as sa

    from shopbridge.links import service, views

    link = make_link(channel="poster")
    client.get(f"/q/{link.code}", headers={"User-Agent": IPHONE_SAFARI})  # this process has read the link
    views.resolved_cache(app).ttl = 0.000001  # the cached copy is stale: the next scan asks the database

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))

    with monkeypatch.context() as m:
        m.setattr(service, "resolve", broken)
        response = client.get(f"/q/{link.code}", headers={"User-Agent": IPHONE_SAFARI})
    assert response.status_code == 302 and response.headers["Location"].startswith("/p/linen-shirt")
    assert [h["kind"] for h in hits(app)] == ["scan", "scan"]  # the outage lost nothing