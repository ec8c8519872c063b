"""Who may do what: permissions, the role matrix, and the decorators every view must carry.

Every view function declares its access rule with exactly one of :func:`public` or :func:`requires`. A test
walks ``app.url_map`` and fails when a route has neither, so a new page can never ship unprotected by
accident. The rule is checked on the server for every request; templates only hide what a role cannot use.

The admin authenticates with a session cookie (flask-login); the JSON API only with ``Authorization: Bearer``
tokens (so a browser's cookie can never be used for a cross-site API write). Both end up as the same "actor".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, g
from flask_login import current_user

from shopbridge.accounts.models import Role, User

# Catalogue
CATALOGUE_VIEW = "catalogue.view"
CATALOGUE_EDIT = "catalogue.edit"
# Social selling
PUBLISHING = "publishing"
LINKS_MANAGE = "links.manage"
ANALYTICS_VIEW = "analytics.view"
# Orders, customers and money
ORDERS_VIEW = "orders.view"
ORDERS_MANAGE = "orders.manage"
CUSTOMERS_VIEW = "customers.view"
PAYMENTS_MANAGE = "payments.manage"  # refunds, payment provider settings
# The shop itself
USERS_MANAGE = "users.manage"
SETTINGS_MANAGE = "settings.manage"  # shop settings, channel credentials
AUDIT_VIEW = "audit.view"
# Every signed-in person: their own profile and API tokens
SELF = "self"

ALL_PERMISSIONS = frozenset(
    {
        CATALOGUE_VIEW,
        CATALOGUE_EDIT,
        PUBLISHING,
        LINKS_MANAGE,
        ANALYTICS_VIEW,
        ORDERS_VIEW,
        ORDERS_MANAGE,
        CUSTOMERS_VIEW,
        PAYMENTS_MANAGE,
        USERS_MANAGE,
        SETTINGS_MANAGE,
        AUDIT_VIEW,
        SELF,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.owner: ALL_PERMISSIONS,
    # Staff run the shop day to day: catalogue, publishing, orders; not users, settings or money movements.
    Role.staff: frozenset(
        {
            CATALOGUE_VIEW,
            CATALOGUE_EDIT,
            PUBLISHING,
            LINKS_MANAGE,
            ANALYTICS_VIEW,
            ORDERS_VIEW,
            ORDERS_MANAGE,
            CUSTOMERS_VIEW,
            SELF,
        }
    ),
    # An outside agency publishes and reads analytics. It may look at the catalogue (to compose posts about
    # it) but never change it, and never sees customers, orders, users, settings or payments.
    Role.agency: frozenset({CATALOGUE_VIEW, PUBLISHING, ANALYTICS_VIEW, SELF}),
}


def permissions_for(role: Role | str) -> frozenset[str]:
    return ROLE_PERMISSIONS[Role(role)]


def can(user: Any, permission: str) -> bool:
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return permission in permissions_for(user.role)


def actor() -> User | None:
    """The person behind this request: the API token's owner, else the signed-in admin user."""
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user
    if g.get("api_request"):
        return None  # API requests never fall back to the session cookie
    return current_user if current_user.is_authenticated else None


def _mark(view: Callable, rule: tuple) -> None:
    view.access_rule = rule  # type: ignore[attr-defined]


def public(view: Callable) -> Callable:
    """Anyone may call this view: storefront pages, buy links, webhooks that check their own signatures."""
    _mark(view, ("public",))
    return view


def requires(*permissions: str) -> Callable[[Callable], Callable]:
    """Only a signed-in user whose role grants every one of ``permissions`` may call the view.

    Anonymous requests get 401 (the admin turns that into a redirect to the login page, the API into a
    problem document); signed-in users without the permission get 403.
    """
    unknown = set(permissions) - ALL_PERMISSIONS
    if unknown or not permissions:
        raise ValueError(f"unknown permissions {sorted(unknown)}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = actor()
            if user is None or not user.is_active:
                abort(401)
            if not all(can(user, p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        _mark(wrapper, ("requires", permissions))
        return wrapper

    return decorate


def access_rule(view: Callable) -> tuple | None:
    return getattr(view, "access_rule", None)
