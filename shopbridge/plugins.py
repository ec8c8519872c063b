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
BUILTIN_PLUGINS: tuple[str, ...] = ("shopbridge.payments.builtin", "shopbridge.channels.builtin")

log = logging.getLogger(__name__)


def get_plugin_manager(allow: Iterable[str] | None = None, trace: bool = False,
                       extra: Iterable = ()) -> pluggy.PluginManager:
    """Built-ins, then ``extra`` (modules, objects or dotted names: the ``PLUGINS`` setting, handy in tests),
    then every installed entry point."""
    import importlib

    pm = pluggy.PluginManager("shopbridge")
    pm.add_hookspecs(hookspecs)
    for dotted in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(dotted), name=dotted)
    for plugin in extra or ():
        plugin = importlib.import_module(plugin) if isinstance(plugin, str) else plugin
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if pm.get_plugin(name) is None:
            pm.register(plugin, name=name)
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
    if CALLED is not None:  # hooks called directly through pm.hook count too
        pm.add_hookcall_monitoring(lambda name, _impls, _kwargs: CALLED.add(name), lambda *_args: None)
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
    pm = get_plugin_manager(allow=app.config.get("PLUGINS_ALLOW"), trace=bool(app.config.get("TRACE_PLUGINS")),
                            extra=app.config.get("PLUGINS") or ())
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


# --- Calling hooks safely ---------------------------------------------------------------------------------------
#
# A plugin is someone else's code. Every hook is called through :func:`call`, which runs each implementation on
# its own, so one plugin that raises neither hides the others' results nor breaks the page or job that asked.
# The failure is recorded (plugin, hook, message, time) in the ``plugin_error`` table, which the admin shows.


#: When a set (the shop's own test-suite sets one), the name of every hook called through :func:`call` is added,
#: so the suite can prove every hook specification is exercised somewhere.
CALLED: set[str] | None = None


class PluginCrashed(Exception):
    """A plugin raised something other than the platform errors it is allowed to raise."""

    def __init__(self, plugin: str, hook: str, error: BaseException):
        self.plugin = plugin
        self.hook = hook
        self.error = error
        super().__init__(f"The plugin {plugin!r} failed in {hook}: {type(error).__name__}: {error}")


def _expected_errors() -> tuple[type[BaseException], ...]:
    from shopbridge.channels.errors import PlatformError, WebhookSignatureError

    return (PlatformError, WebhookSignatureError)


def call(hook: str, *, app: Flask | None = None, raise_crash: bool = False, **kwargs):
    """Call ``hook`` with ``kwargs``, implementation by implementation, in pluggy's order.

    For "first result" hooks the first non-``None`` answer is returned (``None`` if there is none); for the
    others, the list of answers. ``PlatformError`` and ``WebhookSignatureError`` are part of the contract and
    propagate to the caller. Anything else a plugin raises is recorded; then, with ``raise_crash``, the caller
    gets a :class:`PluginCrashed` (a publishing job must not pretend the platform said nothing), otherwise the
    implementation is skipped.
    """
    app = app or current_app._get_current_object()
    pm = manager(app)
    caller = getattr(pm.hook, hook)
    if CALLED is not None:
        CALLED.add(hook)
    firstresult = bool(caller.spec and caller.spec.opts.get("firstresult"))
    names = {id(p): n for n, p in pm.list_name_plugin()}
    available = {"app": app, **kwargs}  # hooks such as register_blueprints take the app itself
    results = []
    for impl in reversed(caller.get_hookimpls()):  # pluggy calls the last registered (and tryfirst) first
        if impl.hookwrapper or getattr(impl, "wrapper", False):
            continue
        try:
            result = impl.function(**{name: available[name] for name in impl.argnames})
        except _expected_errors():
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin's bug must not break the shop
            plugin = names.get(id(impl.plugin), impl.plugin_name)
            record_error(app, plugin, hook, exc)
            if raise_crash:
                raise PluginCrashed(plugin, hook, exc) from exc
            continue
        if result is None:
            continue
        if firstresult:
            return result
        results.append(result)
    return None if firstresult else results


def record_error(app: Flask, plugin: str, hook: str, exc: BaseException) -> None:
    """Keep a plugin's failure for the admin, in its own transaction (the caller's may be rolled back)."""
    from shopbridge.channels.models import PluginError
    from shopbridge.db import session_scope

    log.exception("plugin %s failed in %s", plugin, hook, exc_info=exc)
    try:
        with session_scope(app) as session:
            session.add(PluginError(plugin=plugin, hook=hook, message=f"{type(exc).__name__}: {exc}"[:4000]))
    except Exception:  # noqa: BLE001 - never let the error log itself break the caller
        log.exception("could not record the plugin error")
