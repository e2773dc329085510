"""An escalation as pages and the API show it: the ball, the deadline, the holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts_app.agreements.ladder import levels_of
from contracts_app.db import utcnow
from contracts_app.escalations.clock import BusinessClock, clock_for, hours
from contracts_app.escalations.models import Escalation
from contracts_app.escalations.services import events_for, holds_of, is_overdue


def escalation_view(
    escalation: Escalation, membership: Any, now: dt.datetime | None = None, detail: bool = True
) -> dict[str, Any]:
    now = now or utcnow()
    levels = levels_of(escalation.agreement)
    level = levels[min(escalation.level, len(levels)) - 1]
    hours_left, hours_unit = None, "hours"
    if escalation.deadline is not None and escalation.state.value != "resolved":
        clock = clock_for(escalation.agreement)
        if isinstance(clock, BusinessClock):
            hours_unit = "business hours"  # the service calendar's, not the wall clock's
        if escalation.deadline > now:
            hours_left = str(hours(clock.seconds_between(now, escalation.deadline)))
        else:
            hours_left = str(-hours(clock.seconds_between(escalation.deadline, now)))
    view: dict[str, Any] = {
        "id": escalation.id,
        "number": escalation.number,
        "agreement": escalation.agreement.code,
        "subject": escalation.subject,
        "description": escalation.description,
        "state": escalation.state.value,
        "level": escalation.level,
        "level_name": level.name,
        "top_level": len(levels),
        "ball_with": escalation.ball_with.value,
        "raised_side": escalation.raised_side.value,
        "deadline": escalation.deadline,
        "overdue": is_overdue(escalation, now),
        "hours_left": hours_left,
        "hours_unit": hours_unit,
        "task": escalation.task_id,
        "service_level": escalation.service_level_ref,
        "clause": escalation.clause_ref,
        "period": escalation.period,
        "proposed_by": escalation.proposed_by.value if escalation.proposed_by else None,
        "proposed_decision": escalation.proposed_decision,
        "proposal": next(
            (m.body for m in reversed(escalation.messages) if m.event == "propose_resolution"),
            None,
        )
        if escalation.proposed_by
        else None,
        "created_at": escalation.created_at,
        "resolved_at": escalation.resolved_at,
        "allowed_events": events_for(escalation, membership, now),
    }
    if detail:
        # pages name the task by its ref; the API keeps its id (``task``)
        view["task_label"] = escalation.task.label if escalation.task is not None else None
        view["holds"] = [
            {**hold, "hours": str(hours(hold["seconds"]))} for hold in holds_of(escalation, now)
        ]
        view["messages"] = escalation.messages
    return view
