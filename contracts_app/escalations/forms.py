from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class EscalationForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("What is the matter?", validators=[Length(max=20_000)])
    task = StringField(
        "Task",
        validators=[Optional(), Length(max=80)],
        description="optional: its ref, e.g. INC-4711",
    )
    clause = StringField("Clause (a cap that ran out)", validators=[Optional(), Length(max=40)])
    service_level = StringField("Service level missed", validators=[Optional(), Length(max=40)])
    period = StringField(
        "In the month",
        validators=[Optional(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message="A month as YYYY-MM.")],
        description="YYYY-MM",
    )


class EscalationEventForm(FlaskForm):
    event = HiddenField(validators=[DataRequired()])
    level = HiddenField()
    message = TextAreaField("Message", validators=[Optional(), Length(max=20_000)])
    decision = SelectField(
        "Decision on the task",
        choices=[
            ("", "none"),
            ("accept", "accept the task (counts against the cap)"),
            ("reject", "reject the task"),
            ("propose_annex", "propose an annex"),
        ],
        default="",
    )
