"""marshmallow schemas of the JSON API: what goes in, what comes out, and what the OpenAPI document says.

The schemas check *shape* (types, ranges, lengths, enums, unknown fields) so that the OpenAPI document is
honest about what is accepted; the catalogue service then checks the *rules* (unique SKU and slug, a "was"
price above the price, one currency per product, GTIN check digits) exactly as it does for the admin.

Money is flat, as in the database: ``price_minor`` and ``compare_at_minor`` are whole numbers of minor units
(cents: ``1999`` is 19.99 EUR; for JPY ``1999`` is ¥1,999) next to the variant's ISO 4217 ``currency``.
"""

from __future__ import annotations

import copy
from typing import Any

from babel.numbers import list_currencies
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, validate

from shopbridge.catalogue.models import ProductStatus
from shopbridge.catalogue.service import MAX_PRICE_MINOR, SKU_RE, SLUG_RE

CURRENCIES = sorted(c for c in list_currencies() if len(c) == 3 and c.isalpha() and c.isupper())
MAX_STOCK = 10**9
STATUSES = [s.value for s in ProductStatus]

WHOLE = "must be a whole number"
WHOLE_MONEY = "must be a whole number of minor units (cents): 1999 means 19.99"


def _no_control_characters(value: str) -> None:
    # NUL cannot be stored by PostgreSQL and lone surrogates cannot be encoded as UTF-8: refuse them here
    # with a clear message rather than failing in the database.
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationError("contains characters that are not text (NUL or an unpaired surrogate)")


def Text(*, max_length: int, min_length: int = 0, **kwargs: Any) -> fields.String:  # noqa: N802
    """A string field with a length limit and no NUL or surrogate characters."""
    validators = [validate.Length(min=min_length, max=max_length,
                                  error=f"must be between {min_length} and {max_length} characters long"
                                  if min_length else f"must be at most {max_length} characters long"),
                  _no_control_characters]
    return fields.String(validate=validators, error_messages={"invalid": "must be a string"}, **kwargs)


class Bounded(validate.Range):
    """A range check whose messages say what is wrong in words ("cannot be negative"); still a ``Range``, so
    the OpenAPI document shows ``minimum`` and ``maximum``."""

    def __call__(self, value: Any) -> Any:
        if self.min is not None and value < self.min:
            raise ValidationError("cannot be negative" if self.min == 0 else f"must be at least {self.min}")
        if self.max is not None and value > self.max:
            raise ValidationError(f"is implausibly large (at most {self.max})")
        return value


def Amount(**kwargs: Any) -> fields.Integer:  # noqa: N802
    return fields.Integer(
        strict=True,
        validate=Bounded(min=0, max=MAX_PRICE_MINOR),
        error_messages={"invalid": WHOLE_MONEY},
        **kwargs,
    )


FRIENDLY_MESSAGES = {"required": "is required", "null": "may not be null"}


def _type_message(field_obj: fields.Field) -> str | None:
    for kind, message in ((fields.String, "must be a string"), (fields.Integer, WHOLE),
                          (fields.Dict, "must be a JSON object"), (fields.Nested, "must be a JSON object"),
                          (fields.List, "must be a list"), (fields.Boolean, "must be true or false")):
        if isinstance(field_obj, kind):
            return message
    return None


class StrictSchema(Schema):
    """Input schema: unknown fields are an error, so a typo such as ``"prise_minor"`` is never ignored."""

    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": "is not a known field",
        "type": "must be a JSON object",
    }

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        # marshmallow's stock messages ("Not a valid string.", "Missing data for required field.") read like a
        # stack trace; say the same in the words the admin uses. Messages a field sets itself are kept.
        defaults: dict[str, str] = {}
        for cls in reversed(type(field_obj).__mro__):
            defaults.update(getattr(cls, "default_error_messages", {}))
        for key, message in {**FRIENDLY_MESSAGES, "invalid": _type_message(field_obj),
                             "type": _type_message(field_obj)}.items():
            if message and field_obj.error_messages.get(key) == defaults.get(key):
                field_obj.error_messages[key] = message


# ---------------------------------------------------------------------------------------------------- output


class ProblemFieldSchema(Schema):
    field = fields.String(required=True, metadata={"description": "Path of the offending input, e.g. "
                                                   "`variants.0.sku`; empty for the body as a whole."})
    message = fields.String(required=True, metadata={"description": "What is wrong, for a person to read."})


class ProblemSchema(Schema):
    """An RFC 9457 problem document; every API error has this shape."""

    class Meta:
        unknown = EXCLUDE

    type = fields.String(required=True, metadata={"description": "URI naming the kind of problem."})
    title = fields.String(required=True, metadata={"description": "Short summary of the kind of problem."})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = fields.String(metadata={"description": "What went wrong in this request."})
    errors = fields.List(fields.Nested(ProblemFieldSchema), metadata={"description": "Field-level details."})


class CategorySchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)


class ImageSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "Absolute URL of the original image."})
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    alt = fields.String(required=True)


class VariantSchema(Schema):
    id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    options = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"description": "Option values, e.g. `{\"size\": \"M\"}`."})
    price_minor = fields.Integer(required=True, metadata={"description": "Price in minor units (cents)."})
    compare_at_minor = fields.Integer(required=True, allow_none=True,
                                      metadata={"description": "The struck-through “was” price, or null."})
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code, e.g. `EUR`."})
    stock = fields.Integer(required=True)
    gtin = fields.String(required=True, allow_none=True)
    position = fields.Integer(required=True)
    updated_at = fields.AwareDateTime(required=True, default_timezone=None)


class ProductSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    brand = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    category = fields.Nested(CategorySchema, required=True, allow_none=True)
    url = fields.String(required=True, metadata={"description": "The product's page on the storefront."})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    variants = fields.List(fields.Nested(VariantSchema), required=True)
    images = fields.List(fields.Nested(ImageSchema), required=True)


class PaginationSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Products matching the filters."})
    pages = fields.Integer(required=True)


class ProductPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class VariantListSchema(Schema):
    items = fields.List(fields.Nested(VariantSchema), required=True)


# ----------------------------------------------------------------------------------------------------- input


class ProductQuerySchema(Schema):
    """Filters, sort order and page of the product list. Unknown query parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**6),
                          error_messages={"invalid": WHOLE}, metadata={"description": "1-based page number."})
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100),
                              error_messages={"invalid": WHOLE},
                              metadata={"description": "Products per page, 1 to 100."})
    status = fields.String(validate=validate.OneOf(STATUSES, error="must be one of: " + ", ".join(STATUSES)))
    category = Text(max_length=120, metadata={"description": "Category slug."})
    q = Text(max_length=200, metadata={"description": "Search in title, brand and SKUs."})
    stock = fields.String(validate=validate.OneOf(["in", "out"], error="must be `in` or `out`"),
                          metadata={"description": "`in`: at least one variant in stock; `out`: none."})
    updated_since = fields.DateTime(
        error_messages={"invalid": "must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z"},
        metadata={"description": "Only products changed at or after this moment (ISO 8601; UTC if no "
                  "offset is given). Use it to sync incrementally."})
    sort = fields.String(
        load_default="id", validate=validate.OneOf(["id", "updated_at", "-updated_at", "title"]),
        metadata={"description": "`id` (default: stable while products change), `updated_at`, "
                  "`-updated_at` (newest change first) or `title`. Ties are broken by id."})


class VariantInSchema(StrictSchema):
    sku = fields.String(required=True, validate=[validate.Regexp(SKU_RE, error="use letters, digits, '.', '-', "
                                                                 "'_' or '/' (at most 64, starting with a "
                                                                 "letter or digit)")],
                        metadata={"description": "Stock-keeping unit, unique across the shop."})
    price_minor = Amount(required=True, metadata={"description": "Price in minor units (cents)."})
    compare_at_minor = Amount(allow_none=True, load_default=None,
                              metadata={"description": "“Was” price in minor units, above the price; or null."})
    currency = fields.String(
        required=True, validate=validate.OneOf(CURRENCIES, error="is not an ISO 4217 currency code (for "
                                               "example EUR, USD, GBP)"),
        metadata={"description": "ISO 4217 code in capitals; all variants of a product share it."})
    stock = fields.Integer(strict=True, load_default=0,
                           validate=Bounded(min=0, max=MAX_STOCK),
                           error_messages={"invalid": WHOLE},
                           metadata={"description": "Units on hand."})
    options = fields.Dict(keys=Text(min_length=1, max_length=40), values=Text(min_length=1, max_length=80),
                          load_default=dict, validate=validate.Length(max=10, error="at most 10 options"),
                          metadata={"description": "Option values, e.g. `{\"size\": \"M\", \"colour\": "
                                    "\"Blue\"}`."})
    gtin = fields.String(allow_none=True, load_default=None,
                         validate=validate.Regexp(r"^[0-9]{8,14}$", error="must be 8 to 14 digits"),
                         metadata={"description": "GTIN-8/12/13/14 (EAN/UPC) with a valid check digit."})


def _all_optional(schema: type[Schema], name: str, doc: str) -> type[Schema]:
    """A copy of ``schema`` whose fields are all optional and have no defaults (for PATCH bodies: only the
    fields sent change)."""
    copied = {}
    for field_name, field_obj in schema._declared_fields.items():
        clone = copy.deepcopy(field_obj)
        clone.required = False
        clone.load_default = missing
        copied[field_name] = clone
    made = StrictSchema.from_dict(copied, name=name)
    made.__doc__ = doc
    return made


VariantPatchSchema = _all_optional(VariantInSchema, "VariantPatch",
                                   "Any variant fields; only those sent change (e.g. `{\"stock\": 7}`).")


class ProductFieldsSchema(StrictSchema):
    title = Text(min_length=1, max_length=200, metadata={"description": "The product's name."})
    slug = fields.String(validate=[validate.Length(max=150, error="must be at most 150 characters long"),
                                   validate.Regexp(SLUG_RE, error="may contain only lower-case letters, "
                                                   "digits and single hyphens")],
                         metadata={"description": "URL name (`/p/<slug>`); made from the title if omitted."})
    description = Text(max_length=20000, metadata={"description": "Plain text shown on the product page."})
    brand = Text(max_length=120)
    category = Text(max_length=120, allow_none=True,
                    metadata={"description": "Category name; created on first use. null for none."})
    status = fields.String(validate=validate.OneOf(STATUSES, error="must be one of: " + ", ".join(STATUSES)),
                           metadata={"description": "`draft` (hidden), `active` (on sale) or `archived`."})


class ProductCreateSchema(ProductFieldsSchema):
    title = Text(min_length=1, max_length=200, required=True, metadata={"description": "The product's name."})
    status = fields.String(load_default="draft",
                           validate=validate.OneOf(STATUSES, error="must be one of: " + ", ".join(STATUSES)),
                           metadata={"description": "`draft` (default), `active` or `archived`."})
    variants = fields.List(fields.Nested(VariantInSchema), required=True,
                           validate=validate.Length(min=1, max=100, error="a product needs 1 to 100 variants"),
                           metadata={"description": "At least one variant; each carries SKU, price and stock."})


class ProductPatchSchema(ProductFieldsSchema):
    """Product-level fields, all optional. Variants change through the variant endpoints."""
