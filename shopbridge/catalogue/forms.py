"""The product form: what a person types, turned into a :class:`~shopbridge.catalogue.service.ProductInput`.

The form does no business validation of its own. It parses what only a form has to parse (a price typed as
``19,99`` becomes minor units of the chosen currency) and hands the rest to :func:`service.validate`, whose
field paths (``variants.1.sku``) are mapped back onto the inputs here, so a rule lives in one place and the
admin, the API and the CSV import report it the same way.

Option names (Size, Colour …) are asked once per product and each variant row holds the values, the way a shop
owner thinks about them: "this T-shirt comes in sizes and colours".
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

try:  # WTForms 3.3 names choices; tuples still work before it (and warn after it)
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    def SelectChoice(value: str, label: Any = None) -> tuple:  # noqa: N802
        return (value, label or value)

from shopbridge.catalogue.models import Product, ProductStatus
from shopbridge.catalogue.service import FieldError, ProductInput, VariantInput
from shopbridge.money import Money, MoneyError, normalise_currency

OPTION_SLOTS = 3
COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK", "JPY", "CAD", "AUD")
STATUS_CHOICES = [
    SelectChoice(ProductStatus.draft.value, _l("Draft (hidden from the shop)")),
    SelectChoice(ProductStatus.active.value, _l("Active (for sale)")),
    SelectChoice(ProductStatus.archived.value, _l("Archived")),
]


class VariantForm(Form):
    """One row of the variants table (a sub-form: the product form carries the CSRF token)."""

    id = HiddenField()
    option1 = StringField(_l("Option 1"), validators=[Length(max=60)])
    option2 = StringField(_l("Option 2"), validators=[Length(max=60)])
    option3 = StringField(_l("Option 3"), validators=[Length(max=60)])
    sku = StringField(_l("SKU"), validators=[Length(max=64)])
    price = StringField(_l("Price"), render_kw={"inputmode": "decimal", "placeholder": "19.99"})
    compare_at = StringField(_l("Compare-at price"), render_kw={"inputmode": "decimal"})
    stock = StringField(_l("Stock"), render_kw={"inputmode": "numeric"})
    gtin = StringField(_l("GTIN"), render_kw={"inputmode": "numeric"})

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in self if f.name.rsplit("-", 1)[-1] != "id") and \
            not (self.id.data or "").strip()


class ProductForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    slug = StringField(_l("Web address"), validators=[Optional(), Length(max=160)])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default=ProductStatus.draft.value)
    brand = StringField(_l("Brand"), validators=[Length(max=120)])
    category = StringField(_l("Category"), validators=[Length(max=120)], render_kw={"list": "categories"})
    description = TextAreaField(_l("Description"))
    currency = StringField(_l("Currency"), default="EUR", render_kw={"list": "currencies", "maxlength": 3,
                                                                      "autocapitalize": "characters"})
    option1_name = StringField(_l("Option 1 name"), validators=[Length(max=40)], render_kw={"placeholder": "Size"})
    option2_name = StringField(_l("Option 2 name"), validators=[Length(max=40)],
                               render_kw={"placeholder": "Colour"})
    option3_name = StringField(_l("Option 3 name"), validators=[Length(max=40)])
    variants = FieldList(FormField(VariantForm), min_entries=1)
    images = MultipleFileField(_l("Add images"), render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"})

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.general_errors: list[str] = []

    # --- from and to the service's shapes ------------------------------------------------------------------

    @staticmethod
    def data_from_product(product: Product) -> dict[str, Any]:
        """Initial form data for editing ``product``: prices back as decimals, options split into slots."""
        names: list[str] = []
        for v in product.variants:
            for name in v.options:
                if name not in names:
                    names.append(name)
        rows = []
        for v in product.variants:
            row = {"id": str(v.id), "sku": v.sku, "price": Money(v.price_minor, v.currency).plain(),
                   "compare_at": Money(v.compare_at_minor, v.currency).plain() if v.compare_at_minor else "",
                   "stock": str(v.stock), "gtin": v.gtin or ""}
            for n, name in enumerate(names[:OPTION_SLOTS], 1):
                row[f"option{n}"] = v.options.get(name, "")
            rows.append(row)
        data: dict[str, Any] = {
            "title": product.title, "slug": product.slug, "status": str(product.status.value
                                                                       if hasattr(product.status, "value")
                                                                       else product.status),
            "brand": product.brand, "category": product.category.name if product.category else "",
            "description": product.description,
            "currency": product.variants[0].currency if product.variants else "EUR",
            "variants": rows,
        }
        for n, name in enumerate(names[:OPTION_SLOTS], 1):
            data[f"option{n}_name"] = name
        return data

    def variant_rows(self) -> list[dict[str, str]]:
        """The variant rows as plain dicts, for re-rendering with a row added or removed."""
        return [{key.rsplit("-", 1)[-1]: (f.data or "") for key, f in row.form._fields.items()}
                for row in self.variants]

    def form_data(self) -> dict[str, Any]:
        data = {name: field.data for name, field in self._fields.items()
                if name not in {"variants", "images", "csrf_token"}}
        data["variants"] = self.variant_rows()
        return data

    def to_input(self) -> tuple[ProductInput, list[FieldError], list[int]]:
        """The typed values as a ``ProductInput``, the parse errors, and for each variant its row in the form.

        Rows left completely empty (an "add a variant" click never filled in) are ignored rather than refused.
        """
        errors: list[FieldError] = []
        currency_text = (self.currency.data or "").strip().upper()
        try:
            currency: str | None = normalise_currency(currency_text)
        except MoneyError:
            currency = None  # the service reports the currency; prices cannot be read without it

        names = [(getattr(self, f"option{n}_name").data or "").strip() for n in range(1, OPTION_SLOTS + 1)]
        seen: set[str] = set()
        for n, name in enumerate(names, 1):
            if name and name.lower() in seen:
                errors.append(FieldError(f"option{n}_name", "is the same as another option's name"))
            seen.add(name.lower())

        variants: list[VariantInput] = []
        rows: list[int] = []
        for index, row_field in enumerate(self.variants):
            row = row_field.form
            if row.is_blank():
                continue
            path = f"variants.{len(variants)}"
            options: dict[str, str] = {}
            for n, name in enumerate(names, 1):
                value = (getattr(row, f"option{n}").data or "").strip()
                if value and not name:
                    errors.append(FieldError(f"{path}.option{n}", "name this option first (for example Size)"))
                elif value:
                    options[name] = value
            raw_id = (row.id.data or "").strip()
            variants.append(VariantInput(
                id=int(raw_id) if raw_id.isdigit() else None,
                sku=(row.sku.data or "").strip(),
                price_minor=_parse_amount(row.price.data, currency, f"{path}.price_minor", errors),
                compare_at_minor=_parse_amount(row.compare_at.data, currency, f"{path}.compare_at_minor", errors),
                currency=currency_text,
                stock=(row.stock.data or "").strip(),
                gtin=(row.gtin.data or "").strip() or None,
                options=options,
            ))
            rows.append(index)
        data = ProductInput(
            title=(self.title.data or "").strip(),
            slug=(self.slug.data or "").strip() or None,
            status=self.status.data or ProductStatus.draft.value,
            brand=(self.brand.data or "").strip(),
            category=(self.category.data or "").strip() or None,
            description=self.description.data or "",
            variants=variants,
        )
        return data, errors, rows

    def show_errors(self, errors: list[FieldError], rows: list[int]) -> None:
        """Put each service error next to the input it is about; anything else goes above the form."""
        for error in errors:
            target = self._field_for(error.field, rows)
            if target is None:
                self.general_errors.append(f"{error.field}: {error.message}" if error.field != "variants"
                                           else error.message)
                continue
            existing = list(target.errors or [])
            if error.message not in existing:
                target.errors = [*existing, error.message]

    _VARIANT_FIELDS = {"sku": "sku", "price_minor": "price", "compare_at_minor": "compare_at", "stock": "stock",
                       "gtin": "gtin", "option1": "option1", "option2": "option2", "option3": "option3",
                       "options": "option1"}

    def _field_for(self, path: str, rows: list[int]):
        parts = path.split(".")
        if parts[0] in {"title", "slug", "status", "brand", "category", "description", "option1_name",
                        "option2_name", "option3_name"}:
            return getattr(self, parts[0])
        if parts[0] == "images":
            return self.images
        if parts[0] == "variants" and len(parts) == 3 and parts[1].isdigit():
            if parts[2] == "currency":
                return self.currency
            index = int(parts[1])
            name = self._VARIANT_FIELDS.get(parts[2])
            if name and index < len(rows):
                return getattr(self.variants[rows[index]].form, name)
        return None


def _parse_amount(text: str | None, currency: str | None, path: str, errors: list[FieldError]) -> Any:
    """``"19,99"`` → 1999 for EUR. Blank stays blank (the service decides whether it is required)."""
    text = (text or "").strip()
    if not text:
        return None
    if currency is None:
        return 0  # unreadable without a currency; the currency error is what the person needs to fix first
    try:
        return Money.parse(text, currency).amount_minor
    except MoneyError as exc:
        errors.append(FieldError(path, str(exc)))
        return 0


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), render_kw={"accept": ".csv,text/csv"})


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
