"""People who run the shop (owner only): list, add with a role and an initial password, change role,
deactivate and reactivate. The rules (at least one active owner, valid emails, password length) live in
:mod:`shopbridge.accounts.service`; this module shows their refusals next to the right input.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from shopbridge import db
from shopbridge.access import USERS_MANAGE, requires
from shopbridge.accounts import service
from shopbridge.accounts.models import User
from shopbridge.admin import bp
from shopbridge.admin.forms import ActiveForm, RoleForm, UserCreateForm


def _user_or_404(user_id: int) -> User:
    user = db.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@requires(USERS_MANAGE)
def users():
    people = db.session().exec(select(User).order_by(User.is_active.desc(), User.email)).all()
    forms = {u.id: RoleForm(formdata=None, prefix=f"u{u.id}", data={"role": str(u.role)}) for u in people}
    return render_template("admin/users.html", people=people, role_forms=forms, active_form=ActiveForm())


@bp.route("/users/new", methods=["GET", "POST"])
@requires(USERS_MANAGE)
def user_create():
    form = UserCreateForm()
    if form.validate_on_submit():
        session = db.session()
        try:
            user = service.create_user(session, form.email.data, form.password.data, form.role.data,
                                       name=form.name.data or "", by=current_user)
        except service.AccountError as exc:
            session.rollback()
            getattr(form, exc.field, form.email).errors.append(str(exc))
        else:
            session.commit()
            flash(_("Added %(email)s as %(role)s. Give them their initial password in person or by phone, "
                    "not by email.", email=user.email, role=user.role))
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form), 400 if form.errors else 200


@bp.post("/users/<int:user_id>/role")
@requires(USERS_MANAGE)
def user_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm(prefix=f"u{user.id}")
    if not form.validate():
        flash(_("Choose one of the roles."), "error")
        return redirect(url_for("admin.users"))
    session = db.session()
    try:
        service.update_user(session, user, role=form.role.data, by=current_user)
    except service.AccountError as exc:
        session.rollback()
        flash(_("%(email)s keeps their role: %(reason)s.", email=user.email, reason=str(exc)), "error")
    else:
        session.commit()
        flash(_("%(email)s is now %(role)s.", email=user.email, role=form.role.data))
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@requires(USERS_MANAGE)
def user_active(user_id: int):
    user = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate() or form.active.data not in {"0", "1"}:
        abort(400)
    activate = form.active.data == "1"
    if not activate and user.id == current_user.id:
        flash(_("You cannot deactivate your own account; ask another owner to do it."), "error")
        return redirect(url_for("admin.users"))
    session = db.session()
    try:
        service.update_user(session, user, is_active=activate, by=current_user)
    except service.AccountError as exc:
        session.rollback()
        flash(_("%(email)s stays active: %(reason)s.", email=user.email, reason=str(exc)), "error")
    else:
        session.commit()
        flash(_("%(email)s can sign in again.", email=user.email) if activate else
              _("%(email)s is deactivated: they are signed out and their API tokens stop working.",
                email=user.email))
    return redirect(url_for("admin.users"))
