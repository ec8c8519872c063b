"""The variant picker: which variant is selected, what each option offers, and how stock reads to a shopper.

A product's variants carry option values such as ``{"size": "M", "colour": "Navy"}``. The product page shows
them two ways at once, so that it works with and without JavaScript:

- a plain radio list of variants named ``variant_id`` (every combination, sold-out ones disabled): this is
  what a browser without JavaScript submits, so the posted ``variant_id`` is always the one the shopper chose;
- one radio group per option (size, colour …), which ``static/js/variant-picker.js`` reveals and keeps in
  sync with the list; values that make no available combination with the current choice are disabled.

Everything here is plain data built from the product; templates only render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext, lazy_gettext

from shopbridge.catalogue.models import Product, Variant

LOW_STOCK = 5  # at or below this many, the page says "Only N left"

# Option names a shop commonly uses, translated for the shopper; any other name is shown as the shop typed it.
OPTION_LABELS = {
    "size": lazy_gettext("Size"),
    "colour": lazy_gettext("Colour"),
    "color": lazy_gettext("Colour"),
    "material": lazy_gettext("Material"),
    "scent": lazy_gettext("Scent"),
    "style": lazy_gettext("Style"),
    "fit": lazy_gettext("Fit"),
    "width": lazy_gettext("Width"),
}


def option_label(name: str) -> str:
    label = OPTION_LABELS.get(name.strip().lower())
    return str(label) if label is not None else name[:1].upper() + name[1:]


@dataclass(frozen=True)
class StockState:
    """How a variant's stock reads: ``in`` (plenty), ``low`` (only ``count`` left) or ``out`` (sold out)."""

    state: str
    count: int

    @classmethod
    def of(cls, variant: Variant | None) -> StockState:
        stock = variant.stock if variant is not None else 0
        if stock <= 0:
            return cls("out", 0)
        if stock <= LOW_STOCK:
            return cls("low", stock)
        return cls("in", stock)

    @property
    def available(self) -> bool:
        return self.state != "out"


@dataclass(frozen=True)
class OptionValue:
    value: str
    checked: bool
    # False when no in-stock variant has this value together with the other selected options (shown struck
    # through; picking it moves the other options to the nearest combination that is in stock).
    available: bool
    # False when no variant with this value is in stock at all: the radio is disabled.
    selectable: bool


@dataclass(frozen=True)
class OptionGroup:
    name: str
    values: list[OptionValue]

    @property
    def label(self) -> str:
        return option_label(self.name)


@dataclass
class Picker:
    product: Product
    selected: Variant | None
    option_names: list[str] = field(default_factory=list)
    groups: list[OptionGroup] = field(default_factory=list)

    @property
    def variants(self) -> list[Variant]:
        return list(self.product.variants)

    @property
    def has_choice(self) -> bool:
        """More than one variant: the shopper has something to pick."""
        return len(self.product.variants) > 1

    @property
    def uses_option_groups(self) -> bool:
        return bool(self.groups)

    @property
    def stock(self) -> StockState:
        return StockState.of(self.selected)

    def stock_of(self, variant: Variant) -> StockState:
        return StockState.of(variant)

    @property
    def list_legend(self) -> str:
        """"Choose size / colour" (or just "Choose" for variants without named options)."""
        if not self.option_names:
            return gettext("Choose")
        names = " / ".join(option_label(n).lower() for n in self.option_names)
        return gettext("Choose %(options)s", options=names)


def option_names(variants: list[Variant]) -> list[str]:
    """Option names in the order they first appear (the order the shop typed them in)."""
    names: list[str] = []
    for v in variants:
        for name in v.options or {}:
            if name not in names:
                names.append(name)
    return names


def _combinations_are_distinct(variants: list[Variant], names: list[str]) -> bool:
    """Option groups can only identify a variant when every variant has every option and no two are equal."""
    seen = set()
    for v in variants:
        options = v.options or {}
        if any(not options.get(name) for name in names):
            return False
        key = tuple(options[name] for name in names)
        if key in seen:
            return False
        seen.add(key)
    return True


def default_variant(product: Product) -> Variant | None:
    """What the page shows first: the first variant in stock (in the shop's order), else the first one."""
    variants = list(product.variants)
    return next((v for v in variants if v.stock > 0), variants[0] if variants else None)


def build(product: Product, requested_id: int | None = None) -> Picker:
    """The picker for ``product`` with ``requested_id`` (from ``?variant=``) selected when it is one of its own.

    An unknown or foreign variant id falls back to the default rather than failing: buy links shared long ago
    should still open the product.
    """
    variants = list(product.variants)
    selected = next((v for v in variants if v.id == requested_id), None) if requested_id else None
    if selected is None:
        selected = default_variant(product)
    names = option_names(variants)
    picker = Picker(product=product, selected=selected, option_names=names)
    if len(variants) > 1 and names and _combinations_are_distinct(variants, names):
        picker.groups = _groups(variants, names, selected)
    return picker


def _groups(variants: list[Variant], names: list[str], selected: Variant | None) -> list[OptionGroup]:
    chosen = dict(selected.options) if selected is not None else {}
    groups = []
    for name in names:
        values: list[str] = []
        for v in variants:
            if v.options[name] not in values:
                values.append(v.options[name])
        group_values = []
        for value in values:
            wanted = {**chosen, name: value}
            available = any(
                v.stock > 0 and all(v.options.get(n) == wanted.get(n) for n in names) for v in variants
            )
            selectable = any(v.stock > 0 and v.options.get(name) == value for v in variants)
            group_values.append(OptionValue(value=value, checked=chosen.get(name) == value, available=available,
                                            selectable=selectable or chosen.get(name) == value))
        groups.append(OptionGroup(name=name, values=group_values))
    return groups
