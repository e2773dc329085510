"""The one definition of a stored task's verdict, shared by every path that checks.

A task is judged by the scope valid on its date, the agreement's status on its date
and, for a cap, the use of the same clause in the same period by the tasks ordered
*before* it: by date, then ``opened_at`` where known (tasks have none yet), then ref in
Unicode NFC. Never by row id or recording time, so the verdicts of a set of tasks do
not depend on the order in which they were recorded or imported.

Three callers, one walk (``settle``): recording a task, importing a file, and
re-checking after a person's decision or an annex. The walk loads the use of the
window's clauses before its start once, then checks every task of the window in
canonical order, counting each task that counts as it goes. The dry-run check asks
the database for the same sum (``usage_before``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import unicodedata
from collections.abc import Callable, Collection, Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from contracts_app.agreements.models import Agreement
from contracts_app.agreements.status import dated_status
from contracts_app.audit.services import record
from contracts_app.db import db, utcnow
from contracts_app.enums import CapPeriod, CapUnit
from contracts_app.scope.clauses import MAX_AMOUNT
from contracts_app.tasks.models import Task, VerdictChange
from contracts_app.tasks.scope_index import index_for
from contracts_app.tasks.timeline import ScopeTimeline
from contracts_app.tasks.usage import UsageLedger
from contracts_app.tasks.verdicts import (
    ZERO,
    CheckResult,
    ScopeIndex,
    TaskFacts,
    Term,
    UsageLookup,
    cap_period,
    check,
)
from workflows.task_states import (
    COUNTED_STATES,
    RECHECKED_STATES,
    VERDICT_STATES,
    TaskState,
    Verdict,
)

MAX_LISTED = 1000  # verdict changes named in the audit event; the count is always exact

# The agreement's status in force on a day (its dated history): a task is judged by the
# status on its own date, so a suspension does not reach back to work done before it.
StatusOn = Callable[[dt.date], str]


_NO_TIME = dt.datetime.min.replace(tzinfo=dt.UTC)

OrderKey = tuple[dt.date, int, dt.datetime, int, str, str]


def order_key(day: dt.date, ref: str | None, opened_at: dt.datetime | None = None) -> OrderKey:
    """Where a task stands among its agreement's tasks: date, opening time, ref (NFC).

    Tasks whose opening time is known come first on their date, in that order; a
    check without a ref (a dry run) stands after every task of its date.
    """
    return (
        day,
        0 if opened_at is not None else 1,
        opened_at or _NO_TIME,
        0 if ref is not None else 1,
        unicodedata.normalize("NFC", ref or ""),
        ref or "",  # two refs equal in NFC still have one order
    )


def task_key(task: Task) -> OrderKey:
    return order_key(task.day, task.ref, getattr(task, "opened_at", None))


def facts_of(data: Any, task_id: int | None = None) -> TaskFacts:
    """What the check reads of a task, stored (``Task``) or not (``TaskInput``)."""
    return TaskFacts(
        title=data.title,
        description=data.description or "",
        day=data.day,
        category=data.category,
        system=data.system,
        hours=data.hours,
        amount=data.amount,
        task_id=task_id,
        unmapped=tuple(getattr(data, "unmapped", None) or ()),
    )


def _no_usage(_ref: str, _unit: CapUnit, _start: dt.date, _end: dt.date | None) -> Decimal:
    return ZERO


def counted_amount(result: CheckResult, amount: Decimal | None) -> Decimal | None:
    """What a task adds to an amount cap: its amount, else the amount priced at the rate."""
    return amount if amount is not None else result.priced_amount


def storable_price(result: CheckResult) -> Decimal | None:
    price = result.priced_amount
    return price if price is not None and price <= MAX_AMOUNT else None


class VerdictContext:
    """What every check of one agreement reads besides the task: scope, term, status."""

    def __init__(
        self,
        agreement: Agreement,
        *,
        status_on: StatusOn | None = None,
        index_on: Callable[[dt.date], ScopeIndex | None] | None = None,
    ) -> None:
        self.agreement = agreement
        self.status_on = status_on or dated_status(agreement.id)
        self._index_on = index_on
        self._timeline: ScopeTimeline | None = None
        self._terms: dict[str, Term] = {}

    @property
    def timeline(self) -> ScopeTimeline:
        if self._timeline is None:
            self._timeline = ScopeTimeline(self.agreement)
        return self._timeline

    def index_on(self, day: dt.date) -> ScopeIndex | None:
        if self._index_on is not None:
            return self._index_on(day)
        return self.timeline.on(day)

    def term_on(self, day: dt.date) -> Term:
        status = self.status_on(day)
        term = self._terms.get(status)
        if term is None:
            agreement = self.agreement
            term = Term(agreement.start_date, agreement.term_end(), status, agreement.currency)
            self._terms[status] = term
        return term

    def check(self, facts: TaskFacts, usage: UsageLookup) -> CheckResult:
        result = check(facts, self.index_on(facts.day), self.term_on(facts.day), usage)
        if facts.unmapped:  # a value of its export no mapping covered: a person looks first
            return CheckResult(
                Verdict.NEEDS_REVIEW,
                None,
                result.scope_version,
                [*facts.unmapped, *result.reasons],
                result.candidates,
            )
        return result

    def clause_for(self, facts: TaskFacts) -> str | None:
        """The deciding clause: it never depends on the use of caps."""
        return self.check(facts, _no_usage).clause

    def cap_periods(self, ref: str) -> set[CapPeriod]:
        """The cap periods clause ``ref`` has in any version of the timeline."""
        kinds: set[CapPeriod] = set()
        for version in self.timeline.versions:
            spec = index_for(version).clauses.get(ref)
            if spec is not None and spec.cap is not None:
                kinds.add(spec.cap.period)
        return kinds

    def reach(self, ref: str, day: dt.date) -> tuple[dt.date, dt.date | None] | None:
        """The days whose verdicts a change of ``ref``'s use on ``day`` can reach:
        from the start of the earliest cap period containing ``day`` to the end of the
        latest (periods nest: month, quarter, year, term). None when ``ref`` never
        has a cap."""
        kinds = self.cap_periods(ref)
        if not kinds:
            return None
        term = self.term_on(day)
        spans = [cap_period(kind, day, term) for kind in kinds]
        start = min(span[0] for span in spans)
        ends = [span[1] for span in spans]
        return start, (None if any(end is None for end in ends) else max(ends))  # type: ignore[type-var]


def usage_before(
    agreement_id: int, key: OrderKey, exclude_task_id: int | None = None
) -> UsageLookup:
    """Use of a clause in a period by the counted tasks ordered before ``key``.

    One aggregate query for the days before ``key``'s date; the tasks of that date are
    read and ordered here (refs are compared in NFC, which SQL collations do not do).
    A key without a ref (a dry run) stands after its whole date: one query.
    """
    day, _rank, _opened, no_ref, _nfc, _raw = key

    def lookup(ref: str, unit: CapUnit, start: dt.date, end: dt.date | None) -> Decimal:
        in_period = end is None or day < end
        last = day + dt.timedelta(days=1) if no_ref and in_period else day
        if end is not None:
            last = min(last, end)
        params = {"agreement_id": agreement_id, "ref": ref, "start": start, "last": last}
        if exclude_task_id is not None:
            params["exclude_task_id"] = exclude_task_id
        total = Decimal(
            db.session.scalar(_use_before(unit, exclude_task_id is not None), params) or 0
        )
        if no_ref or not in_period or day < start:
            return total
        base = [
            Task.agreement_id == agreement_id,
            Task.clause_ref == ref,
            Task.state.in_(COUNTED_STATES),
            Task.day >= start,
        ]
        if exclude_task_id is not None:
            base.append(Task.id != exclude_task_id)
        for row in db.session.execute(
            sa.select(Task.ref, Task.hours, Task.amount, Task.priced_amount).where(
                *base, Task.day == day
            )
        ):
            if order_key(day, row.ref) < key:
                total += _quantity(unit, row.hours, row.amount, row.priced_amount)
        return total

    return lookup


@functools.cache
def _use_before(unit: CapUnit, excluding_a_task: bool) -> sa.Select:
    """The aggregate of ``usage_before``, built once per process (every check runs it)."""
    conditions = [
        Task.agreement_id == sa.bindparam("agreement_id"),
        Task.clause_ref == sa.bindparam("ref"),
        Task.state.in_(COUNTED_STATES),
        Task.day >= sa.bindparam("start", type_=sa.Date),
        Task.day < sa.bindparam("last", type_=sa.Date),
    ]
    if excluding_a_task:
        conditions.append(Task.id != sa.bindparam("exclude_task_id"))
    return sa.select(_measure(unit)).where(*conditions)


def _measure(unit: CapUnit) -> sa.ColumnElement:
    if unit == CapUnit.HOURS:
        return sa.func.coalesce(sa.func.sum(Task.hours), 0)
    if unit == CapUnit.AMOUNT:
        return sa.func.coalesce(sa.func.sum(sa.func.coalesce(Task.amount, Task.priced_amount)), 0)
    return sa.func.count(Task.id)


def _quantity(
    unit: CapUnit, hours: Decimal | None, amount: Decimal | None, priced: Decimal | None
) -> Decimal:
    if unit == CapUnit.COUNT:
        return Decimal(1)
    if unit == CapUnit.HOURS:
        return Decimal(hours or 0)
    return Decimal(amount if amount is not None else (priced or 0))


@dataclasses.dataclass
class Pending:
    """A task being recorded or imported: checked in the walk, stored by the caller."""

    facts: TaskFacts
    ref: str
    opened_at: dt.datetime | None = None
    payload: Any = None
    result: CheckResult | None = None


@dataclasses.dataclass
class Settled:
    pending: list[Pending]
    changes: list[VerdictChange]


def settle(
    context: VerdictContext,
    *,
    start: dt.date,
    end: dt.date | None = None,
    refs: Collection[str] | None = None,
    pending: Iterable[Pending] = (),
    annex_id: int | None = None,
    why: str = "",
    emit: Callable[[Pending, CheckResult], None] | None = None,
) -> Settled:
    """Check the tasks of ``[start, end)`` (of clauses ``refs``, or all) and ``pending``
    in canonical order, each against the use of the tasks before it.

    Stored tasks waiting on a verdict (or on a proposed annex) move to their new
    verdict's state; a person's decision is never overridden: an accepted, rejected or
    escalated task keeps its state, and an accepted one whose verdict would change is
    flagged (``needs_attention``). Every changed verdict is a ``VerdictChange`` and the
    changes are one audit event. Runs inside the caller's transaction; states are set
    directly, not through the machine, because this is a bulk path. Each pending task's
    result is kept on it, or handed to ``emit`` as soon as it is known (a large import
    writes as it goes).
    """
    agreement = context.agreement
    pending = list(pending)
    if refs is not None and not refs:
        stored: list[Task] = []
    else:
        query = sa.select(Task).where(Task.agreement_id == agreement.id, Task.day >= start)
        if end is not None:
            query = query.where(Task.day < end)
        if refs is not None:
            query = query.where(Task.clause_ref.in_(list(refs)))
        stored = list(db.session.scalars(query).all())
    if not stored and not pending:
        return Settled([], [])
    ledger = UsageLedger(agreement.id, before=start, refs=refs)
    walk: list[tuple[OrderKey, Task | Pending]] = [(task_key(task), task) for task in stored]
    walk.extend((order_key(p.facts.day, p.ref, p.opened_at), p) for p in pending)
    walk.sort(key=lambda item: item[0])
    now = utcnow()
    changes: list[VerdictChange] = []
    for _key, item in walk:
        if isinstance(item, Pending):
            result = context.check(item.facts, ledger)
            if emit is not None:
                emit(item, result)
            else:
                item.result = result
            if TaskState(result.verdict.value) in COUNTED_STATES and result.clause:
                ledger.add(
                    result.clause,
                    item.facts.day,
                    item.facts.hours,
                    counted_amount(result, item.facts.amount),
                )
            continue
        task = item
        result = context.check(facts_of(task, task.id), ledger)
        changed = result.verdict != task.verdict or result.clause != task.clause_ref
        if task.state == TaskState.ACCEPTED:
            if changed:
                task.needs_attention = True
                changes.append(_change(task, annex_id, result, now, flagged=True))
            if task.clause_ref:  # an accepted task keeps counting where it was accepted
                ledger.add(
                    task.clause_ref,
                    task.day,
                    task.hours,
                    task.amount if task.amount is not None else task.priced_amount,
                )
            continue
        if changed:
            changes.append(_change(task, annex_id, result, now, flagged=False))
        if changed or task.verdict_detail != result.to_json():
            task.verdict = result.verdict
            task.clause_ref = result.clause
            task.scope_version = result.scope_version
            task.verdict_detail = result.to_json()
            task.priced_amount = storable_price(result)
            task.checked_at = now
        moves = task.state in VERDICT_STATES or (
            task.state in RECHECKED_STATES and (annex_id is not None or changed)
        )
        if moves and task.state.value != result.verdict.value:
            # the task keeps its link to the annex it became: the page tells it is in force
            task.state = TaskState(result.verdict.value)
        if task.state in COUNTED_STATES and task.clause_ref:
            ledger.add(task.clause_ref, task.day, task.hours, counted_amount(result, task.amount))
    if changes:
        db.session.add_all(changes)
        db.session.flush()
        _audit(agreement, stored, changes, why or f"Checked again from {start}.")
    return Settled(pending, changes)


def _change(
    task: Task, annex_id: int | None, result: CheckResult, now: dt.datetime, *, flagged: bool
) -> VerdictChange:
    return VerdictChange(
        agreement_id=task.agreement_id,
        task_id=task.id,
        annex_id=annex_id,
        old_verdict=task.verdict,
        new_verdict=result.verdict,
        old_clause=task.clause_ref,
        new_clause=result.clause,
        task_state=task.state,
        flagged=flagged,
        checked_at=now,
    )


def _audit(
    agreement: Agreement, stored: list[Task], changes: list[VerdictChange], why: str
) -> None:
    refs = {task.id: task.ref for task in stored}
    listed = changes[:MAX_LISTED]
    record(
        "tasks.rechecked",
        agreement,
        None,
        agreement_id=agreement.id,
        changes={
            "verdicts": {
                "before": {refs[c.task_id]: c.old_verdict.value for c in listed},
                "after": {refs[c.task_id]: c.new_verdict.value for c in listed},
            },
            "changed": {"before": None, "after": len(changes)},
            "flagged": {"before": None, "after": sum(c.flagged for c in changes)},
        },
        comment=why,
    )


def settle_after(
    context: VerdictContext,
    ref: str | None,
    day: dt.date,
    *,
    pending: Iterable[Pending] = (),
    why: str = "",
) -> Settled:
    """Check ``pending`` and re-check the tasks a change of ``ref``'s use on ``day``
    can reach: the same clause, from ``day`` to the end of its latest cap period."""
    reach = context.reach(ref, day) if ref else None
    if reach is None:
        return settle(context, start=day, refs=(), pending=pending, why=why)
    _start, end = reach
    return settle(context, start=day, end=end, refs={ref}, pending=pending, why=why)


def reword(context: VerdictContext) -> int:
    """Write each stored task's explanation in the words the check uses today, changing
    no verdict; returns how many explanations changed.

    Every task of the agreement is checked again in canonical order, each against the use
    the database records for the tasks before it (as stored, as ``usage_before`` reads
    it). Where the check gives the stored verdict, clause, scope version, priced amount
    and cap figures, the stored explanation (``verdict_detail``) is replaced by the new
    one: the same facts, as the reasons now word them. A task whose check would now give
    anything else keeps its explanation, since changing a verdict is a re-check's work,
    with its record of changes. Nothing else is touched: no state, flag, time or audit
    event, as no decision or verdict changes.
    """
    agreement = context.agreement
    tasks = sorted(
        db.session.scalars(sa.select(Task).where(Task.agreement_id == agreement.id)).all(),
        key=task_key,
    )
    if not tasks:
        return 0
    ledger = UsageLedger(agreement.id, before=tasks[0].day)
    reworded = 0
    for task in tasks:
        result = context.check(facts_of(task, task.id), ledger)
        detail = result.to_json()
        if _same_verdict(task, result) and task.verdict_detail != detail:
            task.verdict_detail = detail
            reworded += 1
        if task.state in COUNTED_STATES and task.clause_ref:
            amount = task.amount if task.amount is not None else task.priced_amount
            ledger.add(task.clause_ref, task.day, task.hours, amount)
    return reworded


_CAP_FIGURES = ("unit", "limit", "used", "remaining", "period", "period_start", "period_end")


def _same_verdict(task: Task, result: CheckResult) -> bool:
    """Whether ``result`` decides what ``task`` has stored: only the words may differ."""
    stored = task.verdict_detail or {}
    cap = stored.get("cap")
    new_cap = result.cap
    return (
        result.verdict == task.verdict
        and result.clause == task.clause_ref
        and result.scope_version == task.scope_version
        and storable_price(result) == task.priced_amount
        and (cap is None) == (new_cap is None)
        and all((cap or {}).get(name) == (new_cap or {}).get(name) for name in _CAP_FIGURES)
        and [c.get("ref") for c in stored.get("candidates") or []]
        == [c["ref"] for c in result.candidates]
    )
