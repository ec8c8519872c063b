"""The products admin at ``/admin/products``: list, create, edit, images, archive, CSV import and export.

Every write goes through :mod:`shopbridge.catalogue.service`; this module only turns requests into service
calls and service errors back into pages. A failed save changes nothing: validation (form, service and every
uploaded image) happens before the first write, and image files written during a transaction that then fails
are deleted again.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from shopbridge import db
from shopbridge.access import CATALOGUE_EDIT, CATALOGUE_VIEW, requires
from shopbridge.catalogue import csv_io, service
from shopbridge.catalogue.forms import COMMON_CURRENCIES, ConfirmImportForm, ImportForm, ProductForm
from shopbridge.catalogue.models import Category, Image, Product, ProductStatus
from shopbridge.catalogue.service import CatalogueError, ImageStore, Upload

bp = Blueprint("catalogue", __name__, url_prefix="/admin/products")

IMPORT_MAX_AGE = 24 * 3600  # an abandoned preview's file is removed after a day


def _store() -> ImageStore:
    config = current_app.config
    return ImageStore(upload_dir=config["UPLOAD_DIR"], sizes=list(config["IMAGE_SIZES"]),
                      max_bytes=int(config["MAX_UPLOAD_BYTES"]))


def _product_or_404(product_id: int) -> Product:
    product = db.session().get(Product, product_id)
    if product is None:
        abort(404)
    return product


def _filters() -> dict[str, str]:
    args = request.args
    return {
        "q": args.get("q", "").strip()[:100],
        "status": args.get("status", "") if args.get("status") in {s.value for s in ProductStatus} else "",
        "category": args.get("category", "").strip()[:120],
        "stock": args.get("stock", "") if args.get("stock") in {"in", "out"} else "",
    }


@bp.get("")
@requires(CATALOGUE_VIEW)
def index():
    session = db.session()
    filters = _filters()
    page = service.search_products(session, **{k: v or None for k, v in filters.items()},
                                   page=request.args.get("page", 1, type=int) or 1,
                                   per_page=int(current_app.config["ADMIN_PAGE_SIZE"]))
    categories = session.exec(select(Category).order_by(Category.name)).all()
    return render_template("catalogue/index.html", page=page, filters=filters, categories=categories,
                           active_filters={k: v for k, v in filters.items() if v})


def _render_form(form: ProductForm, product: Product | None, status: int = 200):
    session = db.session()
    categories = [c.name for c in session.exec(select(Category).order_by(Category.name))]
    return render_template("catalogue/edit.html", form=form, product=product, categories=categories,
                           currencies=COMMON_CURRENCIES), status


def _row_buttons(form: ProductForm) -> ProductForm | None:
    """Handle "add a variant" / "remove" buttons: re-render with one row more or less, saving nothing.

    They are ordinary submit buttons so the form works without JavaScript.
    """
    if "add_variant" not in request.form and "remove_variant" not in request.form:
        return None
    data = form.form_data()
    rows = data["variants"]
    if "add_variant" in request.form:
        rows.append({})
    else:
        index = request.form.get("remove_variant", type=int)
        if index is not None and 0 <= index < len(rows):
            rows.pop(index)
        if not rows:
            rows.append({})
    fresh = ProductForm(formdata=None, data=data)
    if form.images.data and any(getattr(f, "filename", "") for f in form.images.data):
        fresh.general_errors.append(_("Choose the images again: a browser forgets them when the page reloads."))
    return fresh


def _uploads(form: ProductForm) -> list[Upload]:
    files = [f for f in (form.images.data or []) if getattr(f, "filename", "")]
    return [Upload(data=f.read(), filename=os.path.basename(f.filename)) for f in files]


def _save(form: ProductForm, product: Product | None):
    """Validate everything, then write in one transaction; on any refusal re-render and change nothing."""
    session = db.session()
    data, errors, rows = form.to_input()
    uploads = _uploads(form)
    errors += service.validate(session, data, product)
    errors += service.check_images(uploads, _store())
    if errors:
        form.show_errors(errors, rows)
        if uploads:
            form.general_errors.append(_("Nothing was saved. Choose the images again after fixing the fields."))
        return _render_form(form, product, 400)

    stored: list[Image] = []
    try:
        if product is None:
            product = service.create_product(session, data, current_user)
        else:
            product = service.update_product(session, product, data, current_user)
        stored = service.add_images(session, product, uploads, _store(), current_user)
        session.commit()
    except CatalogueError as exc:  # a rule broken between validation and write (e.g. a concurrent edit)
        session.rollback()
        service.discard_image_files(_store(), stored)
        form.show_errors(exc.errors, rows)
        return _render_form(form, None if product is None or product.id is None else product, 400)
    except BaseException:
        session.rollback()
        service.discard_image_files(_store(), stored)
        raise
    flash(_("Saved “%(title)s”.", title=product.title))
    return redirect(url_for("catalogue.edit", product_id=product.id))


@bp.route("/new", methods=["GET", "POST"])
@requires(CATALOGUE_EDIT)
def create():
    if request.method == "GET":
        form = ProductForm(formdata=None, data={"currency": _default_currency(), "variants": [{"stock": "0"}]})
        return _render_form(form, None)
    form = ProductForm()
    if not form.validate():
        return _render_form(form, None, 400)
    return _render_form(fresh, None) if (fresh := _row_buttons(form)) else _save(form, None)


@bp.route("/<int:product_id>", methods=["GET", "POST"])
@requires(CATALOGUE_EDIT)
def edit(product_id: int):
    product = _product_or_404(product_id)
    if request.method == "GET":
        return _render_form(ProductForm(formdata=None, data=ProductForm.data_from_product(product)), product)
    form = ProductForm()
    if not form.validate():
        return _render_form(form, product, 400)
    return _render_form(fresh, product) if (fresh := _row_buttons(form)) else _save(form, product)


def _default_currency() -> str:
    from shopbridge import settings

    return settings.get(db.session(), "default_currency") or current_app.config["DEFAULT_CURRENCY"]


@bp.post("/<int:product_id>/archive")
@requires(CATALOGUE_EDIT)
def archive(product_id: int):
    product = _product_or_404(product_id)
    session = db.session()
    service.archive_product(session, product, current_user)
    session.commit()
    flash(_("Archived “%(title)s”: it is no longer in the shop.", title=product.title))
    return redirect(url_for("catalogue.edit", product_id=product.id))


@bp.post("/<int:product_id>/restore")
@requires(CATALOGUE_EDIT)
def restore(product_id: int):
    product = _product_or_404(product_id)
    session = db.session()
    # Back as a draft, not straight into the shop: an archived product is usually worth a look before selling.
    service.set_status(session, product, ProductStatus.draft, current_user)
    session.commit()
    flash(_("Restored “%(title)s” as a draft. Set it to active to sell it again.", title=product.title))
    return redirect(url_for("catalogue.edit", product_id=product.id))


def _image_or_404(product: Product, image_id: int) -> Image:
    image = db.session().get(Image, image_id)
    if image is None or image.product_id != product.id:
        abort(404)
    return image


@bp.post("/<int:product_id>/images/<int:image_id>/move")
@requires(CATALOGUE_EDIT)
def move_image(product_id: int, image_id: int):
    product = _product_or_404(product_id)
    image = _image_or_404(product, image_id)
    session = db.session()
    service.move_image(session, product, image, -1 if request.form.get("direction") == "up" else 1, current_user)
    session.commit()
    return redirect(url_for("catalogue.edit", product_id=product.id, _anchor="images"))


@bp.post("/<int:product_id>/images/<int:image_id>/remove")
@requires(CATALOGUE_EDIT)
def remove_image(product_id: int, image_id: int):
    product = _product_or_404(product_id)
    image = _image_or_404(product, image_id)
    session = db.session()
    service.remove_image(session, product, image, current_user)
    session.commit()
    service.discard_image_files(_store(), [image])  # only once the row is surely gone
    flash(_("Image removed."))
    return redirect(url_for("catalogue.edit", product_id=product.id, _anchor="images"))


# --- CSV -------------------------------------------------------------------------------------------------------


def _import_dir() -> Path:
    folder = Path(current_app.config["DATA_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.csv"):
        if now - old.stat().st_mtime > IMPORT_MAX_AGE:
            old.unlink(missing_ok=True)
    return folder


def _import_file(token: str) -> Path | None:
    # The token names a file of this user only; anything else (a path, another user's file) is refused.
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = _import_dir() / f"{current_user.id}-{token}.csv"
    return path if path.exists() else None


def _csv_limit() -> int:
    return int(current_app.config.get("CSV_MAX_BYTES", 5 * 1024 * 1024))


@bp.route("/import", methods=["GET", "POST"])
@requires(CATALOGUE_EDIT)
def import_csv():
    form = ImportForm()
    if request.method == "GET" or not form.validate():
        return render_template("catalogue/import.html", form=form), 200 if request.method == "GET" else 400
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Choose a CSV file to upload.")]
        return render_template("catalogue/import.html", form=form), 400
    data = upload.read(_csv_limit() + 1)
    try:
        preview = csv_io.plan(db.session(), data, max_bytes=_csv_limit())
    except csv_io.CsvError as exc:
        form.file.errors = [str(exc)]
        return render_template("catalogue/import.html", form=form), 400
    token = secrets.token_urlsafe(16)
    if preview.ok:
        (_import_dir() / f"{current_user.id}-{token}.csv").write_bytes(data)
    confirm = ConfirmImportForm(formdata=None, data={"token": token})
    return render_template("catalogue/preview.html", preview=preview, confirm=confirm,
                           filename=os.path.basename(upload.filename)), 200 if preview.ok else 422


@bp.post("/import/confirm")
@requires(CATALOGUE_EDIT)
def import_confirm():
    form = ConfirmImportForm()
    path = _import_file(form.token.data or "") if form.validate() else None
    if path is None:
        flash(_("That import preview has expired; upload the file again."), "error")
        return redirect(url_for("catalogue.import_csv"))
    session = db.session()
    data = path.read_bytes()
    # Checked again: the catalogue may have changed since the preview (another tab, another person).
    preview = csv_io.plan(session, data, max_bytes=_csv_limit())
    if not preview.ok:
        path.unlink(missing_ok=True)
        return render_template("catalogue/preview.html", preview=preview, confirm=None, filename=""), 422
    try:
        done = service.import_products(session, preview.items(), current_user)
        session.commit()
    except CatalogueError as exc:
        session.rollback()
        preview.errors = [csv_io.RowError(preview.products[0].rows[0], e.field, e.message) for e in exc.errors]
        return render_template("catalogue/preview.html", preview=preview, confirm=None, filename=""), 422
    path.unlink(missing_ok=True)
    created = sum(1 for p in preview.products if p.existing is None)
    flash(_("Imported %(count)d products (%(created)d new, %(updated)d updated).", count=len(done),
            created=created, updated=len(done) - created))
    return redirect(url_for("catalogue.index"))


@bp.get("/export.csv")
@requires(CATALOGUE_EDIT)
def export_csv():
    session = db.session()
    filters = _filters()
    products = None
    if any(filters.values()):
        def products_matching():
            page_number = 1
            while True:
                page = service.search_products(session, **{k: v or None for k, v in filters.items()},
                                               page=page_number, per_page=200, order="id")
                yield from page.items
                if not page.has_next:
                    return
                page_number += 1

        products = products_matching()
    stamp = time.strftime("%Y%m%d")
    return Response(
        stream_with_context(csv_io.export(session, products)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="catalogue-{stamp}.csv"',
                 "Cache-Control": "no-store"},
    )
