"""My work: what waits for a person, grouped, each item with its age and a link.

Read-only: the groups are derived from the annexes, summaries, tasks, caps, contract dates
and notifications as they stand, with a few queries per group whatever the data. The groups
keep their order; within each, items are sorted as ``WORK_SORTING`` offers: by how long they
have waited (or their due date), oldest first by default, or by agreement.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from contracts_app.accounts.models import User
from contracts_app.agreements.ladder import levels_of, people_at
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.agreements.terms import Renewal, next_dates
from contracts_app.annexes.models import Annex, AnnexApproval, AnnexSignature
from contracts_app.db import db, utcnow
from contracts_app.documents.models import Document, DocumentState, SignOff
from contracts_app.enums import AgreementStatus, Role
from contracts_app.errors import ValidationFailed
from contracts_app.escalations.models import Escalation
from contracts_app.escalations.services import events_for, is_overdue
from contracts_app.notifications.models import Notification
from contracts_app.scope.services import clause_map, version_on
from contracts_app.sorting import Sorting, lower
from contracts_app.tasks.models import Task
from contracts_app.tasks.services import waits_for_decision
from contracts_app.tasks.timeline import term_of
from contracts_app.tasks.usage import UsageLedger
from contracts_app.tasks.verdicts import cap_period
from workflows.annex_states import AnnexState
from workflows.escalation import EscalationEvent, EscalationState

ITEMS_PER_GROUP = 20
RUNNING = (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)
DECIDERS = (Role.MANAGER, Role.APPROVER)

GROUPS = {
    "annexes_awaiting_me": "Annexes awaiting my side's approval or signature",
    "summaries_awaiting_sign_off": "Summaries awaiting my sign-off",
    "escalations_awaiting_my_side": "Escalations waiting for my side",
    "tasks_to_decide": "Tasks waiting for a decision",
    "caps_at_threshold": "Caps at or past their threshold this period",
    "contract_dates_near": "Contract dates within their lead time",
    "unread_notifications": "Unread notifications",
}


# The same fields for every group: an item's ``since`` (when it began to wait, or when it
# is due) and its agreement's code. Each group sorts its items in Python, or in its query
# where it reads only the first ``ITEMS_PER_GROUP`` rows (tasks, notifications).
WORK_SORTING = Sorting(
    columns={"since": "since", "agreement": "agreement"}, default="since", tiebreaker="title"
)


@dataclasses.dataclass
class Item:
    title: str
    link: str
    since: dt.datetime | dt.date
    agreement: str | None
    # Where a POST opens the item and records it seen (a notification), if anywhere.
    opens: str | None = None
    # ``since`` is when an answer is due (an escalation's deadline), not when it began to wait.
    due: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "link": self.link,
            "since": self.since.isoformat(),
            "due": self.due,
            "agreement": self.agreement,
        }


@dataclasses.dataclass
class Link:
    text: str
    href: str


@dataclasses.dataclass
class Group:
    kind: str
    count: int
    items: list[Item]
    # Where the whole of a group cut at ``ITEMS_PER_GROUP`` can be read, filtered the same way.
    full_lists: list[Link] = dataclasses.field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.items)

    @property
    def label(self) -> str:
        return GROUPS[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "count": self.count,
            "items": [item.to_json() for item in self.items],
        }


@dataclasses.dataclass
class MyWork:
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)

    def to_json(self) -> dict[str, Any]:
        return {"groups": [g.to_json() for g in self.groups], "total": self.total}


def my_work(user: User, today: dt.date | None = None, sort: str | None = None) -> MyWork:
    """What waits for ``user``, in groups, each sorted by ``sort`` (``since`` by default).
    Refuses a field ``WORK_SORTING`` does not offer."""
    sort = sort or WORK_SORTING.default
    if not WORK_SORTING.is_valid(sort):
        raise ValidationFailed({"sort": [WORK_SORTING.refusal]})
    today = today or utcnow().date()
    memberships = db.session.execute(
        sa.select(Membership, Agreement)
        .join(Agreement, Agreement.id == Membership.agreement_id)
        .where(Membership.user_id == user.id)
    ).all()
    return MyWork(
        [
            _group("annexes_awaiting_me", _annexes(memberships), sort, _annex_lists),
            _group("summaries_awaiting_sign_off", _summaries(memberships), sort, _summary_lists),
            _escalations(user, memberships, sort),
            _tasks(memberships, sort),
            _group("caps_at_threshold", _caps(memberships, today), sort, _agreement_pages),
            _group("contract_dates_near", _dates(memberships, today), sort, _agreement_pages),
            _notifications(user, sort),
        ]
    )


def _group(
    kind: str,
    items: list[Item],
    sort: str,
    lists: Callable[[list[Item]], list[Link]] | None = None,
) -> Group:
    """A group read whole in Python; cut at ``ITEMS_PER_GROUP``, it links to ``lists``."""
    shown = sorted_items(items, sort)[:ITEMS_PER_GROUP]
    full_lists = lists(items) if lists and len(items) > len(shown) else []
    return Group(kind, len(items), shown, full_lists)


def _codes(items: list[Item]) -> list[str]:
    return sorted({item.agreement for item in items if item.agreement}, key=str.lower)


def _annex_lists(items: list[Item]) -> list[Link]:
    return [Link(f"annexes of {code}", f"/agreements/{code}/annexes") for code in _codes(items)]


def _summary_lists(items: list[Item]) -> list[Link]:
    return [Link(f"summaries of {code}", f"/agreements/{code}/documents") for code in _codes(items)]


def _agreement_pages(items: list[Item]) -> list[Link]:
    return [Link(code, f"/agreements/{code}") for code in _codes(items)]


def sorted_items(items: list[Item], sort: str) -> list[Item]:
    """``items`` in the order ``sort`` names; ties by waiting time, then title. By
    agreement, items of no agreement come last either way (as NULLS LAST in the queries)."""
    descending = sort.startswith("-")
    by_time = sorted(items, key=lambda item: (_sortable(item.since), item.title))
    if sort.lstrip("-") == "since":
        return by_time[::-1] if descending else by_time
    named = [item for item in by_time if item.agreement]
    named.sort(key=lambda item: (item.agreement or "").lower(), reverse=descending)
    return named + [item for item in by_time if not item.agreement]


def _order(sort: str, since: Any, agreement: Any, tiebreaker: Any) -> list[Any]:
    """The ORDER BY of a group read in SQL, matching ``sorted_items``."""
    descending = sort.startswith("-")
    if sort.lstrip("-") == "since":
        return [since.desc() if descending else since.asc(), tiebreaker]
    code = lower(agreement)
    return [(code.desc() if descending else code.asc()).nulls_last(), since.asc(), tiebreaker]


def _sortable(moment: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment
    return dt.datetime.combine(moment, dt.time(), tzinfo=dt.UTC)


def _annexes(memberships: list[Any]) -> list[Item]:
    sides = {m.agreement_id: (m.side.value, a) for m, a in memberships if m.role == Role.APPROVER}
    if not sides:
        return []
    annexes = db.session.scalars(
        sa.select(Annex).where(
            Annex.agreement_id.in_(sides),
            Annex.state.in_([AnnexState.IN_REVIEW, AnnexState.APPROVED]),
        )
    ).all()
    given: set[tuple[int, int, str, str]] = set()
    ids = [annex.id for annex in annexes]
    for row_type, what in ((AnnexApproval, "approval"), (AnnexSignature, "signature")):
        for annex_id, review_round, side in db.session.execute(
            sa.select(row_type.annex_id, row_type.review_round, row_type.side).where(
                row_type.annex_id.in_(ids)
            )
        ):
            given.add((annex_id, review_round, side.value, what))
    items = []
    for annex in annexes:
        side, agreement = sides[annex.agreement_id]
        what = "approval" if annex.state == AnnexState.IN_REVIEW else "signature"
        if (
            side not in agreement.approval_sides
            or (
                annex.id,
                annex.review_round,
                side,
                what,
            )
            in given
        ):
            continue
        items.append(
            Item(
                f"{annex.label} \u201c{annex.title}\u201d awaits your side's {what}",
                f"/annexes/{annex.id}",
                annex.updated_at,
                agreement.code,
            )
        )
    return items


def _summaries(memberships: list[Any]) -> list[Item]:
    sides = {m.agreement_id: (m.side.value, a) for m, a in memberships if m.role == Role.APPROVER}
    if not sides:
        return []
    documents = db.session.scalars(
        sa.select(Document).where(
            Document.agreement_id.in_(sides), Document.state == DocumentState.AWAITING_SIGN_OFF
        )
    ).all()
    signed = {
        (document_id, side.value)
        for document_id, side in db.session.execute(
            sa.select(SignOff.document_id, SignOff.side).where(
                SignOff.document_id.in_([d.id for d in documents])
            )
        )
    }
    items = []
    for document in documents:
        side, agreement = sides[document.agreement_id]
        if side in document.required_sides and (document.id, side) not in signed:
            items.append(
                Item(
                    f"{document.label} awaits your sign-off",
                    f"/documents/{document.id}",
                    document.issued_at,
                    agreement.code,
                )
            )
    return items


def _tasks(memberships: list[Any], sort: str) -> Group:
    """Tasks waiting for a decision, oldest first by when they were recorded: a re-check
    (after an annex becomes effective, say) changes ``checked_at`` but not how long a task
    has waited. Each agreement's filtered task list holds all of its tasks to decide."""
    codes = {m.agreement_id: a.code for m, a in memberships if m.role in DECIDERS}
    if not codes:
        return Group("tasks_to_decide", 0, [])
    condition = sa.and_(Task.agreement_id.in_(codes), waits_for_decision())
    per_agreement = dict(
        db.session.execute(
            sa.select(Task.agreement_id, sa.func.count(Task.id))
            .where(condition)
            .group_by(Task.agreement_id)
        ).all()
    )
    count = sum(per_agreement.values())
    tasks = db.session.scalars(
        sa.select(Task)
        .join(Agreement, Agreement.id == Task.agreement_id)
        .where(condition)
        .order_by(*_order(sort, Task.created_at, Agreement.code, Task.id))
        .limit(ITEMS_PER_GROUP)
    ).all()
    items = [
        Item(
            f"Task {task.ref} \u201c{task.title}\u201d: "
            + (
                "needs attention after a re-check"
                if task.needs_attention
                else task.state.value.replace("_", " ")
            ),
            f"/tasks/{task.id}",
            task.created_at,
            codes[task.agreement_id],
        )
        for task in tasks
    ]
    full_lists = [
        Link(
            f"all {per_agreement[agreement_id]} to decide in {code}",
            f"/agreements/{code}/tasks?to_decide=1",
        )
        for agreement_id, code in sorted(codes.items(), key=lambda pair: pair[1].lower())
        if per_agreement.get(agreement_id)
    ]
    return Group("tasks_to_decide", count, sorted_items(items, sort), full_lists)


