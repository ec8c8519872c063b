"""What every page reads (shop name, navigation, scan-to-buy link) is remembered briefly, never served stale for
long: the person who changes it sees the change at once, other worker processes within READ_CACHE_SECONDS."""

from __future__ import annotations

import time

import sqlalchemy as sa

from shopbridge.db import engine
from shopbridge.testing import make_product


def _statements(app, client, path: str) -> int:
    seen: list[str] = []

    def count(*args) -> None:
        seen.append(args[2])

    sa.event.listen(engine(app), "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(engine(app), "before_cursor_execute", count)
    return len(seen)


def test_a_busy_product_page_only_reads_the_product(app, client, db_session):
    make_product(db_session, title="Linen shirt", slug="linen-shirt")
    db_session.commit()
    client.get("/p/linen-shirt")  # the first view makes the scan-to-buy link
    client.get("/p/linen-shirt")
    # The product with its category, its variants, its images; nothing about the shop or the navigation.
    assert _statements(app, client, "/p/linen-shirt") == 3


def test_the_owner_sees_a_new_shop_name_on_the_next_page(app, client, auth, db_session):
    make_product(db_session, title="Linen shirt", slug="linen-shirt")
    db_session.commit()
    assert "shopbridge demo shop" in client.get("/p/linen-shirt").get_data(as_text=True)
    auth.login("owner")
    page = client.get("/admin/settings").get_data(as_text=True)
    from shopbridge.testing import csrf_token_from

    client.post("/admin/settings", data={"csrf_token": csrf_token_from(page), "shop_name": "Bottega Riva",
                                         "default_currency": "EUR", "default_locale": "en"})
    assert "Bottega Riva" in client.get("/p/linen-shirt").get_data(as_text=True)


def test_another_workers_change_shows_within_the_cache_time(app, client, db_session):
    app.config["READ_CACHE_SECONDS"] = 0.3
    make_product(db_session, title="Linen shirt", slug="linen-shirt")
    db_session.commit()
    assert "shopbridge demo shop" in client.get("/p/linen-shirt").get_data(as_text=True)
    # Another process saves the setting: nothing in this process hears about it.
    from shopbridge.accounts.models import Setting
    from shopbridge.db import utcnow

    with engine(app).begin() as conn:  # a Core statement: no ORM flush, so this process hears nothing
        conn.execute(sa.insert(Setting.__table__).values(key="shop_name", value="Bottega Riva", is_secret=False,
                                                         updated_at=utcnow()))
    time.sleep(0.35)
    assert "Bottega Riva" in client.get("/p/linen-shirt").get_data(as_text=True)
