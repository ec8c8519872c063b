"""Forms for channels: the "connect a channel" form is built from the channel type's settings schema."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Optional

from shopbridge.channels.models import Channel
from shopbridge.channels.types import ChannelType


def channel_form(ctype: ChannelType, channel: Channel | None = None, formdata=None) -> FlaskForm:
    """A form with a name, dry-run and enabled switches, and one input per setting of ``ctype``.

    Secret inputs are always empty ("leave blank to keep"): a stored secret is never sent back to a browser.
    Validation of values is the service's (it knows the schema's rules); the form only carries them.
    """

    class Form(FlaskForm):
        name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
        dry_run = BooleanField(_l("Dry run: record requests in the outbox instead of sending them"), default=True)
        enabled = BooleanField(_l("Enabled"), default=True)

    secret_set = set(channel.secret_names or ()) if channel else set()
    for setting in ctype.settings:
        hint = setting.help or ""
        label = setting.label
        if setting.secret:
            if setting.name in secret_set:
                hint = (hint + " " if hint else "") + str(_l("A value is stored; leave blank to keep it."))
            field = PasswordField(label, validators=[Optional()], description=hint)
        elif setting.kind == "boolean":
            field = BooleanField(label, default=bool(setting.default), description=hint)
        elif setting.kind == "choice":
            field = SelectField(label, choices=list(setting.choices), default=setting.default,
                                description=hint)
        elif setting.kind == "integer":
            field = IntegerField(label, validators=[Optional()], default=setting.default, description=hint)
        elif setting.kind == "url":
            field = URLField(label, validators=[Optional()], default=setting.default, description=hint)
        else:
            field = StringField(label, validators=[Optional()], default=setting.default, description=hint)
        setattr(Form, f"s_{setting.name}", field)

    data = None
    if channel is not None and formdata is None:
        data = {"name": channel.name, "dry_run": channel.dry_run, "enabled": channel.enabled}
        data.update({f"s_{k}": v for k, v in channel.settings.items()})
    return Form(formdata=formdata, data=data) if formdata is not None else Form(data=data)


def setting_values(form, ctype: ChannelType) -> dict:
    return {s.name: getattr(form, f"s_{s.name}").data for s in ctype.settings}


class RuleForm(FlaskForm):
    keyword = StringField(_l("Keyword or hashtag"), validators=[DataRequired(), Length(max=100)])
    reply_text = TextAreaField(_l("Reply (must contain {link})"), default="Here is your link: {link}",
                               validators=[DataRequired(), Length(max=500)])
    product_id = SelectField(_l("Product"), coerce=int, default=0)
    channel_id = SelectField(_l("Channel"), coerce=int, default=0)
