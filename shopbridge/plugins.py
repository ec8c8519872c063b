"""The plugin manager: one per app, built by a function, never a module global.

Built-in pieces are registered exactly like third-party plugins; then every distribution that declares an
entry point in the ``shopbridge.plugins`` group is loaded. ``PLUGINS_ALLOW`` restricts which plugins load (by
entry-point name), and ``TRACE_PLUGINS`` logs every hook call, for plugin authors chasing a problem.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import metadata as importlib_metadata

import pluggy
from flask import Flask, current_app

from shopbridge import hookspecs

ENTRY_POINT_GROUP = "shopbridge.plugins"
EXTENSION = "shopbridge.plugins"

#: Core modules that implement hooks, registered before any installed plugin.
BUILTIN_PLUGINS: tuple[str, ...] = ("shopbridge.payments.builtin",)

log = logging.getLogger(__name__)


def get_plugin_manager(allow: Iterable[str] | None = None, trace: bool = False) -> pluggy.PluginManager:
    import importlib

    pm = pluggy.PluginManager("shopbridge")
    pm.add_hookspecs(hookspecs)
    for dotted in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(dotted), name=dotted)
    allowed = set(allow) if allow is not None else None
    for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        if pm.get_plugin(ep.name) is not None:
            continue
        plugin = ep.load()
        pm.register(plugin, name=ep.name)
        pm._plugin_distinfo.append((plugin, _DistFacade(ep.dist)))  # what `plugins list` reports
    pm.check_pending()
    if trace:
        pm.trace.root.setwriter(log.info)
        pm.enable_tracing()
    return pm


class _DistFacade:
    """Name and version of the distribution a plugin came from, in pluggy's own shape."""

    def __init__(self, dist):
        self._dist = dist

    @property
    def project_name(self) -> str:
        return self._dist.metadata["name"] if self._dist else "?"

    @property
    def version(self) -> str:
        return self._dist.version if self._dist else "?"

    def __getattr__(self, name):
        return getattr(self._dist, name)


def init_app(app: Flask) -> pluggy.PluginManager:
    pm = get_plugin_manager(allow=app.config.get("PLUGINS_ALLOW"), trace=bool(app.config.get("TRACE_PLUGINS")))
    app.extensions[EXTENSION] = pm
    return pm


def manager(app: Flask | None = None) -> pluggy.PluginManager:
    return (app or current_app).extensions[EXTENSION]


def describe(app: Flask | None = None) -> list[dict]:
    """Each registered plugin with its distribution, version and the hooks it implements."""
    pm = manager(app)
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in pm.list_name_plugin():
        dist = dists.get(id(plugin))
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append({
            "name": name,
            "distribution": dist.project_name if dist else "shopbridge (built in)",
            "version": dist.version if dist else _own_version(),
            "hooks": hooks,
        })
    return rows


def _own_version() -> str:
    try:
        return importlib_metadata.version("shopbridge")
    except importlib_metadata.PackageNotFoundError:
        return "dev"
