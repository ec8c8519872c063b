"""The admin navigation: core entries plus whatever plugins add through ``shopbridge_admin_menu``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from shopbridge import access


@dataclass(frozen=True)
class MenuItem:
    label: str
    endpoint: str
    permission: str
    order: int = 100


def N_(label: str) -> str:
    """Marks a label for translation without translating it here: the menu template shows ``_(label)``."""
    return label


# Entries whose endpoint is not registered (a feature not installed) are left out.
CORE_MENU = (
    MenuItem(N_("Dashboard"), "admin.dashboard", access.SELF, 0),
    MenuItem(N_("Products"), "catalogue.index", access.CATALOGUE_VIEW, 10),
    MenuItem(N_("Buy links"), "links.index", access.ANALYTICS_VIEW, 20),
    MenuItem(N_("Analytics"), "analytics.index", access.ANALYTICS_VIEW, 25),
    MenuItem(N_("Posts"), "posts.index", access.PUBLISHING, 30),
    MenuItem(N_("Inbox"), "inbox.index", access.PUBLISHING, 35),
    MenuItem(N_("Channels"), "channels.index", access.SETTINGS_MANAGE, 40),
    MenuItem(N_("Orders"), "orders.index", access.ORDERS_VIEW, 50),
    MenuItem(N_("Discounts"), "discounts.index", access.PAYMENTS_MANAGE, 52),
    MenuItem(N_("Outbox"), "outbox.index", access.SETTINGS_MANAGE, 60),
    MenuItem(N_("Mail"), "mail.outbox", access.SETTINGS_MANAGE, 62),
    MenuItem(N_("Feeds"), "feeds.admin", access.SETTINGS_MANAGE, 65),
    MenuItem(N_("Users"), "admin.users", access.USERS_MANAGE, 80),
    MenuItem(N_("Settings"), "admin.settings", access.SETTINGS_MANAGE, 85),
    MenuItem(N_("Audit log"), "admin.audit_log", access.AUDIT_VIEW, 90),
    MenuItem(N_("Jobs"), "channels.jobs", access.SETTINGS_MANAGE, 92),
    MenuItem(N_("Plugin errors"), "channels.plugin_errors", access.SETTINGS_MANAGE, 93),
    MenuItem(N_("API tokens"), "admin.tokens", access.SELF, 95),
)


def items_for(user) -> list[MenuItem]:
    from shopbridge.plugins import call

    extra: list[MenuItem] = []
    for result in call("shopbridge_admin_menu"):
        extra.extend(result or [])
    endpoints = current_app.view_functions
    visible = [i for i in (*CORE_MENU, *extra) if i.endpoint in endpoints and access.can(user, i.permission)]
    return sorted(visible, key=lambda i: i.order)
