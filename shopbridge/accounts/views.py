"""Signing in and out of the admin."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from shopbridge import audit, db
from shopbridge.access import SELF, public, requires
from shopbridge.accounts import service
from shopbridge.accounts.forms import LoginForm
from shopbridge.extensions import limiter

bp = Blueprint("auth", __name__, url_prefix="/admin")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil.example" and "https://evil.example" are both refused.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("admin.dashboard")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message="Too many sign-in attempts; wait a minute.")
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = db.session()
        user = service.authenticate(session, form.email.data, form.password.data)
        if user is None:
            audit.record(session, None, "auth.failed", None, {"email": form.email.data}, actor=form.email.data)
            session.commit()
            form.password.errors.append(_("Wrong email or password."))
        else:
            audit.record(session, user, "auth.login", user)
            session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("admin/login.html", form=form), 200 if request.method == "GET" or form.errors == {} else 400


@bp.post("/logout")
@requires(SELF)
def logout():
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))
