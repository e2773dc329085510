"""Ticket times as typed in the task form."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from contracts_app.service_levels.tickets import pauses_from_text


def ticket_times_of(form: Any) -> dict[str, Any]:
    """The optional ticket fields of a form that has them (the check form has none).

    Pauses are typed one a line, ``from / to``; validation is the service's.
    """
    if not hasattr(form, "opened_at"):
        return {}
    lines = [line.strip() for line in (form.pauses.data or "").splitlines() if line.strip()]
    return {
        "priority": form.priority.data or None,
        "opened_at": form.opened_at.data or None,
        "responded_at": form.responded_at.data or None,
        "resolved_at": form.resolved_at.data or None,
        "pauses": pauses_from_text(";".join(lines)),
    }


class TicketTimesForm(FlaskForm):
    """A ticket's times changed after it was recorded (responded, resolved, paused)."""

    priority = StringField("Priority", validators=[Optional(), Length(max=20)])
    opened_at = StringField("Opened at", validators=[Optional(), Length(max=40)])
    responded_at = StringField("Responded at", validators=[Optional(), Length(max=40)])
    resolved_at = StringField("Resolved at", validators=[Optional(), Length(max=40)])
    pauses = TextAreaField(
        "Pauses (one a line: from / to)", validators=[Optional(), Length(max=20_000)]
    )


def times_form_of(task: Any) -> TicketTimesForm:
    form = TicketTimesForm()
    if not form.is_submitted():
        form.priority.data = task.priority
        for name in ("opened_at", "responded_at", "resolved_at"):
            value = getattr(task, name)
            getattr(form, name).data = value.isoformat() if value else ""
        form.pauses.data = "\n".join(f"{p['from']} / {p['to']}" for p in task.pauses or ())
    return form


def field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Messages about one pause land beside the pauses field, naming the line."""
    result: dict[str, list[str]] = {}
    for path, messages in errors.items():
        if path.startswith("pauses."):
            line = int(path.split(".")[1]) + 1
            result.setdefault("pauses", []).extend(f"Line {line}: {m}" for m in messages)
        else:
            result.setdefault(path, []).extend(messages)
    return result
