from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from contracts_app.notifications.kinds import LABELS, Delivery, Kind

DELIVERY_CHOICES = [
    (Delivery.IN_APP.value, "In the application only"),
    (Delivery.EMAIL.value, "Email at once"),
    (Delivery.DIGEST.value, "Daily email digest"),
]


class PreferencesForm(FlaskForm):
    time_zone = StringField(
        "Time zone of the daily digest",
        validators=[DataRequired(), Length(max=64)],
        description="The digest goes out at 07:00 there, e.g. Europe/Paris; UTC by default.",
    )


# one select per kind, named after it
for _kind in Kind:
    setattr(PreferencesForm, _kind.value, SelectField(LABELS[_kind], choices=DELIVERY_CHOICES))
