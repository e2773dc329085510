"""The outbox and what a person does with it: read, mark read, choose how each kind arrives.

``notify`` writes rows in the caller's transaction (a rolled-back event notifies nobody);
delivery happens after commit, in a job (``notifications/delivery.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from contracts_app.accounts.models import User
from contracts_app.db import UTCDateTime, db, unit_of_work, utcnow
from contracts_app.errors import NotFound, ValidationFailed
from contracts_app.notifications.kinds import DEFAULT_DELIVERY, LABELS, Delivery, Kind
from contracts_app.notifications.models import (
    AlertMark,
    EmailState,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from contracts_app.sorting import Sorting

OUTBOX_KEY = "outbox"  # ids to queue for email delivery once the transaction commits

EMAIL_STATE_FOR = {
    Delivery.IN_APP: EmailState.NONE,
    Delivery.EMAIL: EmailState.PENDING,
    Delivery.DIGEST: EmailState.DIGEST,
}


def deliveries_for(user_ids: Iterable[int], kind: Kind) -> dict[int, Delivery]:
    """How each of these people wants ``kind`` delivered (one query)."""
    ids = set(user_ids)
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.user_id, NotificationPreference.delivery).where(
                NotificationPreference.user_id.in_(ids), NotificationPreference.kind == kind
            )
        ).all()
    )
    return {user_id: chosen.get(user_id, DEFAULT_DELIVERY[kind]) for user_id in ids}


def notify(
    user_ids: Iterable[int | None] | sa.Select,
    kind: Kind,
    text: str,
    link: str,
    *,
    agreement_id: int | None,
    object_type: str,
    object_id: int | None,
    skip_user_id: int | None = None,
) -> list[int]:
    """Write one notification per recipient in the current transaction; their ids.

    ``user_ids`` is ids, or a query of ``user_id`` (e.g. an agreement's approvers). The
    rows are written by one INSERT ... SELECT that reads each recipient's preference for
    ``kind`` on the way. The person who caused the event (``skip_user_id``) is not told
    about it. The ids of those to email are kept on the session: after the commit they are
    queued for delivery (``jobs/queue.py``), after a rollback forgotten.
    """
    kind = Kind(kind)
    if isinstance(user_ids, sa.Select):
        ids = set(db.session.scalars(user_ids))
    else:
        ids = {uid for uid in user_ids if uid is not None}
    ids.discard(skip_user_id)
    if not ids:
        return []
    now = utcnow()
    written = db.session.execute(
        _outbox_insert(),
        {
            "recipient_ids": sorted(ids),
            "kind": kind,
            "default_delivery": DEFAULT_DELIVERY[kind],
            "agreement_id": agreement_id,
            "object_type": object_type,
            "object_id": object_id,
            "text": text[:500],
            "link": link[:500],
            "now": now,
        },
    ).all()
    to_email = [row_id for row_id, state in written if state == EmailState.PENDING]
    if to_email:
        db.session.info.setdefault(OUTBOX_KEY, []).extend(to_email)
    return sorted(row_id for row_id, _state in written)


@functools.cache
def _outbox_insert() -> sa.Insert:
    """The outbox's INSERT ... SELECT, built once per process: every event of an annex,
    summary or task writes through it, and building it costs more than running it."""
    recipients = (
        sa.select(User.id.label("user_id"))
        .where(User.id.in_(sa.bindparam("recipient_ids", expanding=True)))
        .subquery()
    )
    delivery_type = NotificationPreference.__table__.c.delivery.type
    preference = sa.func.coalesce(
        NotificationPreference.delivery, sa.bindparam("default_delivery", type_=delivery_type)
    )
    email_state = sa.case(
        *[(preference == d.value, state.value) for d, state in EMAIL_STATE_FOR.items()],
        else_=EmailState.NONE.value,
    )
    now = sa.bindparam("now", type_=UTCDateTime())
    kind = sa.bindparam("kind", type_=Notification.__table__.c.kind.type)
    rows = (
        sa.select(
            recipients.c.user_id,
            kind,
            sa.bindparam("agreement_id", type_=sa.Integer),
            sa.bindparam("object_type", type_=sa.String),
            sa.bindparam("object_id", type_=sa.Integer),
            sa.bindparam("text", type_=sa.String),
            sa.bindparam("link", type_=sa.String),
            now,
            email_state,
            sa.case((preference == Delivery.EMAIL.value, now), else_=sa.null()),
            sa.literal(0),
            sa.literal(""),
        )
        .select_from(recipients)
        .outerjoin(
            NotificationPreference,
            sa.and_(
                NotificationPreference.user_id == recipients.c.user_id,
                NotificationPreference.kind == kind,
            ),
        )
    )
    columns = [
        "user_id", "kind", "agreement_id", "object_type", "object_id", "text", "link",
        "created_at", "email_state", "email_next_at", "email_attempts", "email_error",
    ]  # fmt: skip
    table = Notification.__table__  # Core: with a dict of parameters the ORM would bulk-insert
    return sa.insert(table).from_select(columns, rows).returning(table.c.id, table.c.email_state)


def mark_once(scope: str, key: str) -> bool:
    """Record that an alert was raised; False when it already was (the unique key decides,
    so two jobs running at once cannot both raise it)."""
    savepoint = db.session.begin_nested()
    try:
        db.session.add(AlertMark(scope=scope, key=key[:200]))
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


# --- reading and marking ------------------------------------------------------------------


NOTIFICATION_SORTING = Sorting(
    columns={
        "created": Notification.created_at,
        "kind": Notification.kind,
    },
    default="",
    tiebreaker=Notification.id,
    default_order=(Notification.read_at.is_not(None), Notification.id.desc()),
)


def list_notifications(
    user: User,
    *,
    page: int = 1,
    per_page: int = 25,
    unread_only: bool = False,
    sort: str | None = None,
) -> tuple[list[Notification], int, int]:
    """The user's notifications, unread first, newest first unless ``sort`` says otherwise;
    with the total and unread count. Refuses a field ``NOTIFICATION_SORTING`` does not offer."""
    order = NOTIFICATION_SORTING.order_by(sort)
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total, unread_count(user)


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(user: User, notification_ids: Iterable[int] | None) -> int:
    """Mark the user's notifications read (all unread ones when ``notification_ids`` is None).

    Someone else's id is "not found", as for a missing one.
    """
    with unit_of_work():
        query = sa.update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
        if notification_ids is not None:
            ids = set(notification_ids)
            owned = set(
                db.session.scalars(
                    sa.select(Notification.id).where(
                        Notification.id.in_(ids), Notification.user_id == user.id
                    )
                ).all()
            )
            missing = ids - owned
            if missing:
                raise NotFound(f"No notification {min(missing)}.")
            query = query.where(Notification.id.in_(ids))
        result = db.session.execute(query.values(read_at=utcnow()))
    return result.rowcount or 0


def open_notification(user: User, notification_id: int) -> str:
    """Mark one of the user's notifications read and give the page it is about.

    Someone else's id is "not found", as for a missing one. A link that is not a path of
    this application (none is ever stored, but a row is data) opens the notifications list.
    """
    with unit_of_work():
        notification = db.session.scalar(
            sa.select(Notification).where(
                Notification.id == notification_id, Notification.user_id == user.id
            )
        )
        if notification is None:
            raise NotFound(f"No notification {notification_id}.")
        if notification.read_at is None:
            notification.read_at = utcnow()
    link = notification.link
    return link if link.startswith("/") and not link.startswith("//") else "/notifications"


# --- preferences ----------------------------------------------------------------------------


def preferences_of(user: User) -> dict[str, Any]:
    """Every kind with its delivery (the default where the person chose nothing)."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    settings = db.session.get(NotificationSettings, user.id)
    return {
        "time_zone": settings.time_zone if settings else "UTC",
        "kinds": [
            {
                "kind": kind.value,
                "label": LABELS[kind],
                "delivery": chosen.get(kind, DEFAULT_DELIVERY[kind]).value,
                "default": DEFAULT_DELIVERY[kind].value,
            }
            for kind in Kind
        ],
    }


def set_preferences(
    user: User, deliveries: Mapping[str, str], time_zone: str | None = None
) -> dict[str, Any]:
    """Set how kinds are delivered (``{"annex_approved": "email", ...}``) and the time zone
    of the daily digest. Unknown kinds, deliveries or time zones are refused by field."""
    errors: dict[str, list[str]] = {}
    parsed: dict[Kind, Delivery] = {}
    for name, delivery in deliveries.items():
        try:
            kind = Kind(name)
        except ValueError:
            errors[f"kinds.{name}"] = ["Unknown kind of notification."]
            continue
        try:
            parsed[kind] = Delivery(delivery)
        except ValueError:
            errors[f"kinds.{name}"] = ["Must be in_app, email or digest."]
    if time_zone is not None and not valid_time_zone(time_zone):
        errors["time_zone"] = ["Unknown time zone; use a name such as Europe/Paris or UTC."]
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        for kind, delivery in parsed.items():
            _set_delivery(user.id, kind, delivery)
        if time_zone is not None:
            settings = db.session.get(NotificationSettings, user.id)
            if settings is None:
                db.session.add(NotificationSettings(user_id=user.id, time_zone=time_zone))
            else:
                settings.time_zone = time_zone
    return preferences_of(user)


def _set_delivery(user_id: int, kind: Kind, delivery: Delivery) -> None:
    row = db.session.scalar(
        sa.select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    if row is None:
        db.session.add(NotificationPreference(user_id=user_id, kind=kind, delivery=delivery))
    else:
        row.delivery = delivery
    db.session.flush()


def unsubscribe(user_id: int, kind: Kind) -> None:
    """Turn off email for one kind (the one-click link in every email)."""
    with unit_of_work():
        if db.session.get(User, user_id) is None:
            raise NotFound("No such account.")
        _set_delivery(user_id, kind, Delivery.IN_APP)


def valid_time_zone(name: str) -> bool:
    if not name or len(name) > 64:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


FAILED_SORTING = Sorting(
    columns={
        "id": Notification.id,
        "to": sa.select(User.email).where(User.id == Notification.user_id).scalar_subquery(),
        "tries": Notification.email_attempts,
        "written": Notification.created_at,
    },
    default="-id",
    tiebreaker=Notification.id,
)


def failed_notifications(limit: int = 200, sort: str | None = None) -> list[Notification]:
    """Emails that could not be delivered after every try (for administrators): the first
    ``limit`` in the order ``sort`` names, latest first by default."""
    order = FAILED_SORTING.order_by(sort)
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.email_state == EmailState.FAILED)
            .order_by(*order)
            .limit(limit)
        ).all()
    )


def local_today(time_zone: str, now: dt.datetime | None = None) -> dt.datetime:
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(time_zone))
