"""Helpers for admin tests: fill in the product form as a browser would, read errors next to inputs, and
take a picture of the catalogue to prove that a refused save changed nothing."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from shopbridge.accounts.models import AuditEntry
from shopbridge.catalogue.models import Image, Product, Variant
from shopbridge.db import engine


def product_form(csrf: str, variants: list[dict[str, str]] | None = None, **fields: str) -> dict[str, str]:
    """The product form's fields as a browser posts them, with sensible values to override."""
    data = {"csrf_token": csrf, "title": "Linen shirt", "slug": "", "status": "active", "brand": "Acme",
            "category": "Shirts", "description": "A shirt for hot days.", "currency": "EUR",
            "option1_name": "Size", "option2_name": "", "option3_name": "", "save": "1"}
    data.update(fields)
    rows = variants if variants is not None else [{"option1": "M", "sku": "LIN-M", "price": "49.00", "stock": "5"}]
    for i, row in enumerate(rows):
        for name in ("id", "option1", "option2", "option3", "sku", "price", "compare_at", "stock", "gtin"):
            data[f"variants-{i}-{name}"] = row.get(name, "")
    return data


def errors_for(page: str, field_id: str) -> list[str]:
    """The error messages shown under the input ``field_id`` (the list the input's aria-describedby names)."""
    match = re.search(rf'<ul class="errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', page, re.S)
    if not match:
        return []
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def input_value(page: str, field_id: str) -> str | None:
    match = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    if not match:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def catalogue_state(app) -> dict[str, Any]:
    """Every product, variant, image row, audit entry and stored file: equal before and after means untouched."""
    with Session(engine(app)) as session:
        def rows(model):
            return sorted((sorted(r.model_dump(exclude={"updated_at"}, warnings=False).items(), key=str) for r in
                           session.exec(select(model)).all()), key=str)
        uploads = Path(app.config["UPLOAD_DIR"])
        files = sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*") if p.is_file()) \
            if uploads.exists() else []
        return {"products": rows(Product), "variants": rows(Variant), "images": rows(Image),
                "audit": len(session.exec(select(AuditEntry)).all()), "files": files}
