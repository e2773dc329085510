"""Huey tasks: delivery after commit, retries when they are due, and the periodic jobs.

Every task runs in an application context of its own and ends its session, so a worker
thread never carries a transaction from one task to the next.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from huey import crontab

from contracts_app.db import db, utcnow
from contracts_app.jobs.queue import current_app_for_jobs, huey

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def in_app_context(function: F) -> F:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with current_app_for_jobs().app_context():
            try:
                return function(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper  # type: ignore[return-value]


def _retry_when_due(next_due: dt.datetime | None) -> None:
    """Schedule one sweep for when the next try is due (a retry with backoff)."""
    if next_due is not None:
        deliver_due.schedule(eta=max(next_due, utcnow()) + dt.timedelta(milliseconds=50))


@huey.task()
@in_app_context
def deliver_notifications(notification_ids: Sequence[int]) -> dict[str, int]:
    """Email these notifications now (enqueued after the commit that wrote them)."""
    from contracts_app.notifications.delivery import deliver_email, next_due, smtp_connection

    outcomes: dict[str, int] = {}
    with smtp_connection() as connection:
        for notification_id in notification_ids:
            outcome = deliver_email(notification_id, connection=connection)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes.get("retry"):
        _retry_when_due(next_due())
    return outcomes


@huey.task()
@in_app_context
def deliver_due() -> dict[str, int]:
    """Every email whose try is due; schedules itself again for the next one."""
    from contracts_app.notifications.delivery import deliver_pending

    report = deliver_pending()
    _retry_when_due(report.next_due)
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}


@huey.task()
@in_app_context
def render_document(render_id: int) -> str:
    """Render a PDF someone asked for (its progress and result are written to its row)."""
    from contracts_app.documents.renders import run_render

    return run_render(render_id).value


@huey.task()
@in_app_context
def finalize_document(document_id: int) -> str:
    """Render, sign and store the signed PDF of a summary every side has signed off."""
    from contracts_app.documents.services import finalize

    return finalize(document_id).value


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_deliveries() -> None:
    """Once a minute: emails left due by a stopped worker or a lost queue entry, and
    escalations whose response time has just passed (their deadlines are to the minute)."""
    from contracts_app.escalations.services import climb_overdue
    from contracts_app.notifications.delivery import deliver_pending

    deliver_pending()
    climb_overdue()


@huey.periodic_task(crontab(minute="5"))
@in_app_context
def hourly_jobs() -> None:
    """Annexes due, contract alerts, cap thresholds and digests (digests go at 07:00 in
    each person's time zone, so this runs every hour; each job is idempotent)."""
    from contracts_app.jobs.periodic import run_due

    report = run_due()
    log.info("periodic jobs: %s", ", ".join(report.lines()))


@huey.on_startup()
def _deliver_what_waits() -> None:
    """A worker starting (again) delivers what a stopped one left pending."""
    try:
        deliver_due()
    except Exception as exc:  # the worker keeps running; the minute sweep catches up
        log.warning("could not enqueue the start-up delivery: %s", exc)