def _escalations(user: User, memberships: list[Any], sort: str) -> Group:
    """Escalations that wait for an answer or a decision of the user's side: open with the
    ball on that side, or a resolution the other side proposed; listed for the people who
    answer for that side at the escalation's level (those its notices go to). Who may
    answer or accept is the escalation machine's rule (``events_for``)."""
    by_agreement = {m.agreement_id: (m, a) for m, a in memberships}
    if not by_agreement:
        return Group("escalations_awaiting_my_side", 0, [])
    now = utcnow()
    unresolved = db.session.scalars(
        sa.select(Escalation)
        .where(
            Escalation.agreement_id.in_(by_agreement),
            Escalation.state != EscalationState.RESOLVED,
        )
        .options(selectinload(Escalation.agreement))
    ).all()
    items, sides_waiting = [], {}
    answering: dict[tuple[int, int], set[int]] = {}
    for escalation in unresolved:
        membership, agreement = by_agreement[escalation.agreement_id]
        allowed = events_for(escalation, membership, now)
        if escalation.state == EscalationState.OPEN:
            if escalation.ball_with != membership.side or EscalationEvent.ANSWER not in allowed:
                continue
            if escalation.deadline is None:
                waits = "waits for your side's answer"
            elif is_overdue(escalation, now):
                waits = "your side's answer is overdue"
            else:
                waits = "your side's answer is due"
        elif EscalationEvent.ACCEPT_RESOLUTION in allowed:
            waits = "the other side proposed a resolution"
        else:
            continue
        key = (agreement.id, escalation.level)
        if key not in answering:
            levels = levels_of(agreement)
            level = levels[min(escalation.level, len(levels)) - 1]
            answering[key] = {p.id for p in people_at(agreement, level, membership.side.value)}
        if user.id not in answering[key]:
            continue
        items.append(
            Item(
                f"{escalation.label} \u201c{escalation.subject}\u201d: {waits}",
                f"/escalations/{escalation.id}",
                escalation.deadline or escalation.created_at,
                agreement.code,
                due=escalation.deadline is not None,
            )
        )
        sides_waiting[agreement.code] = membership.side.value

    def lists(items: list[Item]) -> list[Link]:
        return [
            Link(
                f"escalations of {code} with the ball on the {sides_waiting[code]} side",
                f"/agreements/{code}/escalations?ball_with={sides_waiting[code]}&state=unresolved",
            )
            for code in _codes(items)
        ]

    return _group("escalations_awaiting_my_side", items, sort, lists)


