"""Email delivery of the outbox, after commit, in a job.

A try claims the row with one conditional UPDATE (pending, due, tries left): it counts the
try and moves ``email_next_at`` to when the next try is due, then commits, then talks to
SMTP, then marks the row sent. So:

- two workers never send the same row at once (only one UPDATE matches);
- a worker killed after sending but before marking leaves the row due again at its next
  try: the email goes out once more with the same Message-ID (a repeat, never a loss);
- an SMTP server that refuses or is down costs a try; the tries back off exponentially
  and after the last one the row is marked failed (the administrators' page lists it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import current_app

from contracts_app.accounts.models import User
from contracts_app.db import db, utcnow
from contracts_app.notifications.email import (
    DELIVERY_ERRORS,
    digest_email,
    mail,
    notification_email,
)
from contracts_app.notifications.models import EmailState, Notification, NotificationSettings
from contracts_app.notifications.services import mark_once


@dataclasses.dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    digests: int = 0
    next_due: dt.datetime | None = None


def _backoff(attempt: int) -> dt.timedelta:
    base = current_app.config["NOTIFY_RETRY_SECONDS"]
    return dt.timedelta(seconds=base * 2 ** (attempt - 1))


def _claim(notification_id: int, now: dt.datetime) -> int:
    """Take one try of the row if it is due (committed before anything is sent); the
    number of this try, or 0 when the row is not due or another worker took it."""
    max_attempts = current_app.config["NOTIFY_MAX_ATTEMPTS"]
    row = db.session.execute(
        sa.select(Notification.email_attempts).where(Notification.id == notification_id)
    ).first()
    if row is None:
        db.session.rollback()
        return 0
    attempt = row[0] + 1
    result = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.email_state == EmailState.PENDING,
            Notification.email_attempts == row[0],
            Notification.email_attempts < max_attempts,
            Notification.email_next_at <= now,
        )
        .values(email_attempts=attempt, email_next_at=now + _backoff(attempt))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return attempt if result.rowcount == 1 else 0


def deliver_email(
    notification_id: int, now: dt.datetime | None = None, connection: Any = None
) -> str:
    """One try of one notification's email: "sent", "retry", "failed" or "skipped".

    ``connection`` (from ``smtp_connection``) carries several emails over one SMTP session.
    """
    now = now or utcnow()
    attempt = _claim(notification_id, now)
    if not attempt:
        return "skipped"
    notification = db.session.get(Notification, notification_id, populate_existing=True)
    assert notification is not None
    db.session.commit()  # no transaction stays open while SMTP is talked to
    message = notification_email(notification)
    message.connection = connection
    try:
        message.send()
    except DELIVERY_ERRORS as exc:
        if connection is not None:
            connection.close()  # the next email opens a fresh session
        last = attempt >= current_app.config["NOTIFY_MAX_ATTEMPTS"]
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id == notification_id)
            .values(
                email_error=f"{type(exc).__name__}: {exc}"[:500],
                email_state=EmailState.FAILED if last else EmailState.PENDING,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return "failed" if last else "retry"
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == notification_id)
        .values(email_state=EmailState.SENT, email_sent_at=utcnow(), email_error="")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "sent"


def deliver_pending(now: dt.datetime | None = None, limit: int = 500) -> DeliveryReport:
    """Try every email that is due; mark failed the rows whose last try never finished
    (a worker died during it). Returns counts and when the next try is due."""
    now = now or utcnow()
    report = DeliveryReport()
    max_attempts = current_app.config["NOTIFY_MAX_ATTEMPTS"]
    db.session.execute(
        sa.update(Notification)
        .where(
            Notification.email_state == EmailState.PENDING,
            Notification.email_attempts >= max_attempts,
            Notification.email_next_at <= now,
        )
        .values(email_state=EmailState.FAILED, email_error="The last try did not finish.")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    due = db.session.scalars(
        sa.select(Notification.id)
        .where(Notification.email_state == EmailState.PENDING, Notification.email_next_at <= now)
        .order_by(Notification.email_next_at, Notification.id)
        .limit(limit)
    ).all()
    db.session.commit()
    with smtp_connection() as connection:
        outcomes = [deliver_email(notification_id, now, connection) for notification_id in due]
    for outcome in outcomes:
        if outcome == "sent":
            report.sent += 1
        elif outcome == "retry":
            report.retried += 1
        elif outcome == "failed":
            report.failed += 1
    report.next_due = next_due()
    return report


@contextlib.contextmanager
def smtp_connection() -> Iterator[Any]:
    """One SMTP session for a batch of emails, opened on first use, closed at the end."""
    connection = mail.get_connection()
    try:
        yield connection
    finally:
        with contextlib.suppress(*DELIVERY_ERRORS):
            connection.close()


def next_due() -> dt.datetime | None:
    moment = db.session.scalar(
        sa.select(sa.func.min(Notification.email_next_at)).where(
            Notification.email_state == EmailState.PENDING
        )
    )
    db.session.commit()
    return moment


def send_digests(now: dt.datetime | None = None) -> int:
    """Send each person's daily digest once their local time has reached DIGEST_HOUR.

    One digest per person and local day (a unique mark); the rows it carries are marked
    sent in the same transaction as the mark, after SMTP accepted the message.
    """
    now = now or utcnow()
    hour = current_app.config["DIGEST_HOUR"]
    user_ids = db.session.scalars(
        sa.select(Notification.user_id)
        .where(Notification.email_state == EmailState.DIGEST)
        .distinct()
    ).all()
    sent = 0
    for user_id in user_ids:
        settings = db.session.get(NotificationSettings, user_id)
        local = now.astimezone(zoneinfo.ZoneInfo(settings.time_zone if settings else "UTC"))
        if local.hour < hour:
            continue
        day = local.date().isoformat()
        rows = db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.email_state == EmailState.DIGEST,
                Notification.created_at <= now,
            )
            .order_by(Notification.id)
        ).all()
        if not rows or not mark_once(f"user:{user_id}", f"digest:{day}"):
            db.session.rollback()
            continue
        user = db.session.get(User, user_id)
        try:
            digest_email(user, day, rows).send()
        except DELIVERY_ERRORS:
            db.session.rollback()  # the mark goes too: the next run tries again
            continue
        for row in rows:
            row.email_state = EmailState.SENT
            row.email_sent_at = now
        db.session.commit()
        sent += 1
    return sent
