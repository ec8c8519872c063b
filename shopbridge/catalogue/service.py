"""Catalogue operations: the only code that creates, changes or archives products.

The admin forms, the JSON API, the CSV import and the demo loader all go through these functions, so every
rule (unique SKU and slug, whole non-negative prices and stock, a real currency, a valid GTIN) is checked in
one place and every change lands in the audit log. Nothing here knows about Flask requests.

Validation collects *all* problems at once and raises :class:`CatalogueError` with field paths such as
``variants.1.sku``, which forms show next to the input and the API returns as problem details.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, func, or_, select, update

from shopbridge import audit
from shopbridge.accounts.models import User
from shopbridge.catalogue import images
from shopbridge.catalogue.models import Category, Image, Product, ProductStatus, Variant
from shopbridge.db import utcnow
from shopbridge.money import MoneyError, normalise_currency

MAX_PRICE_MINOR = 10**11  # a billion in major units: anything above is a typo, not a price
MAX_STOCK = 10**9  # also keeps stock inside every database's 32-bit integer


@dataclass
class FieldError:
    field: str
    message: str
    #: ``"conflict"`` when the input is fine on its own but clashes with what the catalogue already holds (a
    #: slug or SKU taken by another product); ``"invalid"`` otherwise. The API answers 409 vs 422 by it.
    code: str = "invalid"


class CatalogueError(ValueError):
    """Input the catalogue refuses; ``errors`` lists every problem with the field it belongs to."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    def as_dict(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for e in self.errors:
            found.setdefault(e.field, e.message)
        return found


@dataclass
class VariantInput:
    sku: str
    price_minor: Any
    currency: str
    stock: Any = 0
    options: dict[str, str] = field(default_factory=dict)
    compare_at_minor: Any = None
    gtin: str | None = None
    id: int | None = None  # set when editing an existing variant


@dataclass
class ProductInput:
    title: str
    variants: list[VariantInput]
    slug: str | None = None
    description: str = ""
    brand: str = ""
    category: str | None = None  # category name; created on first use
    status: str = ProductStatus.draft.value


def slugify(text: str) -> str:
    """``"Maglia Blu – Taglia M"`` → ``"maglia-blu-taglia-m"``: ASCII, lower case, hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:150] or "item"


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


def gtin_is_valid(code: str) -> bool:
    """GTIN-8/12/13/14 with a correct GS1 check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def _whole_number(value: Any, name: str, errors: list[FieldError], *, allow_none: bool = False) -> int | None:
    if value is None or value == "":
        if allow_none:
            return None
        errors.append(FieldError(name, "is required"))
        return None
    if isinstance(value, bool):
        errors.append(FieldError(name, "must be a whole number"))
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        errors.append(FieldError(name, "must be a whole number (prices are in cents: 1999 is 19.99)"
                                 if "price" in name or "compare" in name else "must be a whole number"))
        return None
    if value < 0:
        errors.append(FieldError(name, "cannot be negative"))
        return None
    return value


