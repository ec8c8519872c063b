"""The catalogue as a spreadsheet: export, edit, import with a preview; a bad file or row imports nothing."""

from __future__ import annotations

import io

import pytest
from admin_helpers import catalogue_state, text
from pictures import png
from sqlmodel import Session, select

from shopbridge.accounts.models import AuditEntry
from shopbridge.catalogue.models import Product
from shopbridge.db import engine
from shopbridge.testing import csrf_token_from

HEADER = ("slug,title,description,brand,category,status,option1_name,option1_value,option2_name,option2_value,"
          "sku,price,compare_at_price,currency,stock,gtin")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CSV_MAX_BYTES": 20_000}


@pytest.fixture
def staff(auth):
    auth.login("staff")
    return auth


def _preview(client, csrf: str, data: bytes, name: str = "catalogue.csv"):
    return client.post("/admin/products/import", data={"csrf_token": csrf, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _confirm(client, preview_page: str):
    token = csrf_token_from(preview_page)
    import re

    import_token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview_page) or re.search(
        r'id="token" name="token" type="hidden" value="([^"]+)"', preview_page)
    return client.post("/admin/products/import/confirm", data={"csrf_token": token, "token": import_token.group(1)})


def _products(app) -> dict[str, Product]:
    with Session(engine(app)) as session:
        found = {p.slug: p for p in session.exec(select(Product))}
        for p in found.values():
            p.variants, p.category  # noqa: B018
        return found


def test_a_new_catalogue_is_previewed_then_imported_in_one_go(app, client, staff):
    csv_text = "\n".join([
        HEADER,
        'linen-shirt,Linen shirt,"Cool, light linen.",Acme,Shirts,active,Size,S,Colour,White,LIN-S-W,49.00,59.00,EUR,3,',
        "linen-shirt,,,,,,Size,M,Colour,White,LIN-M-W,49.00,,EUR,0,4006381333931",
        "wool-beanie,Wool beanie,,Acme,Hats,draft,,,,,WB-1,22,,EUR,12,",
    ]).encode()
    preview = _preview(client, staff.csrf("/admin/products/import"), csv_text)
    page = text(preview)
    assert preview.status_code == 200
    assert "3 rows, 2 products." in page and "Import 2 products" in page
    assert _products(app) == {}  # a preview writes nothing

    response = _confirm(client, preview.get_data(as_text=True))
    assert response.status_code == 302
    assert "Imported 2 products (2 new, 0 updated)." in text(client.get(response.headers["Location"]))
    products = _products(app)
    shirt = products["linen-shirt"]
    assert (shirt.title, shirt.description, shirt.category.name, shirt.status) == (
        "Linen shirt", "Cool, light linen.", "Shirts", "active")
    assert [(v.sku, v.options, v.price_minor, v.compare_at_minor, v.stock, v.gtin) for v in shirt.variants] == [
        ("LIN-S-W", {"Size": "S", "Colour": "White"}, 4900, 5900, 3, None),
        ("LIN-M-W", {"Size": "M", "Colour": "White"}, 4900, None, 0, "4006381333931")]
    assert products["wool-beanie"].variants[0].price_minor == 2200
    with Session(engine(app)) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "catalogue.import")).one()
    assert entry.changes == {"created": 2, "updated": 0} and entry.actor == "staff@example.com"


def test_export_then_import_changes_nothing_and_exports_the_same_file(app, client, staff, product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt", description="- breathable\n- =SUM(A1) is text here",
                    variants=[{"sku": "LIN-S", "price_minor": 4950, "compare_at_minor": 5900, "currency": "EUR",
                               "stock": 2, "options": {"Size": "S", "Colour": "Sand"}, "gtin": "4006381333931"},
                              {"sku": "LIN-M", "price_minor": 4950, "currency": "EUR", "stock": 0,
                               "options": {"Size": "M", "Colour": "Sand"}}])
    product_factory(title="Yukata", slug="yukata", category=None, status="draft",
                    variants=[{"sku": "YK-1", "price_minor": 12800, "currency": "JPY", "stock": 1}])
    exported = client.get("/admin/products/export.csv")
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in exported.headers["Content-Disposition"]
    first = exported.get_data()
    # A description starting with "-" or "=" would run as a formula in a spreadsheet; it is exported as text.
    assert b"\"'- breathable" in first

    before = catalogue_state(app)
    preview = _preview(client, staff.csrf("/admin/products/import"), first)
    assert preview.status_code == 200 and "update" in text(preview)
    assert _confirm(client, preview.get_data(as_text=True)).status_code == 302
    after = catalogue_state(app)
    assert after["products"] == before["products"] and after["variants"] == before["variants"]
    assert client.get("/admin/products/export.csv").get_data() == first


