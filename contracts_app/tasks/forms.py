from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DecimalField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from contracts_app.dates import DayField


class CheckForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=20_000)])
    category = StringField(
        "Category", validators=[Length(max=100)], description="e.g. support.incident"
    )
    system = StringField("System", validators=[Length(max=100)])
    date = DayField("Date", validators=[DataRequired()])
    hours = DecimalField("Hours", places=None, validators=[Optional(), NumberRange(min=0)])
    amount = DecimalField("Amount", places=None, validators=[Optional(), NumberRange(min=0)])


class TaskForm(CheckForm):
    ref = StringField("Ticket ref", validators=[DataRequired(), Length(max=80)])
    # ticket times for service levels, all optional (ISO 8601 with a time zone)
    priority = StringField("Priority", validators=[Optional(), Length(max=20)])
    opened_at = StringField("Opened at", validators=[Optional(), Length(max=40)])
    responded_at = StringField("Responded at", validators=[Optional(), Length(max=40)])
    resolved_at = StringField("Resolved at", validators=[Optional(), Length(max=40)])
    pauses = TextAreaField(
        "Pauses (one a line: from / to)", validators=[Optional(), Length(max=20_000)]
    )
    # asked only when a category or system looks like one the agreement already uses
    confirm_new_codes = BooleanField("Use the new code: it is not a typing mistake")


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file", validators=[FileRequired(), FileAllowed(["csv", "txt"], "A .csv file")]
    )
    skip_invalid = BooleanField("Import the valid rows and skip the invalid ones")


class TaskEventForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=10_000)])


class BulkDecisionForm(FlaskForm):
    """The confirmation of a decision on several tasks (the tasks ride as ``task`` fields)."""

    event = HiddenField(validators=[DataRequired()])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=10_000)])