def validate(session: Session, data: ProductInput, product: Product | None = None) -> list[FieldError]:
    """Every problem with ``data``, as field errors; an empty list means it can be saved."""
    errors: list[FieldError] = []
    title = (data.title or "").strip()
    if not title:
        errors.append(FieldError("title", "is required"))
    elif len(title) > 200:
        errors.append(FieldError("title", "is longer than 200 characters"))

    slug = (data.slug or "").strip() or slugify(title)
    if not SLUG_RE.match(slug):
        errors.append(FieldError("slug", "may contain only lower-case letters, digits and single hyphens"))
    else:
        clash = session.exec(select(Product.id).where(Product.slug == slug)).first()
        if clash is not None and (product is None or clash != product.id):
            errors.append(FieldError("slug", f"“{slug}” is already used by another product", "conflict"))

    if data.status not in {s.value for s in ProductStatus}:
        errors.append(FieldError("status", "must be draft, active or archived"))

    if not data.variants:
        errors.append(FieldError("variants", "a product needs at least one variant"))

    own_variant_ids = {v.id for v in product.variants} if product is not None else set()
    seen_skus: dict[str, int] = {}
    for i, v in enumerate(data.variants):
        path = f"variants.{i}"
        sku = (v.sku or "").strip()
        if not sku:
            errors.append(FieldError(f"{path}.sku", "is required"))
        elif not SKU_RE.match(sku):
            errors.append(FieldError(f"{path}.sku", "use letters, digits, '.', '-', '_' or '/' (at most 64)"))
        elif sku.upper() in seen_skus:
            errors.append(FieldError(f"{path}.sku", f"“{sku}” is used twice in this product"))
        else:
            seen_skus[sku.upper()] = i
            owner = session.exec(select(Variant.id).where(func.upper(Variant.sku) == sku.upper())).first()
            if owner is not None and owner not in own_variant_ids:
                errors.append(FieldError(f"{path}.sku", f"SKU “{sku}” already belongs to another product",
                                         "conflict"))
            elif owner is not None and v.id is not None and owner != v.id:
                errors.append(FieldError(f"{path}.sku", f"SKU “{sku}” already belongs to another variant",
                                         "conflict"))
        if v.id is not None and v.id not in own_variant_ids:
            errors.append(FieldError(f"{path}.id", "is not a variant of this product"))

        price = _whole_number(v.price_minor, f"{path}.price_minor", errors)
        if price is not None and price > MAX_PRICE_MINOR:
            errors.append(FieldError(f"{path}.price_minor", "is implausibly large"))
        compare = _whole_number(v.compare_at_minor, f"{path}.compare_at_minor", errors, allow_none=True)
        if compare is not None and price is not None and compare and compare <= price:
            errors.append(FieldError(f"{path}.compare_at_minor", "must be higher than the price (it is the "
                                     "“was” price shown struck through)"))
        stock = _whole_number(v.stock, f"{path}.stock", errors)
        if stock is not None and stock > MAX_STOCK:
            errors.append(FieldError(f"{path}.stock", f"is implausibly large (at most {MAX_STOCK:,})"))
        try:
            normalise_currency(v.currency)
        except MoneyError as exc:
            errors.append(FieldError(f"{path}.currency", str(exc)))
        if v.gtin and not gtin_is_valid(v.gtin.strip()):
            errors.append(FieldError(f"{path}.gtin", "is not a valid GTIN (8, 12, 13 or 14 digits with a "
                                     "correct check digit)"))
        if not isinstance(v.options, dict) or not all(
            isinstance(k, str) and isinstance(val, str) for k, val in (v.options or {}).items()
        ):
            errors.append(FieldError(f"{path}.options", "must map option names to text values"))
    currencies = {(v.currency or "").strip().upper() for v in data.variants}
    if len(currencies) > 1:
        errors.append(FieldError("variants", "all variants of a product use the same currency"))
    return errors


def get_or_create_category(session: Session, name: str) -> Category:
    slug = slugify(name)
    category = session.exec(select(Category).where(Category.slug == slug)).first()
    if category is None:
        category = Category(slug=slug, name=name.strip())
        session.add(category)
        session.flush()
    return category


def _snapshot(product: Product) -> dict[str, Any]:
    return {
        "title": product.title,
        "slug": product.slug,
        "brand": product.brand,
        "status": product.status,
        "category": product.category.name if product.category else None,
        "description": product.description,
        "variants": [
            {"sku": v.sku, "price_minor": v.price_minor, "compare_at_minor": v.compare_at_minor,
             "currency": v.currency, "stock": v.stock, "options": v.options, "gtin": v.gtin}
            for v in product.variants
        ],
    }


def _apply(session: Session, product: Product, data: ProductInput) -> None:
    product.title = data.title.strip()
    product.slug = (data.slug or "").strip() or slugify(data.title)
    product.description = data.description or ""
    product.brand = (data.brand or "").strip()
    product.status = ProductStatus(data.status)
    product.category = get_or_create_category(session, data.category) if (data.category or "").strip() else None
    product.updated_at = utcnow()

    existing = {v.id: v for v in product.variants}
    kept: list[Variant] = []
    for position, v in enumerate(data.variants):
        variant = existing.get(v.id) if v.id is not None else None
        if variant is None:
            variant = Variant(sku="", price_minor=0, currency="EUR")
        variant.sku = v.sku.strip()
        variant.options = {str(k).strip(): str(val).strip() for k, val in (v.options or {}).items() if str(val).strip()}
        variant.price_minor = int(v.price_minor)
        variant.compare_at_minor = int(v.compare_at_minor) if v.compare_at_minor not in (None, "", 0) else None
        variant.currency = normalise_currency(v.currency)
        variant.stock = int(v.stock)
        variant.gtin = (v.gtin or "").strip() or None
        variant.position = position
        variant.updated_at = utcnow()
        kept.append(variant)
    product.variants = kept