def test_a_file_with_bad_rows_lists_every_problem_and_imports_nothing(app, client, staff, product_factory):
    product_factory(title="Existing", slug="existing", variants=[
        {"sku": "TAKEN-1", "price_minor": 100, "currency": "EUR", "stock": 1}])
    before = catalogue_state(app)
    csv_text = "\n".join([
        HEADER,
        "good-shirt,Good shirt,,,,active,Size,S,,,GS-S,10.00,,EUR,1,",     # row 2: fine
        "good-shirt,Good shirt,,,,active,Size,M,,,GS-M,ten,,EUR,1,",       # row 3: price not a number
        "good-shirt,Other title,,,,active,Size,L,,,GS-S,10.00,,EUR,1,",    # row 4: title differs, SKU repeated
        "bad-stock,Bad stock,,,,active,,,,,BS-1,5.00,,EUR,-2,",             # row 5: negative stock
        "bad-money,Bad money,,,,active,,,,,BM-1,5.00,,XYZ,1,",              # row 6: unknown currency
        "taken,Taken,,,,active,,,,,taken-1,5.00,,EUR,1,",                   # row 7: SKU of another product
        "cheap,Cheap,,,,active,,,,,CH-1,5.00,4.00,EUR,1,",                  # row 8: compare-at below price
    ]).encode()
    response = _preview(client, staff.csrf("/admin/products/import"), csv_text)
    assert response.status_code == 422
    page = text(response)
    rows = _error_rows(page)
    assert ("row 3", "price", "“ten” is not an amount") in rows
    assert ("row 4", "title", "differs from row 2, the first row of product “good-shirt”") in rows
    assert ("row 4", "sku", "“GS-S” is also in row 2") in rows
    assert ("row 5", "stock", "cannot be negative") in rows
    assert ("row 6", "currency", "“XYZ” is not an ISO 4217 currency code (for example EUR, USD, GBP).") in rows
    assert ("row 7", "sku", "SKU “taken-1” already belongs to another product") in rows
    assert any(r[:2] == ("row 8", "compare_at_price") for r in rows)
    assert not any(r[0] == "row 2" for r in rows)
    assert "nothing will be imported" in page and "import/confirm" not in page
    assert catalogue_state(app) == before


def _error_rows(page: str) -> list[tuple[str, str, str]]:
    import re

    table = page.split('class="row-errors"', 1)[1].split("</table>", 1)[0]
    return [tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S))
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td>" in row]


def test_the_import_is_checked_again_when_confirmed(app, client, staff, product_factory):
    csv_text = f"{HEADER}\nnew-shirt,New shirt,,,,active,,,,,NS-1,10,,EUR,1,\n".encode()
    preview = _preview(client, staff.csrf("/admin/products/import"), csv_text)
    assert preview.status_code == 200
    # Meanwhile someone else gives that SKU to another product.
    product_factory(title="Quicker", slug="quicker", variants=[{"sku": "NS-1", "price_minor": 1, "currency": "EUR"}])
    before = catalogue_state(app)
    response = _confirm(client, preview.get_data(as_text=True))
    assert response.status_code == 422
    assert "SKU “NS-1” already belongs to another product" in text(response)
    assert catalogue_state(app) == before


def test_a_preview_of_another_person_cannot_be_imported(app, client, auth, users):
    auth.login("staff")
    preview = _preview(client, auth.csrf("/admin/products/import"),
                       f"{HEADER}\nnew-shirt,New shirt,,,,active,,,,,NS-1,10,,EUR,1,\n".encode())
    page = preview.get_data(as_text=True)
    auth.logout()
    auth.login("owner")
    import re

    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/admin/products/import/confirm", data={"csrf_token": auth.csrf(), "token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/products/import")
    assert _products(app) == {}


def test_a_spreadsheet_in_italian_with_semicolons_and_decimal_commas_is_understood(app, client, staff):
    csv_text = ("slug;title;sku;price;currency;stock\n"
                "camicia;Camicia di lino;CAM-1;49,90;EUR;3\n").encode("utf-8-sig")  # Excel adds a BOM
    preview = _preview(client, staff.csrf("/admin/products/import"), csv_text)
    assert preview.status_code == 200
    assert _confirm(client, preview.get_data(as_text=True)).status_code == 302
    assert _products(app)["camicia"].variants[0].price_minor == 4990


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    ("slug,title,sku,price,currency\nmaglia,Maglia è bella,M-1,10,EUR\n".encode("latin-1"),
     "The file is not UTF-8 text"),
    (png(120, 120), "This is not a CSV file (it contains binary data)."),
    (b"PK\x03\x04" + b"\x14" * 200, "This is a spreadsheet workbook (.xlsx or .ods), not a CSV file."),
    (b"Dear shop,\nplease add my products.\n", "This does not look like a catalogue CSV"),
    (b"slug,title,sku\nshirt,Shirt,S-1\n", "Required columns missing: price, currency."),
    (b"slug,title,sku,prise,price,currency\nshirt,Shirt,S-1,1,1,EUR\n", "Unknown column: prise."),
    (b"slug,title,sku,price,currency\n", "The file has column names but no products."),
    (b'slug,title,sku,price,currency\nshirt,"Shirt,S-1,1,EUR\n', "not valid CSV"),
    (HEADER.encode() + b"\n" + b"x" * 21_000, "the limit is"),
])
def test_a_malformed_file_gets_a_clear_message_and_imports_nothing(app, client, staff, data, message):
    before = catalogue_state(app)
    response = _preview(client, staff.csrf("/admin/products/import"), data)
    assert response.status_code == 400
    assert message in text(response)
    assert catalogue_state(app) == before
