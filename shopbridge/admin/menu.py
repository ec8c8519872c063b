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


# Entries whose endpoint is not registered (a feature not installed) are left out.
CORE_MENU = (
    MenuItem("Dashboard", "admin.dashboard", access.SELF, 0),
    MenuItem("Products", "catalogue.index", access.CATALOGUE_VIEW, 10),
    MenuItem("Buy links", "links.index", access.ANALYTICS_VIEW, 20),
    MenuItem("Analytics", "analytics.index", access.ANALYTICS_VIEW, 25),
    MenuItem("Posts", "posts.index", access.PUBLISHING, 30),
    MenuItem("Inbox", "inbox.index", access.PUBLISHING, 35),
    MenuItem("Channels", "channels.index", access.SETTINGS_MANAGE, 40),
    MenuItem("Orders", "orders.index", access.ORDERS_VIEW, 50),
    MenuItem("Outbox", "outbox.index", access.SETTINGS_MANAGE, 60),
    MenuItem("Feeds", "feeds.admin", access.SETTINGS_MANAGE, 65),
    MenuItem("Users", "admin.users", access.USERS_MANAGE, 80),
    MenuItem("Settings", "admin.settings", access.SETTINGS_MANAGE, 85),
    MenuItem("Audit log", "admin.audit_log", access.AUDIT_VIEW, 90),
    MenuItem("Jobs", "channels.jobs", access.SETTINGS_MANAGE, 92),
    MenuItem("Plugin errors", "channels.plugin_errors", access.SETTINGS_MANAGE, 93),
    MenuItem("API tokens", "admin.tokens", access.SELF, 95),
)


def items_for(user) -> list[MenuItem]:
    from shopbridge.plugins import call

    extra: list[MenuItem] = []
    for result in call("shopbridge_admin_menu"):
        extra.extend(result or [])
    endpoints = current_app.view_functions
    visible = [i for i in (*CORE_MENU, *extra) if i.endpoint in endpoints and access.can(user, i.permission)]
    return sorted(visible, key=lambda i: i.order)
