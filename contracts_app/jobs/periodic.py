"""The periodic jobs, as plain functions of "today" (the Huey tasks and `jobs run-due` call
them). Each is idempotent: run twice for the same day, the second run changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from contracts_app.agreements.alerts import contract_date_near
from contracts_app.agreements.models import Agreement
from contracts_app.agreements.status import apply_due
from contracts_app.agreements.terms import Renewal, due_alerts
from contracts_app.annexes.services import activate_due
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.documents.renders import delete_expired as delete_expired_renders
from contracts_app.documents.renders import fail_abandoned as fail_abandoned_renders
from contracts_app.documents.services import finalize_abandoned
from contracts_app.enums import AgreementStatus
from contracts_app.escalations.services import climb_overdue
from contracts_app.notifications.delivery import deliver_pending, send_digests
from contracts_app.scope.services import clause_map, version_on
from contracts_app.tasks.cap_alerts import cap_use_changed

RUNNING = (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)


@dataclasses.dataclass
class RunReport:
    activated: int = 0
    status_changes: int = 0
    escalations_climbed: int = 0
    contract_alerts: int = 0
    cap_checks: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    digests: int = 0
    renders_expired: int = 0
    renders_abandoned: int = 0
    summaries_signed: int = 0

    def lines(self) -> list[str]:
        return [
            f"{field.name.replace('_', ' ')}: {getattr(self, field.name)}"
            for field in dataclasses.fields(self)
        ]


def activate_due_annexes(today: dt.date) -> int:
    """Scheduled annexes whose date has come become effective (one transaction each)."""
    return len(activate_due(today))


def contract_alerts(today: dt.date) -> int:
    """Notice deadlines and ends of term within a lead time: one alert per agreement, date
    and lead time (the alert mark's unique key keeps it so)."""
    sent = 0
    ids = db.session.scalars(
        sa.select(Agreement.id).where(
            Agreement.status.in_(RUNNING), Agreement.end_date.is_not(None)
        )
    ).all()
    for agreement_id in ids:
        with unit_of_work():
            agreement = db.session.get(Agreement, agreement_id)
            assert agreement is not None
            for alert in due_alerts(Renewal.of(agreement), agreement.alert_days or [], today):
                sent += contract_date_near(agreement, alert, today)
    return sent


def cap_thresholds(today: dt.date) -> int:
    """Every capped clause's use in today's period against the thresholds: catches work that
    reached a threshold by a path that did not say so at once (an import, a re-check)."""
    checked = 0
    agreements = db.session.scalars(sa.select(Agreement).where(Agreement.status.in_(RUNNING))).all()
    for agreement in agreements:
        if not agreement.covers(today):
            continue
        version = version_on(agreement, today)
        if version is None:
            continue
        with unit_of_work():
            for ref, clause in clause_map(version).items():
                if clause.cap is not None:
                    cap_use_changed(agreement, ref, today)
                    checked += 1
    return checked


def run_due(today: dt.date | None = None, now: dt.datetime | None = None) -> RunReport:
    """Every periodic job once, as of ``today``, then deliver what is pending: annexes
    due, agreed status changes and expiries, overdue escalations, contract alerts, cap
    thresholds, digests, expired renders, renders and summaries left by a stopped worker,
    emails."""
    now = now or utcnow()
    today = today or now.date()
    report = RunReport()
    report.activated = activate_due_annexes(today)
    report.status_changes = len(apply_due(today))
    report.escalations_climbed = len(climb_overdue(now))
    report.contract_alerts = contract_alerts(today)
    report.cap_checks = cap_thresholds(today)
    report.digests = send_digests(now)
    report.renders_expired = delete_expired_renders(now)
    report.renders_abandoned = fail_abandoned_renders(now)
    report.summaries_signed = finalize_abandoned(now)
    delivery = deliver_pending(max(now, utcnow()))  # what the jobs above just wrote too
    report.sent, report.retried, report.failed = delivery.sent, delivery.retried, delivery.failed
    return report
