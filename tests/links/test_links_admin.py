"""The shop manages its links in the admin; the agency reads the figures but changes nothing."""

from __future__ import annotations

import csv
import io
import re

from linkhelpers import ANDROID_INSTAGRAM, DESKTOP_CHROME, FACEBOOK_PREVIEW, IPHONE_SAFARI, decode, hits

from shopbridge.testing import csrf_token_from


def _visit(app, link, ua, kind="b", ip="203.0.113.1"):
    visitor = app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = ip
    return visitor.get(f"/{kind}/{link.code}", headers={"User-Agent": ua})


def test_staff_creates_a_link_for_a_poster_and_it_works(auth, client, shirt, app):
    auth.login("staff")
    form = client.get("/admin/links/new")
    assert form.status_code == 200
    response = client.post("/admin/links/new", data={
        "csrf_token": csrf_token_from(form.get_data(as_text=True)), "product": shirt.id,
        "variant": shirt.variants[0].id, "destination": "checkout", "channel": "poster",
        "campaign": "autumn", "placement": "poster, Cadorna station", "enabled": "y"})
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "poster, Cadorna station" in detail
    import re

    code = re.search(r"/q/([a-z0-9]{8})", detail).group(1)
    qr_src = re.search(r'class="qr-preview" src="([^"]+)"', detail).group(1).replace("&amp;", "&")
    assert decode(client.get(qr_src).data).endswith(f"/q/{code}")
    assert app.test_client().get(f"/q/{code}").status_code == 302


def test_bad_link_input_is_shown_next_to_the_field(auth, client, shirt):
    auth.login("owner")
    form = client.get("/admin/links/new")
    response = client.post("/admin/links/new", data={
        "csrf_token": csrf_token_from(form.get_data(as_text=True)), "product": shirt.id, "variant": 0,
        "destination": "checkout", "channel": "Not a channel!", "enabled": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "choose the variant" in page and "lower-case letters" in page
    assert "has-error" in page
    # Nothing was created.
    assert "No links yet" in client.get("/admin/links/").get_data(as_text=True)


def test_owner_edits_and_disables_a_link(auth, client, make_link, app):
    link = make_link(channel="instagram")
    auth.login("owner")
    page = client.get(f"/admin/links/{link.id}/edit")
    response = client.post(f"/admin/links/{link.id}/edit", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "product": link.product_id, "variant": 0,
        "destination": "product", "channel": "instagram", "campaign": "winter", "placement": "story",
        "enabled": "y"})
    assert response.status_code == 302
    location = app.test_client().get(f"/b/{link.code}").headers["Location"]
    assert "utm_campaign=winter" in location and "utm_content=story" in location

    response = client.post(f"/admin/links/{link.id}/enabled", data={"csrf_token": auth.csrf(), "enabled": "0"})
    assert response.status_code == 302
    assert app.test_client().get(f"/b/{link.code}").status_code == 410
    # A POST without the CSRF token changes nothing.
    assert client.post(f"/admin/links/{link.id}/enabled", data={"enabled": "1"}).status_code == 400
    assert app.test_client().get(f"/b/{link.code}").status_code == 410


MANAGE_ONLY = ["/admin/links/new", "/admin/links/{id}/edit", "/admin/links/{id}/poster.pdf",
               "/admin/links/product/{product}/poster.pdf", "/admin/links/labels",
               "/admin/links/labels.pdf?product={product}"]
VIEW = ["/admin/links/", "/admin/links/{id}", "/admin/analytics/", "/admin/analytics/export.csv"]


def test_role_permissions_on_every_link_page(app, users, make_link, shirt):
    from shopbridge.testing import AuthActions

    link = make_link(channel="instagram")
    urls = {path: path.format(id=link.id, product=shirt.id) for path in MANAGE_ONLY + VIEW}
    anonymous = app.test_client()
    for url in urls.values():
        response = anonymous.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], url
    for role in ("owner", "staff", "agency"):
        client = app.test_client()
        AuthActions(app, client, users).login(role)
        for path, url in urls.items():
            allowed = role != "agency" or path in VIEW
            assert client.get(url).status_code == (200 if allowed else 403), (role, url)


def test_every_route_of_the_feature_is_listed_above(app):
    """A new links/analytics page must be added to the role test."""
    from shopbridge.access import access_rule

    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("links", "analytics"):
            assert access_rule(app.view_functions[rule.endpoint])[0] == "requires", rule
            listed = [p for p in MANAGE_ONLY + VIEW if p.split("?")[0].replace("{id}", "<int:link_id>")
                      .replace("{product}", "<int:product_id>") == rule.rule]
            assert listed or rule.rule.endswith("/enabled"), rule.rule