def _managed(memberships: list[Any]) -> list[Agreement]:
    return [a for m, a in memberships if m.role == Role.MANAGER and a.status in RUNNING]


def _caps(memberships: list[Any], today: dt.date) -> list[Item]:
    items = []
    for agreement in _managed(memberships):
        if not agreement.covers(today):
            continue
        version = version_on(agreement, today)
        if version is None:
            continue
        thresholds = sorted(agreement.cap_alert_percents or [])
        if not thresholds:
            continue
        usage = UsageLedger(agreement.id)
        for ref, clause in clause_map(version).items():
            if clause.cap is None or not clause.cap.limit:
                continue
            start, end, label = cap_period(clause.cap.period, today, term_of(agreement))
            used = usage(ref, clause.cap.unit, start, end)
            percent = used * 100 / Decimal(clause.cap.limit)
            if percent >= thresholds[0]:
                items.append(
                    Item(
                        f"Clause {ref}: {percent:.0f} % of its cap used in {label}",
                        f"/agreements/{agreement.code}/clauses/{ref}/usage",
                        start,
                        agreement.code,
                    )
                )
    return items


def _dates(memberships: list[Any], today: dt.date) -> list[Item]:
    items = []
    for agreement in _managed(memberships):
        lead = max(agreement.alert_days or [0])
        for date in next_dates(Renewal.of(agreement), today):
            if (date.day - today).days <= lead:
                items.append(
                    Item(
                        f"{date.label} on {date.day}",
                        f"/agreements/{agreement.code}",
                        date.day,
                        agreement.code,
                    )
                )
    return items


def _notifications(user: User, sort: str) -> Group:
    condition = sa.and_(Notification.user_id == user.id, Notification.read_at.is_(None))
    count = db.session.scalar(sa.select(sa.func.count(Notification.id)).where(condition)) or 0
    # The newest ones, whatever the order they are shown in: the rest are older, and read
    # on the notifications page (newest first).
    rows = db.session.scalars(
        sa.select(Notification)
        .options(selectinload(Notification.agreement))
        .where(condition)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(ITEMS_PER_GROUP)
    ).all()
    items = [
        Item(
            n.text,
            n.link,
            n.created_at,
            n.agreement.code if n.agreement else None,
            opens=f"/notifications/{n.id}/open",
        )
        for n in rows
    ]
    return Group(
        "unread_notifications",
        count,
        sorted_items(items, sort),
        [Link("all notifications", "/notifications")],
    )


def work_count(user: User) -> int:
    return my_work(user).total
