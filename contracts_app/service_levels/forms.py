"""Ticket times as typed in the task form."""

from __future__ import annotations

from typing import Any

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
