"""The admin shell: layout, navigation, dashboard, users, API tokens, settings and the audit log.

Feature areas (catalogue, links, posts, orders …) bring their own blueprints under ``/admin/``; this package
holds what is not any one feature's.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from shopbridge.admin import tokens, users, views  # noqa: E402,F401  (routes register on bp)