def create_product(session: Session, data: ProductInput, user: User | None = None) -> Product:
    errors = validate(session, data)
    if errors:
        raise CatalogueError(errors)
    product = Product(slug="", title="")
    _apply(session, product, data)
    session.add(product)
    session.flush()
    audit.record(session, user, "product.create", product, {"after": _snapshot(product)})
    _changed(session, product)
    return product


def update_product(session: Session, product: Product, data: ProductInput, user: User | None = None) -> Product:
    errors = validate(session, data, product)
    if errors:
        raise CatalogueError(errors)
    before = _snapshot(product)
    _apply(session, product, data)
    session.add(product)
    session.flush()
    audit.record(session, user, "product.update", product, audit.diff(before, _snapshot(product)))
    _changed(session, product)
    return product


def set_status(session: Session, product: Product, status: ProductStatus, user: User | None = None) -> Product:
    before = product.status
    product.status = status
    product.updated_at = utcnow()
    session.add(product)
    session.flush()
    audit.record(session, user, f"product.{status.value}" if status != ProductStatus.active else "product.activate",
                 product, {"status": [str(before), status.value]})
    _changed(session, product)
    return product


def _changed(session: Session, product: Product) -> None:
    """Tell catalogue channels this product changed (they send it, debounced, after the commit)."""
    from shopbridge.channels.sync import catalogue_changed

    catalogue_changed(session, [product.id])


def archive_product(session: Session, product: Product, user: User | None = None) -> Product:
    return set_status(session, product, ProductStatus.archived, user)


def input_from_product(product: Product) -> ProductInput:
    """The editable form of an existing product (for partial updates: change a field, save the rest)."""
    return ProductInput(
        title=product.title,
        slug=product.slug,
        description=product.description,
        brand=product.brand,
        category=product.category.name if product.category else None,
        status=str(product.status.value if isinstance(product.status, ProductStatus) else product.status),
        variants=[
            VariantInput(id=v.id, sku=v.sku, price_minor=v.price_minor, currency=v.currency, stock=v.stock,
                         options=dict(v.options), compare_at_minor=v.compare_at_minor, gtin=v.gtin)
            for v in product.variants
        ],
    )


def _relative_errors(errors: list[FieldError], index: int) -> list[FieldError]:
    """Re-root ``variants.{index}.x`` errors at the variant (``x``), for callers that edit one variant."""
    prefix = f"variants.{index}."
    relative = []
    for e in errors:
        if e.field.startswith(prefix):
            relative.append(FieldError(e.field[len(prefix):], e.message, e.code))
        elif e.field == "variants":  # the only product-wide variant rule: one currency per product
            relative.append(FieldError("currency", e.message, e.code))
        else:
            relative.append(e)
    return relative


def _save_variant(session: Session, product: Product, data: ProductInput, index: int, user: User | None,
                  action: str) -> Variant:
    """Validate ``data`` as a whole product (so every catalogue rule applies) and save it; errors are
    reported relative to the variant at ``index``."""
    errors = validate(session, data, product)
    if errors:
        raise CatalogueError(_relative_errors(errors, index))
    before = _snapshot(product)
    _apply(session, product, data)
    session.add(product)
    session.flush()
    variant = product.variants[index]
    after = _snapshot(product)
    audit.record(session, user, action, variant,
                 {"product_id": product.id, **audit.diff({"variant": before["variants"][index:index + 1]},
                                                         {"variant": after["variants"][index:index + 1]})})
    return variant


def add_variant(session: Session, product: Product, data: VariantInput, user: User | None = None) -> Variant:
    """Add one variant to ``product`` with the same rules as a full product save.

    Raises :class:`CatalogueError` with field paths relative to the variant (``sku``, ``price_minor``).
    """
    full = input_from_product(product)
    data.id = None
    full.variants.append(data)
    return _save_variant(session, product, full, len(full.variants) - 1, user, "variant.create")


VARIANT_FIELDS = ("sku", "price_minor", "compare_at_minor", "currency", "stock", "options", "gtin")


