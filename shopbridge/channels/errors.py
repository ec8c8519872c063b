"""The exceptions a platform plugin raises. The publishing jobs decide from them whether and when to retry."""

from __future__ import annotations


class PlatformError(Exception):
    """A platform refused or failed a request.

    ``message`` is shown to the shop owner as the channel's or post's last error, so say what happened in plain
    words ("Pinterest says the board no longer exists"), not a stack trace. ``transient=True`` means trying
    again later may work (timeouts, 5xx); permanent errors are not retried.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 transient: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.transient = transient
        self.retry_after = retry_after


class RateLimited(PlatformError):
    """HTTP 429 or a platform's own throttling code; ``retry_after`` seconds when the platform said."""

    def __init__(self, message: str = "The platform is rate limiting us; we will try again later.", *,
                 retry_after: float | None = None, status: int | None = 429, code: str | None = None):
        super().__init__(message, status=status, code=code, transient=True, retry_after=retry_after)


class AuthError(PlatformError):
    """The channel's credentials are wrong, expired or lack a permission; a person must reconnect it."""

    def __init__(self, message: str, *, status: int | None = 401, code: str | None = None):
        super().__init__(message, status=status, code=code, transient=False)


class WebhookSignatureError(Exception):
    """An inbound webhook whose signature (or secret token) does not verify: refused, never processed."""
