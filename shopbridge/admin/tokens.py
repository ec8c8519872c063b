"""Personal API tokens: every signed-in person manages their own.

A new token is shown exactly once, on the page that answers the form (never in a redirect, a flash message or
a log), and only its hash is stored. The list shows each token's prefix so a person can tell them apart.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shopbridge import db
from shopbridge.access import SELF, requires
from shopbridge.accounts import service
from shopbridge.accounts.forms import TokenForm
from shopbridge.accounts.models import ApiToken
from shopbridge.admin import bp


@bp.route("/tokens", methods=["GET", "POST"])
@requires(SELF)
def tokens():
    session = db.session()
    form = TokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        try:
            _token, new_token = service.create_token(session, current_user, form.name.data)
        except service.AccountError as exc:
            session.rollback()
            form.name.errors.append(str(exc))
            status = 400
        else:
            session.commit()
            form = TokenForm(formdata=None)
    elif form.errors:
        status = 400
    response = render_template("admin/tokens.html", form=form, new_token=new_token,
                               tokens=service.tokens_of(session, current_user)), status
    if new_token:
        # The page holds a secret: keep it out of the browser cache and the back/forward history.
        return (*response, {"Cache-Control": "no-store"})
    return response


@bp.post("/tokens/<int:token_id>/revoke")
@requires(SELF)
def token_revoke(token_id: int):
    session = db.session()
    token = session.get(ApiToken, token_id)
    # Someone else's token is "not found", not "forbidden": its existence is not this person's business.
    if token is None or token.user_id != current_user.id:
        abort(404)
    # The CSRF token is checked for every POST by CSRFProtect before this view runs.
    service.revoke_token(session, token, by=current_user)
    session.commit()
    flash(_("Revoked “%(name)s”: programs using it are refused from now on.", name=token.name))
    return redirect(url_for("admin.tokens"))