def update_variant(session: Session, variant: Variant, changes: dict[str, Any],
                   user: User | None = None) -> Variant:
    """Change some fields of one variant (``changes`` maps names in :data:`VARIANT_FIELDS` to new values).

    Fields not named keep their value, so a stock sync can send ``{"stock": 3}`` alone. The whole product is
    re-validated; errors come back relative to the variant.
    """
    unknown = set(changes) - set(VARIANT_FIELDS)
    if unknown:
        raise CatalogueError([FieldError(name, "is not a variant field") for name in sorted(unknown)])
    product = variant.product
    full = input_from_product(product)
    index = next(i for i, v in enumerate(full.variants) if v.id == variant.id)
    for name, value in changes.items():
        setattr(full.variants[index], name, value)
    return _save_variant(session, product, full, index, user, "variant.update")


def adjust_stock(session: Session, variant: Variant, delta: int, user: User | None = None, *,
                 reason: str = "") -> Variant:
    """Add ``delta`` units to a variant's stock (negative to take some away) in one atomic UPDATE.

    Setting an absolute stock races with sales happening at the same moment (read 5, sell 1, write 15 over
    it); an adjustment cannot lose either change. Refuses, with a ``conflict`` error on ``delta``, to take
    the stock below zero or above :data:`MAX_STOCK`.
    """
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise CatalogueError([FieldError("delta", "must be a whole number")])
    before = variant.stock
    now = utcnow()
    done = session.execute(
        update(Variant)
        .where(Variant.id == variant.id, Variant.stock + delta >= 0, Variant.stock + delta <= MAX_STOCK)
        .values(stock=Variant.stock + delta, updated_at=now)
    )
    session.refresh(variant)
    if done.rowcount == 0:
        limit = "below zero" if variant.stock + delta < 0 else f"above {MAX_STOCK}"
        raise CatalogueError([FieldError("delta", f"would take the stock {limit} ({variant.stock} on hand)",
                                         "conflict")])
    session.execute(update(Product).where(Product.id == variant.product_id).values(updated_at=now))
    audit.record(session, user, "variant.stock", variant,
                 {"product_id": variant.product_id, "delta": delta, "stock": [before, variant.stock],
                  "reason": reason})
    return variant


def get_by_slug(session: Session, slug: str) -> Product | None:
    return session.exec(select(Product).where(Product.slug == slug)).first()


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def search_products(
    session: Session,
    *,
    q: str | None = None,
    status: str | None = None,
    category: str | None = None,
    stock: str | None = None,  # "in" or "out"
    updated_since: datetime | None = None,
    page: int = 1,
    per_page: int = 25,
    order: str = "-updated_at",
) -> Page:
    """Products matching the filters, newest change first, one page at a time."""
    query = select(Product)
    if q:
        like = f"%{q.strip().lower()}%"
        sku_match = select(Variant.product_id).where(func.lower(Variant.sku).like(like))
        query = query.where(or_(func.lower(Product.title).like(like), func.lower(Product.brand).like(like),
                                Product.id.in_(sku_match)))
    if status:
        query = query.where(Product.status == status)
    if category:
        query = query.join(Category).where(Category.slug == category)
    if stock in {"in", "out"}:
        in_stock = select(Variant.product_id).where(Variant.stock > 0)
        query = query.where(Product.id.in_(in_stock) if stock == "in" else Product.id.not_in(in_stock))
    if updated_since is not None:
        query = query.where(Product.updated_at >= updated_since)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    ordering = {
        "-updated_at": (Product.updated_at.desc(), Product.id.desc()),
        "updated_at": (Product.updated_at.asc(), Product.id.asc()),
        "title": (func.lower(Product.title).asc(), Product.id.asc()),
        "id": (Product.id.asc(),),
    }[order]
    page = max(1, page)
    items = session.exec(query.order_by(*ordering).offset((page - 1) * per_page).limit(per_page)).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def categories_in_use(session: Session) -> list[Category]:
    """Categories with at least one active product, for the storefront's navigation."""
    active = select(Product.category_id).where(Product.status == ProductStatus.active)
    return list(session.exec(select(Category).where(Category.id.in_(active)).order_by(Category.position,
                                                                                        Category.name)))


# --- Images ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the service sees it: bytes and the name the person gave it (for messages only)."""

    data: bytes
    filename: str = ""


