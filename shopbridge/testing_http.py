"""A WSGI app served over real HTTP on loopback, in a background thread: what every local fake runs on.

The fakes of Stripe (core) and of the platforms (in each plugin) are real HTTP servers, so that the official SDKs
and the plugins' own HTTP code are exercised exactly as in production. This is the one place that starts,
addresses and stops them. No pytest here: plugins ship their fakes for their authors' tests and benchmarks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        # A fake answering hundreds of requests must not drown the test's own log, and some platforms put the
        # token in the path (Telegram's /bot<token>/sendMessage), which a request line would print.
        pass


class LoopbackServer:
    """Serve ``app`` on ``127.0.0.1`` at a free port (known at once: :attr:`url`) until :meth:`stop`."""

    def __init__(self, app: Callable, *, quiet: bool = True):
        self._server = make_server("127.0.0.1", 0, app, threaded=True,
                                   request_handler=_QuietHandler if quiet else None)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_port

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
