"""Flask extensions, created unbound here and bound to each app in :func:`shopbridge.create_app`.

- flask-login: the admin's session (remember-me cookie, ``login_required`` semantics, user loading);
- flask-wtf: forms with CSRF protection on every state-changing form, storefront and admin alike;
- flask-limiter: rate limits (login attempts, checkout creation) with in-memory storage for one process and
  Redis for several workers (``RATELIMIT_STORAGE_URI``);
- flask-babel: translations and locale-aware dates and numbers.
"""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()
