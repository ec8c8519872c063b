import pluggy

hookimpl = pluggy.HookimplMarker("shopbridge")
