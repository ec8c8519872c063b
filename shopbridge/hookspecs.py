"""Hook specifications: the plugin author's reference.

Every hook a plugin can implement is declared here, with a docstring that says when it fires, what each
argument is and what to return. ``docs/plugins/hooks.md`` is generated from these docstrings, and the tests
fail if a hook is undocumented or never exercised.

Implement a hook by writing a function of the same name decorated with :data:`shopbridge.hookimpl`. Hooks are
called with keyword arguments, so an implementation may accept only the arguments it needs.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("shopbridge")


@hookspec
def shopbridge_register_blueprints(app):
    """Add Flask blueprints (pages, webhooks, API endpoints) to the shop.

    Called once while :func:`shopbridge.create_app` builds the app, after the core blueprints are registered.

    :param app: the :class:`flask.Flask` app being built.
    :returns: ``None``; call ``app.register_blueprint(...)`` yourself. Every view must carry an access rule
        (``shopbridge.access.public`` or ``shopbridge.access.requires``), or the shop's own tests fail.
    """


@hookspec
def shopbridge_admin_menu():
    """Add entries to the admin navigation.

    Called when the admin layout is rendered.

    :returns: a list of :class:`shopbridge.admin.menu.MenuItem`; each is shown only to users whose role grants
        its ``permission``.
    """


@hookspec
def shopbridge_cli_commands():
    """Add commands to the ``shopbridge`` command line.

    :returns: a list of :class:`click.Command` (or groups); each becomes ``shopbridge <name>``.
    """
