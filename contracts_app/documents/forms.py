from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length, Optional

from contracts_app.dates import DayField


class IssueForm(FlaskForm):
    as_of = DayField("As of", validators=[DataRequired()])


class SignOffForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=1000)])


class VerifyForm(FlaskForm):
    file = FileField("Summary PDF", validators=[FileRequired()])


class RenderForm(FlaskForm):
    as_of = DayField("As of", validators=[Optional()])