@dataclass(frozen=True)
class ImageStore:
    """Where images go and how big they may be (from the app's configuration)."""

    upload_dir: str
    sizes: list[int]
    max_bytes: int


def check_images(uploads: list[Upload], store: ImageStore) -> list[FieldError]:
    """One field error (``images.<n>``) per upload that is not an acceptable image; writes nothing."""
    errors: list[FieldError] = []
    for i, upload in enumerate(uploads):
        try:
            images.check(upload.data, store.max_bytes)
        except images.ImageError as exc:
            name = upload.filename or f"file {i + 1}"
            errors.append(FieldError(f"images.{i}", f"{name}: {exc}"))
    return errors


def add_images(session: Session, product: Product, uploads: list[Upload], store: ImageStore,
               user: User | None = None) -> list[Image]:
    """Validate every upload first, then store them all after the product's existing images.

    Files are written before the transaction commits; if the caller's commit fails it must call
    :func:`discard_image_files` with the returned images so no file is left without its row.
    """
    errors = check_images(uploads, store)
    if errors:
        raise CatalogueError(errors)
    if product.id is None:
        session.flush()
    added: list[Image] = []
    try:
        for upload in uploads:
            added.append(images.add_image(store.upload_dir, product, upload.data, sizes=store.sizes,
                                          max_bytes=store.max_bytes))
        session.flush()
    except BaseException:
        discard_image_files(store, added)
        raise
    if added:
        product.updated_at = utcnow()
        audit.record(session, user, "product.images.add", product,
                     {"images": [i.path for i in added]})
    return added


def discard_image_files(store: ImageStore, stored: list[Image]) -> None:
    for image in stored:
        images.delete_files(store.upload_dir, image)


def _renumber(product: Product) -> None:
    for position, image in enumerate(product.images):
        image.position = position


def remove_image(session: Session, product: Product, image: Image, user: User | None = None) -> Image:
    """Detach and delete ``image``'s row; the caller deletes its files after committing."""
    if image.product_id != product.id:
        raise CatalogueError([FieldError("image", "is not an image of this product")])
    product.images.remove(image)
    _renumber(product)
    product.updated_at = utcnow()
    session.add(product)
    session.flush()
    audit.record(session, user, "product.images.remove", product, {"image": image.path})
    return image


def move_image(session: Session, product: Product, image: Image, offset: int, user: User | None = None) -> None:
    """Move ``image`` ``offset`` places (-1 earlier, +1 later); the first image is the one shoppers see first."""
    if image.product_id != product.id:
        raise CatalogueError([FieldError("image", "is not an image of this product")])
    ordered = list(product.images)
    old = ordered.index(image)
    new = max(0, min(len(ordered) - 1, old + offset))
    if new == old:
        return
    ordered.insert(new, ordered.pop(old))
    for position, item in enumerate(ordered):
        item.position = position
        session.add(item)
    product.updated_at = utcnow()
    session.add(product)
    session.flush()
    session.refresh(product, ["images"])
    audit.record(session, user, "product.images.reorder", product, {"image": image.path, "position": [old, new]})


# --- Bulk import ----------------------------------------------------------------------------------------------


def import_products(session: Session, items: list[tuple[ProductInput, Product | None]],
                    user: User | None = None) -> list[Product]:
    """Create or update every product in ``items`` (``None`` means "new") in the caller's transaction.

    Each product is validated again here; the first refusal raises :class:`CatalogueError` and the caller rolls
    the whole transaction back, so an import lands completely or not at all.
    """
    done: list[Product] = []
    for data, existing in items:
        if existing is None:
            done.append(create_product(session, data, user))
        else:
            done.append(update_product(session, existing, data, user))
    audit.record(session, user, "catalogue.import", None,
                 {"created": sum(1 for _, e in items if e is None), "updated": sum(1 for _, e in items if e)})
    return done


__all__ = [
    "CatalogueError", "FieldError", "ProductInput", "VariantInput", "Page", "archive_product", "create_product",
    "update_product", "set_status", "validate", "search_products", "slugify", "get_by_slug", "input_from_product",
    "categories_in_use", "get_or_create_category", "gtin_is_valid", "Upload", "ImageStore", "check_images",
    "add_images", "discard_image_files", "remove_image", "move_image", "import_products", "add_variant",
    "update_variant", "VARIANT_FIELDS", "adjust_stock", "MAX_STOCK",
]
