"""The shop's own public site: home, categories, product pages, sitemap and robots.txt."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("storefront", __name__)

from shopbridge.storefront import views  # noqa: E402,F401
