"""The catalogue as CSV: one row per variant, rows sharing a ``slug`` form one product.

The format (documented for shop owners in ``docs/catalogue-csv.md``) is what the export writes, so a file
exported, edited in a spreadsheet and imported again changes exactly what was edited. Reading happens in two
steps: :func:`plan` parses the file and validates **every** row with the same rules as the admin form
(:func:`service.validate`) plus the rules only a file can break (a SKU twice in the file, product columns that
disagree between rows of one product) and returns a :class:`Preview`; only a preview without errors may be
imported, in one transaction, by :func:`service.import_products`.

Problems with the file as a whole (not UTF-8, not CSV, too large, required columns missing) raise
:class:`CsvError` with a message that says what to do.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, select

from shopbridge.catalogue import service
from shopbridge.catalogue.models import Category, Product, ProductStatus, Variant
from shopbridge.catalogue.service import ProductInput, VariantInput
from shopbridge.money import Money, MoneyError, normalise_currency

PRODUCT_COLUMNS = ("slug", "title", "description", "brand", "category", "status")
VARIANT_COLUMNS = ("sku", "price", "compare_at_price", "currency", "stock", "gtin")
REQUIRED_COLUMNS = ("slug", "title", "sku", "price", "currency")
DEFAULT_OPTION_COLUMNS = 3
MAX_ROWS = 10_000
# Spreadsheets run cells starting with these as formulas; see _guard / _unguard.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CsvError(ValueError):
    """The file as a whole cannot be read; the message tells a person what to do about it."""


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1, the first product row is row 2
    column: str
    message: str


@dataclass
class PlannedProduct:
    slug: str
    data: ProductInput
    rows: list[int]
    existing: Product | None

    @property
    def action(self) -> str:
        return "create" if self.existing is None else "update"


@dataclass
class Preview:
    products: list[PlannedProduct] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    row_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.products)

    def items(self) -> list[tuple[ProductInput, Product | None]]:
        return [(p.data, p.existing) for p in self.products]

    def errors_by_row(self) -> list[tuple[int, list[RowError]]]:
        rows: dict[int, list[RowError]] = {}
        for e in sorted(self.errors, key=lambda e: (e.row, e.column)):
            rows.setdefault(e.row, []).append(e)
        return list(rows.items())


def option_columns(count: int) -> list[str]:
    return [name for n in range(1, count + 1) for name in (f"option{n}_name", f"option{n}_value")]


def header(option_count: int = DEFAULT_OPTION_COLUMNS) -> list[str]:
    return [*PRODUCT_COLUMNS, *option_columns(option_count), *VARIANT_COLUMNS]


# --- Reading --------------------------------------------------------------------------------------------------


def read_rows(data: bytes, *, max_bytes: int, max_rows: int = MAX_ROWS) -> list[tuple[int, dict[str, str]]]:
    """Decode and split the file into ``(row number, {column: value})``; raise :class:`CsvError` if unreadable."""
    if not data.strip():
        raise CsvError("The file is empty.")
    if len(data) > max_bytes:
        raise CsvError(f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB. "
                       "Split it into smaller files.")
    if data[:4] == b"PK\x03\x04":
        raise CsvError("This is a spreadsheet workbook (.xlsx or .ods), not a CSV file. In your spreadsheet "
                       "choose File → Save as / Download → “CSV UTF-8”.")
    if b"\x00" in data[:8192]:
        raise CsvError("This is not a CSV file (it contains binary data). Export the catalogue from your "
                       "spreadsheet as “CSV UTF-8”.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError(f"The file is not UTF-8 text (unreadable byte at position {exc.start}). Save it as "
                       "“CSV UTF-8” in your spreadsheet and upload it again.") from None

    first_line = text.splitlines()[0] if text.splitlines() else ""
    # Spreadsheets in many European locales write ";" because "," is their decimal separator.
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        raw_header = next(reader)
    except (csv.Error, StopIteration):
        raise CsvError("This is not a CSV file: its first row cannot be read as column names.") from None
    columns = [c.strip().lower().replace(" ", "_") for c in raw_header]
    known = set(PRODUCT_COLUMNS) | set(VARIANT_COLUMNS)
    unknown = [c for c in columns if c and c not in known and not _is_option_column(c)]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing and (len(columns) < 2 or len(unknown) == len([c for c in columns if c])):
        raise CsvError("This does not look like a catalogue CSV: the first row must name the columns "
                       f"({', '.join(REQUIRED_COLUMNS)} …).")
    if missing:
        raise CsvError(f"Required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}.")
    if unknown:
        raise CsvError(f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                       "Check the spelling against the documented format.")
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        raise CsvError(f"Column{'s' if len(duplicated) > 1 else ''} named twice: {', '.join(duplicated)}.")

    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            number = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= max_rows:
                raise CsvError(f"The file has more than {max_rows} rows; split it into smaller files.")
            extra = values[len(columns):]
            row = {c: _unguard(v.strip()) for c, v in zip(columns, values, strict=False) if c}
            if any(v.strip() for v in extra):
                row["__extra__"] = "1"
            rows.append((number, row))
    except csv.Error as exc:
        raise CsvError(f"Row {reader.line_num} is not valid CSV ({exc}). Check for a stray quote mark.") from None
    if not rows:
        raise CsvError("The file has column names but no products.")
    return rows


def _is_option_column(name: str) -> bool:
    if not name.startswith("option"):
        return False
    number, _, kind = name[len("option"):].partition("_")
    return number.isdigit() and kind in {"name", "value"}


def _option_numbers(row: dict[str, str]) -> list[int]:
    return sorted({int(c[len("option"):].partition("_")[0]) for c in row if _is_option_column(c)})


# --- Planning (validation) ------------------------------------------------------------------------------------

_PATH_TO_COLUMN = {"price_minor": "price", "compare_at_minor": "compare_at_price", "options": "option1_value",
                   "id": "sku"}


def plan(session: Session, data: bytes, *, max_bytes: int) -> Preview:
    """Parse ``data`` and validate every row; nothing is written."""
    rows = read_rows(data, max_bytes=max_bytes)
    preview = Preview(row_count=len(rows))
    errors: list[RowError] = []

    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in rows:
        if row.get("__extra__"):
            errors.append(RowError(number, "", "has more values than there are columns"))
        slug = row.get("slug", "") or (service.slugify(row["title"]) if row.get("title") else "")
        if not slug:
            errors.append(RowError(number, "slug", "is required (or give a title to make one from)"))
            continue
        groups.setdefault(slug, []).append((number, row))

    sku_rows: dict[str, int] = {}
    for slug, members in groups.items():
        first_number, first = members[0]
        for number, row in members[1:]:
            for column in PRODUCT_COLUMNS:
                value = row.get(column, "")
                if value and value != first.get(column, "") and column != "slug":
                    errors.append(RowError(number, column, f"differs from row {first_number}, the first row of "
                                                           f"product “{slug}”"))
        existing = service.get_by_slug(session, slug)
        by_sku = {v.sku.upper(): v.id for v in existing.variants} if existing else {}
        variants: list[VariantInput] = []
        for number, row in members:
            sku = row.get("sku", "")
            if sku:
                if sku.upper() in sku_rows:
                    errors.append(RowError(number, "sku", f"“{sku}” is also in row {sku_rows[sku.upper()]}"))
                else:
                    sku_rows[sku.upper()] = number
            variants.append(_variant(row, number, by_sku.get(sku.upper()), errors))
        status = first.get("status", "").lower() or (
            str(existing.status.value if hasattr(existing.status, "value") else existing.status) if existing
            else ProductStatus.draft.value)
        product_input = ProductInput(
            slug=slug, title=first.get("title", ""), description=first.get("description", ""),
            brand=first.get("brand", ""), category=first.get("category", "") or None, status=status,
            variants=variants,
        )
        numbers = [n for n, _ in members]
        for problem in service.validate(session, product_input, existing):
            errors.append(_row_error(problem, numbers))
        preview.products.append(PlannedProduct(slug=slug, data=product_input, rows=numbers, existing=existing))

    # One problem reported by both the file check and the service shows once.
    seen: set[tuple[int, str]] = set()
    for error in errors:
        if (error.row, error.column) not in seen:
            seen.add((error.row, error.column))
            preview.errors.append(error)
    return preview


def _variant(row: dict[str, str], number: int, variant_id: int | None, errors: list[RowError]) -> VariantInput:
    options: dict[str, str] = {}
    for n in _option_numbers(row):
        name, value = row.get(f"option{n}_name", ""), row.get(f"option{n}_value", "")
        if value and not name:
            errors.append(RowError(number, f"option{n}_name", "is required when option"
                                                              f"{n}_value is filled in"))
        elif name and name in options:
            errors.append(RowError(number, f"option{n}_name", f"“{name}” is named twice in this row"))
        elif value:
            options[name] = value
    currency = row.get("currency", "")
    try:
        readable: str | None = normalise_currency(currency)
    except MoneyError:
        readable = None  # validate() reports the currency itself
    return VariantInput(
        id=variant_id, sku=row.get("sku", ""), currency=currency, stock=row.get("stock", "") or "0",
        price_minor=_amount(row.get("price", ""), readable, number, "price", errors),
        compare_at_minor=_amount(row.get("compare_at_price", ""), readable, number, "compare_at_price", errors),
        gtin=row.get("gtin", "") or None, options=options,
    )


def _amount(text: str, currency: str | None, number: int, column: str, errors: list[RowError]) -> int | None:
    if not text:
        return None
    if currency is None:
        return 0
    try:
        return Money.parse(text, currency).amount_minor
    except MoneyError as exc:
        errors.append(RowError(number, column, str(exc)))
        return 0


def _row_error(problem: service.FieldError, numbers: list[int]) -> RowError:
    parts = problem.field.split(".")
    if parts[0] == "variants" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(numbers):
        return RowError(numbers[int(parts[1])], _PATH_TO_COLUMN.get(parts[2], parts[2]), problem.message)
    if parts[0] == "variants":
        return RowError(numbers[0], "", problem.message)
    return RowError(numbers[0], parts[0], problem.message)


# --- Writing --------------------------------------------------------------------------------------------------


def _guard(value: str) -> str:
    """Defuse spreadsheet formula injection (OWASP "CSV injection"): ``=HYPERLINK(...)`` becomes text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _unguard(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def export(session: Session, products: Iterator[Product] | None = None, *, batch: int = 200) -> Iterator[str]:
    """Yield the catalogue as CSV text, a few rows at a time, so a large shop streams without buffering."""
    option_count = DEFAULT_OPTION_COLUMNS
    for options in session.exec(select(Variant.options)):
        option_count = max(option_count, len(options or {}))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(option_count))
    if products is None:
        products = _all_products(session, batch)
    count = 0
    for product in products:
        for row in _rows_of(product, option_count):
            writer.writerow(row)
        count += 1
        if count % 20 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _all_products(session: Session, batch: int) -> Iterator[Product]:
    last_id = 0
    while True:
        chunk = session.exec(select(Product).where(Product.id > last_id).order_by(Product.id).limit(batch)).all()
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1].id


def _rows_of(product: Product, option_count: int) -> Iterator[list[str]]:
    names: list[str] = []
    for v in product.variants:
        names.extend(n for n in v.options if n not in names)
    category: Category | None = product.category
    status = str(product.status.value if hasattr(product.status, "value") else product.status)
    for v in product.variants:
        cells = [product.slug, product.title, product.description, product.brand,
                 category.name if category else "", status]
        for n in range(option_count):
            name = names[n] if n < len(names) else ""
            cells += [name, v.options.get(name, "") if name else ""]
        cells += [v.sku, Money(v.price_minor, v.currency).plain(),
                  Money(v.compare_at_minor, v.currency).plain() if v.compare_at_minor else "",
                  v.currency, str(v.stock), v.gtin or ""]
        yield [_guard(c) for c in cells]