def test_agency_cannot_change_links(app, users, make_link):
    from shopbridge.testing import AuthActions

    link = make_link(channel="instagram")
    client = app.test_client()
    agency = AuthActions(app, client, users)
    agency.login("agency")
    token = agency.csrf()
    assert client.post(f"/admin/links/{link.id}/enabled", data={"csrf_token": token, "enabled": "0"}).status_code == 403
    assert client.post("/admin/links/new", data={"csrf_token": token}).status_code == 403
    assert app.test_client().get(f"/b/{link.code}").status_code == 302  # still live
    page = client.get(f"/admin/links/{link.id}").get_data(as_text=True)
    assert "Disable" not in page and "Poster" not in page  # the page offers nothing it would refuse


def test_analytics_page_and_csv_show_the_same_figures(auth, client, app, make_link, shirt):
    insta = make_link(channel="instagram", campaign="summer")
    poster = make_link(channel="poster", campaign="summer", placement="Cadorna")
    _visit(app, insta, ANDROID_INSTAGRAM, ip="203.0.113.1")
    _visit(app, insta, ANDROID_INSTAGRAM, ip="203.0.113.1")
    _visit(app, insta, DESKTOP_CHROME, ip="203.0.113.2")
    _visit(app, poster, IPHONE_SAFARI, kind="q", ip="203.0.113.3")
    _visit(app, poster, FACEBOOK_PREVIEW, ip="203.0.113.4")
    assert len(hits(app)) == 5

    auth.login("agency")
    page = client.get("/admin/analytics/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Charts are server-drawn SVG: no inline script (the admin's own scripts come from files).
    assert "<svg" in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "Instagram" in html

    daily = list(csv.DictReader(io.StringIO(client.get("/admin/analytics/export.csv").get_data(as_text=True))))
    today = [row for row in daily if row["clicks"] != "0" or row["scans"] != "0"]
    assert len(today) == 1
    row = today[0]
    assert (row["clicks"], row["scans"], row["visitors"], row["bots"]) == ("3", "1", "3", "1")
    assert (row["android"], row["ios"], row["desktop"]) == ("2", "1", "1")
    assert row["in_app_Instagram"] == "2"

    channels = {r["channel"]: r for r in csv.DictReader(io.StringIO(
        client.get("/admin/analytics/export.csv?table=channel").get_data(as_text=True)))}
    assert channels["instagram"]["clicks"] == "3" and channels["poster"]["scans"] == "1"
    assert channels["poster"]["bots"] == "1"

    only_poster = client.get(f"/admin/analytics/export.csv?table=link&link={poster.id}").get_data(as_text=True)
    assert poster.code in only_poster and insta.code not in only_poster
    assert client.get("/admin/analytics/?start=2026-13-01").status_code == 400
    assert client.get("/admin/analytics/?start=2026-11-20&end=2026-11-01").status_code == 400
    assert client.get("/admin/analytics/export.csv?table=secrets").status_code == 400


def test_the_analytics_api_gives_the_same_figures(auth, client, app, make_link):
    link = make_link(channel="whatsapp", campaign="launch")
    _visit(app, link, IPHONE_SAFARI, ip="198.51.100.1")
    _visit(app, link, ANDROID_INSTAGRAM, kind="q", ip="198.51.100.2")
    _visit(app, link, "WhatsApp/2.23.20.0 A")
    token = auth.token("agency")
    response = client.get("/api/v1/analytics/links?channel=whatsapp",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["totals"] == {"clicks": 1, "scans": 1, "bots": 1, "visitors": 2, "ended": 0, "orders": 0}
    assert body["by_link"][0]["key"] == link.code
    assert body["by_campaign"][0]["key"] == "launch"
    assert sum(d["devices"]["ios"] for d in body["daily"]) == 1
    assert sum(d["in_app"].get("Instagram", 0) for d in body["daily"]) == 1
    # Same numbers as the admin's CSV.
    auth.login("owner")
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/analytics/export.csv?table=link").get_data(as_text=True))))
    assert rows[0]["clicks"] == "1" and rows[0]["scans"] == "1"

    assert client.get("/api/v1/analytics/links").status_code == 401  # the admin cookie is not enough
    bad = client.get("/api/v1/analytics/links?start=2026-11-20&end=2026-11-01",
                     headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "/api/v1/analytics/links" in client.get("/api/openapi.json").get_json()["paths"]


def test_charts_have_whole_number_ticks_and_no_inline_styles():
    from datetime import date, timedelta

    from shopbridge.links import charts

    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(7)]
    svg = str(charts.line_chart(days, {"clicks": [0, 1, 9, 3, 0, 2, 5]}, "Clicks"))
    ticks = [t.split(">")[1].split("<")[0] for t in svg.split("<text")[1:6]]
    assert ticks == ["0", "3", "6", "9", "12"]
    assert "style=" not in svg and "<script" not in svg
    bars = str(charts.bar_chart([("Instagram", 4), ("<b>web</b>", 2)], "In-app"))
    assert "&lt;b&gt;web&lt;/b&gt;" in bars  # labels are escaped
