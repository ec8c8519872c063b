"""Forms of the admin shell: people, shop settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from shopbridge.accounts.models import Role
from shopbridge.accounts.service import MIN_PASSWORD
from shopbridge.catalogue.forms import SelectChoice

ROLE_CHOICES = [
    SelectChoice(Role.owner.value, _l("Owner: everything, including people, settings and payments")),
    SelectChoice(Role.staff.value, _l("Staff: catalogue, publishing and orders")),
    SelectChoice(Role.agency.value, _l("Agency: publishing and analytics only")),
]


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.staff.value)
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=MIN_PASSWORD)],
                             render_kw={"autocomplete": "new-password"})


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, r.value.title()) for r in Role])


class ActiveForm(FlaskForm):
    active = HiddenField()


class SettingsForm(FlaskForm):
    shop_name = StringField(_l("Shop name"), validators=[DataRequired(), Length(max=80)])
    default_currency = StringField(_l("Default currency"), validators=[DataRequired(), Length(min=3, max=3)],
                                   render_kw={"list": "currencies", "autocapitalize": "characters"})
    default_locale = SelectField(_l("Default language"))
