"""Escalation KPIs for an agreement over a date range: what is open at which level, what was
raised and resolved each month, how long resolution took, who held the ball, and how
often each level was reached because a deadline passed rather than by choice."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from contracts_app.agreements.models import Agreement
from contracts_app.db import db, utcnow
from contracts_app.escalations.clock import hours
from contracts_app.escalations.models import BallHold, Escalation, EscalationMessage
from workflows.escalation import EscalationState


def _month(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m")


def _percentile(values: list[int], share: float) -> int:
    """The nearest-rank percentile: the smallest value with ``share`` of values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def escalation_stats(
    agreement: Agreement, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> dict[str, Any]:
    """KPIs of escalations raised from ``start`` to ``end`` (both included, UTC days)."""
    now = now or utcnow()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    escalations = db.session.scalars(
        sa.select(Escalation).where(
            Escalation.agreement_id == agreement.id,
            Escalation.created_at >= since,
            Escalation.created_at < until,
        )
    ).all()
    ids = [e.id for e in escalations]
    open_by_level = dict(
        db.session.execute(
            sa.select(Escalation.level, sa.func.count())
            .where(
                Escalation.agreement_id == agreement.id,
                Escalation.state != EscalationState.RESOLVED,
            )
            .group_by(Escalation.level)
        ).all()
    )
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"raised": 0, "resolved": 0})
    for escalation in escalations:
        months[_month(escalation.created_at)]["raised"] += 1
    resolved_in_range = db.session.scalars(
        sa.select(Escalation).where(
            Escalation.agreement_id == agreement.id,
            Escalation.resolved_at >= since,
            Escalation.resolved_at < until,
        )
    ).all()
    for escalation in resolved_in_range:
        assert escalation.resolved_at is not None
        months[_month(escalation.resolved_at)]["resolved"] += 1

    held: dict[int, int] = defaultdict(int)
    by_side: dict[str, int] = {"customer": 0, "provider": 0}
    if ids:
        for escalation_id, side, seconds, started in db.session.execute(
            sa.select(
                BallHold.escalation_id, BallHold.side, BallHold.seconds, BallHold.started_at
            ).where(BallHold.escalation_id.in_(ids))
        ).all():
            spent = seconds if seconds is not None else int((now - started).total_seconds())
            held[escalation_id] += spent
            by_side[side.value] += spent
    to_resolve = [
        held[e.id] for e in escalations if e.state == EscalationState.RESOLVED and e.id in held
    ]
    reached: dict[int, dict[str, int]] = defaultdict(lambda: {"by_deadline": 0, "by_choice": 0})
    if ids:
        for to_level, by_deadline in db.session.execute(
            sa.select(EscalationMessage.to_level, EscalationMessage.by_deadline).where(
                EscalationMessage.escalation_id.in_(ids),
                EscalationMessage.event == "escalate",
            )
        ).all():
            reached[to_level]["by_deadline" if by_deadline else "by_choice"] += 1
    return {
        "from": start,
        "to": end,
        "open_by_level": [
            {"level": level, "count": count} for level, count in sorted(open_by_level.items())
        ],
        "months": [{"month": month, **counts} for month, counts in sorted(months.items())],
        "time_to_resolve_hours": {
            "count": len(to_resolve),
            "median": str(hours(int(statistics.median(to_resolve)))) if to_resolve else None,
            "p90": str(hours(_percentile(to_resolve, 0.9))) if to_resolve else None,
        },
        "ball_hours": {side: str(hours(seconds)) for side, seconds in by_side.items()},
        "levels_reached": [{"level": level, **counts} for level, counts in sorted(reached.items())],
    }
