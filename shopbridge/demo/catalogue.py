"""The demo catalogue: fourteen products in four categories, with drawn images.

It is meant to show everything the storefront does: variants by size and colour, a few combinations sold
out, one product sold out entirely, sale prices (compare-at), brands, and GTINs with valid GS1 check digits.
Products are created through the catalogue service and images stored through ``catalogue/images.py``, the
same paths the admin takes, so the demo also proves those paths work. Loading once is guarded by the marker in
:func:`shopbridge.demo.load_demo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from sqlmodel import Session

from shopbridge.catalogue import images
from shopbridge.catalogue.service import ProductInput, VariantInput, create_product
from shopbridge.demo.illustrations import colour, render

CURRENCY = "EUR"


def gtin13(body: str) -> str:
    """``body`` (12 digits) plus its GS1 check digit: a valid EAN-13."""
    digits = [int(c) for c in body]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return body + str((10 - total % 10) % 10)


@dataclass
class DemoProduct:
    title: str
    category: str
    brand: str
    shape: str
    price: int
    description: str
    colours: list[str]
    sizes: list[str] = field(default_factory=list)
    compare_at: int | None = None
    background: str = "warm"
    # (size, colour) pairs, or colours alone, that are sold out; "*" sells out everything.
    sold_out: set[str] = field(default_factory=set)
    stock: int = 12
    low: set[str] = field(default_factory=set)  # combinations with only a couple left
    gtin_base: str | None = None  # 10 digits; variants get consecutive numbers after it
    option: str = "colour"


PRODUCTS: list[DemoProduct] = [
    DemoProduct(
        "Organic cotton T-shirt", "Shirts", "Ortica", "tshirt", 2900,
        "A heavyweight tee in GOTS-certified organic cotton, garment-dyed so every colour is soft from the first "
        "wear.\n\nRelaxed fit, ribbed neck, double-stitched hems. Knitted and sewn in Prato.",
        ["Sage", "Navy", "Terracotta"], ["S", "M", "L", "XL"], sold_out={"XL/Sage", "S/Terracotta"},
        low={"M/Navy"}, gtin_base="8012345670", background="green",
    ),
    DemoProduct(
        "Washed linen shirt", "Shirts", "Ortica", "shirt", 6900,
        "European flax linen, stone-washed for a lived-in drape. A camp of a shirt for hot days that still "
        "looks right at dinner.\n\nMother-of-pearl buttons, one chest pocket.",
        ["White", "Sky"], ["S", "M", "L"], compare_at=8900, low={"L/Sky"}, background="cool",
    ),
    DemoProduct(
        "Oxford button-down", "Shirts", "Brera Shirtmakers", "shirt", 7900,
        "Our classic Oxford cloth button-down with a soft roll collar. This season's run has sold out; a new "
        "batch is on the looms.",
        ["Sky", "White"], ["M", "L"], sold_out={"*"}, background="cool",
    ),
    DemoProduct(
        "Merino long-sleeve tee", "Shirts", "Alpe", "tshirt", 5900,
        "Fine 17.5-micron merino that keeps you warm in the cold, cool in the sun and fresh for days.",
        ["Charcoal", "Forest"], ["S", "M", "L"], sold_out={"S/Forest"}, background="green",
    ),
    DemoProduct(
        "Canvas low-top sneakers", "Shoes", "Passo", "sneaker", 7500,
        "Vulcanised rubber soles, organic cotton canvas uppers and a cushioned cork footbed. Runs true to size.",
        ["Off-white", "Navy"], ["39", "40", "41", "42", "43", "44"],
        sold_out={"39/Navy", "44/Off-white"}, low={"42/Navy"}, gtin_base="8012345671", background="cool",
    ),
    DemoProduct(
        "Leather penny loafers", "Shoes", "Passo", "loafer", 14900,
        "Hand-stitched moccasin construction in vegetable-tanned calf leather, on a Blake-stitched leather sole "
        "that can be resoled for years.",
        ["Tan", "Black"], ["40", "41", "42", "43"], compare_at=17900, sold_out={"40/Black"},
        background="warm",
    ),
    DemoProduct(
        "Suede desert boots", "Shoes", "Passo", "loafer", 13900,
        "Soft suede on a natural crepe sole: the boot that goes with everything from chinos to a summer suit.",
        ["Sand", "Cognac"], ["41", "42", "43"], low={"41/Sand"}, background="rose",
    ),
    DemoProduct(
        "Waxed canvas tote", "Bags", "Sacco", "tote", 5900,
        "A roomy everyday tote in waxed cotton canvas that shrugs off rain, with leather-reinforced handles "
        "and an inside zip pocket.",
        ["Olive", "Sand", "Navy"], sold_out={"Navy"}, gtin_base="8012345672", background="warm",
    ),
    DemoProduct(
        "Roll-top backpack", "Bags", "Sacco", "backpack", 11900,
        "22 litres, a padded 16\" laptop sleeve and a roll-top that expands for the weekend. Recycled nylon, "
        "water-resistant.",
        ["Mustard", "Charcoal"], low={"Mustard"}, background="cool",
    ),
    DemoProduct(
        "Leather crossbody bag", "Bags", "Sacco", "crossbody", 9900,
        "Small enough for an evening, big enough for a phone, keys and a paperback. Full-grain leather with a "
        "brass stud closure and an adjustable strap.",
        ["Cognac"], background="rose",
    ),
    DemoProduct(
        "Stoneware mug", "Home", "Fornace", "mug", 1800,
        "Thrown by hand in Nove and glazed in small batches, so no two are quite alike. 350 ml, dishwasher safe.",
        ["Speckled white", "Sage", "Ink"], sold_out={"Ink"}, gtin_base="8012345673", background="rose",
    ),
    DemoProduct(
        "Terracotta bud vase", "Home", "Fornace", "vase", 3400,
        "Unglazed Impruneta terracotta, finished by hand. For a single stem, or for nothing at all.",
        ["Clay"], stock=3, background="warm",
    ),
    DemoProduct(
        "Linen cushion cover", "Home", "Ortica", "cushion", 3900,
        "Heavy stonewashed linen with a hidden zip. 50 × 50 cm; fits a standard insert (not included).",
        ["Rust", "Sage", "Ecru"], compare_at=4900, background="green",
    ),
    DemoProduct(
        "Soy wax candle", "Home", "Lume", "candle", 2600,
        "Hand-poured soy wax with a cotton wick in a reusable glass jar. About 45 hours of slow, clean burn.",
        ["Fig & cedar", "Orange blossom", "Sea salt"], sold_out={"Sea salt"}, gtin_base="8012345674",
        option="scent", background="rose",
    ),
]


def _sku(product: DemoProduct, *parts: str) -> str:
    stem = "".join(w[0] for w in product.title.split()).upper()
    tail = "-".join(p.upper().replace(" ", "").replace("&", "")[:6] for p in parts)
    return f"{stem}-{tail}"


def variants_for(product: DemoProduct) -> list[VariantInput]:
    out: list[VariantInput] = []
    combos = ([(s, c) for c in product.colours for s in product.sizes] if product.sizes
              else [(None, c) for c in product.colours])
    for n, (size, col) in enumerate(combos):
        key = f"{size}/{col}" if size else col
        if "*" in product.sold_out or key in product.sold_out:
            stock = 0
        elif key in product.low:
            stock = 2
        else:
            stock = product.stock + (n * 7) % 9
        options = {"size": size, product.option: col} if size else {product.option: col}
        gtin = gtin13(f"{product.gtin_base}{n:02d}") if product.gtin_base else None
        out.append(VariantInput(
            sku=_sku(product, *(p for p in (col, size) if p)),
            price_minor=product.price, compare_at_minor=product.compare_at, currency=CURRENCY, stock=stock,
            options=options, gtin=gtin,
        ))
    if len(out) == 1:
        out[0].options = {}  # a one-off product has nothing to choose
    return out


def load_catalogue(app: Flask, session: Session) -> None:
    """Create every demo product with one drawn image per colour (the first is the main image)."""
    for demo in PRODUCTS:
        product = create_product(session, ProductInput(
            title=demo.title, brand=demo.brand, category=demo.category, description=demo.description,
            status="active", variants=variants_for(demo),
        ))
        if product.category is not None and product.category.position == 0:
            product.category.position = 1 + [p.category for p in PRODUCTS].index(demo.category)
        for col in demo.colours:
            data = render(demo.shape, colour(col), demo.background)
            images.add_image(app.config["UPLOAD_DIR"], product, data, sizes=app.config["IMAGE_SIZES"],
                             max_bytes=app.config["MAX_UPLOAD_BYTES"],
                             alt=f"{demo.title} in {col.lower()}" if len(demo.colours) > 1 else demo.title)
        session.flush()
