"""shopbridge: sell through social channels from your own shop.

Plugins import :data:`hookimpl` from here to mark their hook implementations::

    from shopbridge import hookimpl

    @hookimpl
    def shopbridge_channel_types():
        ...
"""

import pluggy

#: Marks a function as an implementation of a shopbridge hook (see :mod:`shopbridge.hookspecs`).
hookimpl = pluggy.HookimplMarker("shopbridge")

__all__ = ["hookimpl"]
