"""Serves uploaded and generated files (product images) from the data directory.

Files are named by a random token that changes whenever the content does, so they can be cached for a year.
Production set-ups may serve ``/media/`` straight from the reverse proxy instead.
"""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory, url_for

from shopbridge.access import public

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:filename>")
@public
def file(filename: str):
    response = send_from_directory(current_app.config["UPLOAD_DIR"], filename, max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def image_url(image, width: int | None = None, *, external: bool = False) -> str:
    from shopbridge.catalogue.images import rendition_path
    from shopbridge.web import external_url

    path = rendition_path(image, width)
    return external_url("media.file", filename=path) if external else url_for("media.file", filename=path)


def srcset(image) -> str:
    parts = [f"{image_url(image, w)} {w}w" for w in sorted(image.sizes)]
    parts.append(f"{url_for('media.file', filename=image.path)} {image.width}w")
    return ", ".join(parts)
