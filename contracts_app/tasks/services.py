"""Tasks: the dry-run check, recording a task with its verdict, and people's decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from contracts_app import dates, formatting, identifiers
from contracts_app.accounts.models import User
from contracts_app.agreements.access import can, object_for, require_role
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.annexes.services import AnnexInput, create_annex
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import ClauseKind, Role
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.figures import (
    HOURS_SCALE,
    MAX_HOURS,
    currency_scale,
    decimal_text,
    money_what,
    scale_error,
)
from contracts_app.scope.clauses import CATEGORY_PATTERN, MAX_AMOUNT, MAX_DESCRIPTION
from contracts_app.scope.services import version_key_on
from contracts_app.scope.vocabulary import lookalike_errors, vocabulary_of
from contracts_app.service_levels.tickets import parse_ticket_times, store_ticket_clocks
from contracts_app.sorting import Sorting, lower
from contracts_app.tasks.cap_alerts import cap_use_changed
from contracts_app.tasks.models import Task, VerdictChange
from contracts_app.tasks.pipeline import (
    Pending,
    VerdictContext,
    facts_of,
    order_key,
    reword,
    settle_after,
    storable_price,
    task_key,
    usage_before,
)
from contracts_app.tasks.scope_index import index_for
from contracts_app.tasks.signals import task_escalated
from contracts_app.tasks.timeline import ScopeTimeline, term_of
from contracts_app.tasks.usage import UsageLedger
from contracts_app.tasks.verdicts import CheckResult, cap_period
from workflows.binding import EventSpec
from workflows.task import BULK_EVENTS, TaskEvent, TaskFacts, refusal, spec_for, task_workflow
from workflows.task import EVENT_SPECS as EVENT_SPECS_BY_NAME
from workflows.task_states import COUNTED_STATES, TaskState, Verdict

# Who records and imports tasks: the services require it, pages ask may_record_tasks.
RECORDERS = frozenset({Role.MANAGER, Role.CONTRIBUTOR})


@dataclasses.dataclass
class TaskInput:
    title: str
    day: dt.date
    description: str = ""
    category: str | None = None
    system: str | None = None
    hours: Decimal | None = None
    amount: Decimal | None = None
    ref: str | None = None
    # ticket times, all optional (validated by service_levels.tickets)
    priority: str | None = None
    opened_at: Any = None
    responded_at: Any = None
    resolved_at: Any = None
    pauses: Any = None


def may_record_tasks(user: User, membership: Membership | None) -> bool:
    """Whether ``user`` may record and import tasks on the agreement of ``membership``
    (the rule ``record_task`` and the importers enforce), so pages offer only that."""
    return can(user, membership, RECORDERS)


def validate_task(data: TaskInput, *, ref_required: bool, currency: str = "EUR") -> TaskInput:
    """Normalise and check task fields; errors name the field.

    Hours take two decimals and an amount the currency's minor unit: more is refused,
    naming the field and the scale; nothing is rounded.
    """
    cleaned = identifiers.clean_fields(
        {"ref": data.ref, "category": data.category, "system": data.system}
    )
    errors: dict[str, list[str]] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = ["A title is required."]
    elif len(title) > 300:
        errors["title"] = ["At most 300 characters."]
    for name in ("title", "description"):
        if "\x00" in (getattr(data, name) or ""):  # a file's stray NUL; no database stores it
            errors.setdefault(name, []).append("Contains a NUL character, which text cannot hold.")
    category = (cleaned["category"] or "").lower() or None
    if category and (len(category) > 100 or not re.match(CATEGORY_PATTERN, category)):
        errors["category"] = ["Use a dot-separated code such as support.incident."]
    system = cleaned["system"] or None
    if system and len(system) > 100:
        errors["system"] = ["At most 100 characters."]
    if data.day is not None and not dates.in_range(data.day):
        errors["date"] = [dates.OUT_OF_RANGE]
    if len(data.description or "") > MAX_DESCRIPTION:
        errors["description"] = [f"At most {MAX_DESCRIPTION:,} characters."]
    for name, limit in (("hours", MAX_HOURS), ("amount", MAX_AMOUNT)):
        value = getattr(data, name)
        if value is not None and (not value.is_finite() or value < 0):
            errors[name] = ["Must be zero or more."]
        elif value is not None and value > limit:
            errors[name] = [f"At most {decimal_text(limit)}."]
    if message := scale_error(data.hours, HOURS_SCALE, "hours"):
        errors.setdefault("hours", []).append(message)
    if message := scale_error(data.amount, currency_scale(currency), money_what(currency)):
        errors.setdefault("amount", []).append(message)
    ref = cleaned["ref"] or None
    if ref_required and not ref:
        errors["ref"] = ["A ticket reference is required."]
    elif ref and len(ref) > 80:
        errors["ref"] = ["At most 80 characters."]
    times = None
    try:
        times = parse_ticket_times(
            data.priority, data.opened_at, data.responded_at, data.resolved_at, data.pauses
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    assert times is not None
    return dataclasses.replace(
        data,
        priority=times.priority,
        opened_at=times.opened_at,
        responded_at=times.responded_at,
        resolved_at=times.resolved_at,
        pauses=times.pauses_json(),
        title=title,
        category=category,
        system=system,
        ref=ref,
    )


def _single_version(agreement: Agreement) -> Any:
    def index_on(day: dt.date) -> Any:
        if not agreement.covers(day):
            return None
        version = version_key_on(agreement.id, day)
        return index_for(version) if version is not None else None

    return index_on


def check_task(
    agreement: Agreement, data: TaskInput, exclude_task_id: int | None = None
) -> CheckResult:
    """The verdict for a task under the scope valid on its date; nothing is stored.

    The use of a cap is that of the tasks ordered before this one (``data.ref`` places
    it among the tasks of its date; without a ref it stands after all of them).
    """
    context = VerdictContext(agreement, index_on=_single_version(agreement))
    usage = usage_before(agreement.id, order_key(data.day, data.ref), exclude_task_id)
    return context.check(facts_of(data), usage)


def check_stored(task: Task) -> CheckResult:
    """A fresh check of a stored task, by the same definition as every stored verdict."""
    context = VerdictContext(task.agreement, index_on=_single_version(task.agreement))
    return context.check(facts_of(task, task.id), usage_before(task.agreement_id, task_key(task)))


def dry_run(
    agreement: Agreement, membership: Membership | None, data: TaskInput, actor: User
) -> CheckResult:
    """A scope check for any member (contributors and managers are the usual callers)."""
    require_role(actor, agreement, membership, frozenset(Role))
    return check_task(
        agreement, validate_task(data, ref_required=False, currency=agreement.currency)
    )


def new_code_errors(agreement: Agreement, **codes: list[str]) -> dict[str, list[str]]:
    """For each field, a message per new category or system that looks like one the
    agreement already uses ("Did you mean operations.backup? ...")."""
    return lookalike_errors(codes, vocabulary_of(agreement))


def task_problems(
    agreement: Agreement, data: TaskInput, *, lookalikes: bool = True
) -> dict[str, list[str]]:
    """Every problem ``record_task`` would find in the fields, nothing stored (for forms
    that show all errors at once): each field's own, and new lookalike codes."""
    errors: dict[str, list[str]] = {}
    try:
        validate_task(data, ref_required=True, currency=agreement.currency)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not lookalikes:
        return errors
    category = (data.category or "").strip().lower()
    system = (data.system or "").strip()
    for field, messages in new_code_errors(
        agreement, category=[category] if category else [], system=[system] if system else []
    ).items():
        errors.setdefault(field, []).extend(messages)
    return errors


def record_task(
    agreement: Agreement,
    membership: Membership | None,
    data: TaskInput,
    actor: User,
    *,
    confirm_new_codes: bool = False,
) -> Task:
    """Record a task, checked at once; it lands in its verdict's state.

    The agreement is locked so that two tasks recorded at once cannot both take the
    last hours of a cap. A ref already used on the agreement is refused, and so is a new
    category or system that looks like one the agreement uses (``vocabulary_of``) unless
    ``confirm_new_codes``; every problem is reported at once. A task dated
    before others of its clause and cap period re-checks them in the same transaction
    (accepted ones are flagged, not changed).
    """
    require_role(actor, agreement, membership, RECORDERS)
    problems = task_problems(agreement, data, lookalikes=not confirm_new_codes)
    if problems:  # every problem at once, the fields' own and their lookalikes alike
        raise ValidationFailed(problems)
    data = validate_task(data, ref_required=True, currency=agreement.currency)
    with unit_of_work():
        lock_agreement(agreement.id)
        identifiers.refuse_lookalike(
            Task.ref,
            Task.ref_skeleton,
            data.ref,
            "ref",
            Task.agreement_id == agreement.id,
            what=f"On {agreement.code}, task",
        )
        context = VerdictContext(agreement)
        facts = facts_of(data)
        pending = Pending(facts, data.ref)  # type: ignore[arg-type]
        settle_after(
            context,
            context.clause_for(facts),
            data.day,
            pending=[pending],
            why=f"Checked again after task {data.ref} was recorded.",
        )
        assert pending.result is not None
        result = pending.result
        task = Task(
            agreement_id=agreement.id,
            ref=data.ref,
            title=data.title,
            description=data.description,
            category=data.category,
            system=data.system,
            day=data.day,
            hours=data.hours,
            amount=data.amount,
            created_by_id=actor.id,
            priority=data.priority,
            opened_at=data.opened_at,
            responded_at=data.responded_at,
            resolved_at=data.resolved_at,
            pauses=data.pauses or [],
        )
        apply_result(task, result, set_state=True)
        db.session.add(task)
        db.session.flush()
        store_ticket_clocks(task)
        record(
            "task.recorded",
            task,
            actor,
            agreement_id=agreement.id,
            changes={
                "state": {"before": None, "after": task.state.value},
                "clause": {"before": None, "after": task.clause_ref},
            },
        )
        cap_use_changed(agreement, task.clause_ref, task.day)
    return task


def apply_result(task: Task, result: CheckResult, *, set_state: bool) -> None:
    task.verdict = result.verdict
    task.clause_ref = result.clause
    task.scope_version = result.scope_version
    task.verdict_detail = result.to_json()
    task.priced_amount = storable_price(result)
    task.checked_at = utcnow()
    if set_state:
        task.state = TaskState(result.verdict.value)


def task_for(user: User, task_id: int) -> tuple[Task, Membership | None]:
    """The task if ``user`` may see its agreement; outsiders get NotFound."""
    return object_for(user, Task, task_id, "task")


def facts_for(task: Task, user: User, membership: Membership | None) -> TaskFacts:
    """What the task machine's conditions read for ``user`` deciding ``task``."""
    return TaskFacts(
        role=membership.role.value if membership is not None else None,
        is_admin=user.is_admin,
        capped=bool((task.verdict_detail or {}).get("cap")),
    )


def events_for(task: Task, user: User, membership: Membership | None) -> list[str]:
    """The events the machine would fire for ``user`` on ``task`` now."""
    return task_workflow().allowed_events(task.state, facts_for(task, user, membership))


def event_specs_for(task: Task, user: User, membership: Membership | None) -> list[EventSpec]:
    """The decisions a page offers for ``task``, labelled for its case (an acceptance
    that counts against a cap says so)."""
    facts = facts_for(task, user, membership)
    return [spec_for(event, facts) for event in task_workflow().allowed_events(task.state, facts)]


def refuse_unless_permitted(task: Task, event: TaskEvent, facts: TaskFacts) -> None:
    """Raise Forbidden (the person) or Conflict (the task's state) when the machine would
    not fire ``event``, naming why."""
    if task_workflow().may(task.state, event, facts):
        return
    about_person, why = refusal(task.state, event, facts)
    if about_person:
        raise Forbidden(f"Task {task.ref}: {why}.")
    raise Conflict(
        f"Task {task.ref}: {why}.",
        allowed=task_workflow().allowed_events(task.state, facts),
    )


def fire_task_event(task_id: int, event_name: str, actor: User, comment: str = "") -> Task:
    """Accept, reject, escalate or propose an annex for a task (one transaction)."""
    try:
        event = TaskEvent(event_name)
    except ValueError:
        raise ValidationFailed({"event": [f"Unknown event {event_name!r}."]}) from None
    comment = (comment or "").strip()
    with unit_of_work():
        task, membership = task_for(actor, task_id)
        agreement = lock_agreement(task.agreement_id)
        db.session.refresh(task)
        _decide(task, agreement, membership, event, actor, comment)
    return task


def _decide(
    task: Task,
    agreement: Agreement,
    membership: Membership | None,
    event: TaskEvent,
    actor: User,
    comment: str,
    *,
    bind: bool = True,
) -> tuple[TaskState, TaskState]:
    """One person's decision on one task, inside the caller's transaction: the machine's
    conditions, the event, its effects (later tasks of its cap re-checked) and its audit
    event. Returns the states before and after.

    ``bind`` False (many tasks at once) takes the destination the machine's transition
    names, asked without binding the task, instead of binding it for the event.
    """
    facts = facts_for(task, actor, membership)
    refuse_unless_permitted(task, event, facts)
    if spec_for(event, facts).comment_required and not comment:
        raise ValidationFailed({"comment": ["Say why: a comment is required."]})
    before = task.state
    if event == TaskEvent.PROPOSE_ANNEX:
        annex = _draft_annex_for(task, agreement, membership, actor)
        task.proposed_annex_id = annex.id
    if bind:
        task_workflow().fire(task, event, facts)
    else:
        task.state = TaskState(task_workflow().destination(task.state, event, facts))
    task.needs_attention = False
    db.session.flush()
    if event == TaskEvent.ESCALATE:  # creates or joins the task's escalation
        task_escalated.send(task, actor=actor, membership=membership, comment=comment)
    counting_changed = (before in COUNTED_STATES) != (task.state in COUNTED_STATES)
    if counting_changed and task.clause_ref:
        # the task starts or stops counting against its cap: later tasks may change
        context = VerdictContext(agreement)
        settle_after(
            context,
            task.clause_ref,
            task.day,
            why=f"Checked again after task {task.ref} was {task.state.value}.",
        )
    record(
        f"task.{event.value}",
        task,
        actor,
        agreement_id=agreement.id,
        changes={"state": {"before": before.value, "after": task.state.value}},
        comment=comment,
    )
    cap_use_changed(agreement, task.clause_ref, task.day)
    return before, task.state


MAX_BULK = 200  # tasks decided at once


@dataclasses.dataclass(frozen=True)
class PlannedDecision:
    """What one task of a bulk decision would become, or why it may not."""

    task: Task
    label: str
    before: TaskState
    after: TaskState | None
    refused: str = ""
    about_person: bool = False


def _bulk_event(event_name: str) -> TaskEvent:
    if event_name not in {event.value for event in BULK_EVENTS}:
        choices = ", ".join(event.value for event in BULK_EVENTS)
        raise ValidationFailed({"event": [f"Choose one of {choices}."]})
    return TaskEvent(event_name)


def bulk_events_for(user: User, membership: Membership | None) -> list[EventSpec]:
    """The events of BULK_EVENTS that ``user`` could take on some task of the agreement
    (asked of the machine for every state), so the task list offers only those."""
    facts = TaskFacts(
        role=membership.role.value if membership is not None else None, is_admin=user.is_admin
    )
    machine = task_workflow()
    return [
        EVENT_SPECS_BY_NAME[event]
        for event in BULK_EVENTS
        if any(machine.may(state, event, facts) for state in TaskState)
    ]


def plan_decisions(
    agreement: Agreement,
    membership: Membership | None,
    actor: User,
    task_ids: Sequence[int],
    event_name: str,
) -> list[PlannedDecision]:
    """What ``event`` would do to each chosen task, asked of the machine without binding
    any task; nothing is changed. Tasks load in one query, in the order given."""
    event = _bulk_event(event_name)
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        raise ValidationFailed({"tasks": ["Choose at least one task."]})
    if len(ids) > MAX_BULK:
        raise ValidationFailed({"tasks": [f"At most {MAX_BULK} tasks at once."]})
    found = {
        task.id: task
        for task in db.session.scalars(
            sa.select(Task)
            .where(Task.agreement_id == agreement.id, Task.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    }
    missing = [str(task_id) for task_id in ids if task_id not in found]
    if missing:
        raise ValidationFailed({"tasks": [f"No task {', '.join(missing)} on {agreement.code}."]})
    machine = task_workflow()
    plans = []
    for task_id in ids:
        task = found[task_id]
        facts = facts_for(task, actor, membership)
        label = spec_for(event, facts).label
        destination = machine.destination(task.state, event, facts)
        if destination:
            plans.append(PlannedDecision(task, label, task.state, TaskState(destination)))
        else:
            about_person, why = refusal(task.state, event, facts)
            plans.append(PlannedDecision(task, label, task.state, None, why, about_person))
    return plans


def decide_tasks(
    agreement: Agreement,
    membership: Membership | None,
    actor: User,
    task_ids: Sequence[int],
    event_name: str,
    comment: str = "",
) -> list[PlannedDecision]:
    """Accept, reject or escalate several tasks at once, all or nothing.

    Each task goes through its own event (conditions, effects, audit event), in one
    transaction under the agreement's lock. If any task may not take the event, nothing
    is changed: ValidationFailed names each such task at its position (``tasks.2``) and
    why. Forbidden when the person's role may take the event on no task at all.
    """
    event = _bulk_event(event_name)
    comment = (comment or "").strip()
    if event.value not in {spec.name for spec in bulk_events_for(actor, membership)}:
        # the person may take it on no task at all: a refusal of the person, not of tasks
        facts = TaskFacts(role=membership.role.value if membership else None)
        _about_person, why = refusal(TaskState.NEEDS_REVIEW, event, facts)
        raise Forbidden(f"{why}; nothing was changed.")
    with unit_of_work():
        lock_agreement(agreement.id)
        plans = plan_decisions(agreement, membership, actor, task_ids, event.value)
        refused = {
            f"tasks.{position}": [f"Task {plan.task.ref}: {plan.refused}."]
            for position, plan in enumerate(plans)
            if plan.refused
        }
        summary = (
            f"{len(refused)} of {formatting.counted(len(plans), 'task', 'tasks')} "
            "may not take it; nothing was changed."
        )
        if EVENT_SPECS_BY_NAME[event].comment_required and not comment:
            refused["comment"] = ["Say why: a comment is required."]
        if refused:
            raise ValidationFailed(refused, summary)
        for plan in plans:
            _decide(plan.task, agreement, membership, event, actor, comment, bind=False)
    return plans


def _draft_annex_for(
    task: Task, agreement: Agreement, membership: Membership | None, actor: User
) -> Any:
    """A draft annex pre-filled from the task: raise the cap it passed, or add a clause."""
    detail = task.verdict_detail or {}
    day = task.day if agreement.covers(task.day) else max(dt.date.today(), agreement.start_date)
    version = version_key_on(agreement.id, day)
    scope = index_for(version).clauses if version is not None else {}
    clause = scope.get(task.clause_ref or "")
    cap = detail.get("cap")
    if (
        task.verdict == Verdict.OVER_CAP
        and clause is not None
        and clause.kind == ClauseKind.INCLUDED
    ):
        if cap and clause.cap is not None:
            needed = Decimal(cap["used"]) - clause.cap.limit
            fields: dict[str, Any] = {
                "cap": {**clause.cap.to_json(), "limit": decimal_text(clause.cap.limit + needed)}
            }
        else:
            per_task = (
                task.hours
                if clause.cap is None or clause.cap.unit.value == "hours"
                else task.amount
            )
            fields = {"per_task_limit": decimal_text(per_task)}
        changes = [{"op": "modify", "ref": clause.ref, "fields": fields}]
        title = f"Cover task {task.ref}: raise the limit of clause {clause.ref}"
    else:
        ref = _free_ref(scope, task.ref)
        changes = [
            {
                "op": "add",
                "item": {
                    "ref": ref,
                    "title": task.title[:300],
                    "description": f"Added to cover task {task.ref}. {task.description}".strip()[
                        :10_000
                    ],
                    "kind": "included",
                    "categories": [task.category] if task.category else [],
                    "systems": [task.system] if task.system else [],
                    "keywords": [],
                },
            }
        ]
        title = f"Cover task {task.ref}: {task.title}"[:200]
    return create_annex(
        agreement,
        membership,
        AnnexInput(
            title=title,
            effective_date=day,
            rationale=f"Proposed from task {task.ref}.",
            changes=changes,
        ),
        actor,
    )


def _free_ref(scope: dict[str, Any], task_ref: str) -> str:
    base = "T-" + re.sub(r"[^A-Za-z0-9._-]", "-", task_ref)[:30]
    ref, n = base, 1
    while ref in scope:
        n += 1
        ref = f"{base}-{n}"
    return ref


@dataclasses.dataclass
class TaskFilters:
    verdict: str | None = None
    state: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    clause: str | None = None
    attention: bool = False
    to_decide: bool = False


# The states in which a task waits for a manager's or approver's decision.
TASK_STATES_TO_DECIDE = (
    TaskState.NEEDS_REVIEW,
    TaskState.OVER_CAP,
    TaskState.OUT_OF_SCOPE,
    TaskState.ESCALATED,
)


def waits_for_decision() -> sa.ColumnElement[bool]:
    """Tasks that wait for a decision: flagged by a re-check, or in a state to decide.
    "My work" counts these, and the task list's "to decide" filter shows the same ones."""
    return sa.or_(Task.needs_attention.is_(True), Task.state.in_(TASK_STATES_TO_DECIDE))


TASK_SORTING = Sorting(
    columns={
        "ref": lower(Task.ref),
        "title": lower(Task.title),
        "day": Task.day,
        "category": Task.category,
        "system": Task.system,
        "hours": Task.hours,
        "amount": Task.amount,
        "verdict": Task.verdict,
        "clause": Task.clause_ref,
        "state": Task.state,
    },
    default="-day",
    tiebreaker=Task.id,
)


def filtered_tasks(agreement: Agreement, filters: TaskFilters) -> sa.Select:
    """The agreement's tasks that pass ``filters``, unordered (the list and its export)."""
    query = sa.select(Task).where(Task.agreement_id == agreement.id)
    if filters.verdict:
        query = query.where(Task.verdict == Verdict(filters.verdict))
    if filters.state:
        query = query.where(Task.state == TaskState(filters.state))
    if filters.date_from:
        query = query.where(Task.day >= filters.date_from)
    if filters.date_to:
        query = query.where(Task.day <= filters.date_to)
    if filters.clause:
        query = query.where(Task.clause_ref == filters.clause)
    if filters.attention:
        query = query.where(Task.needs_attention.is_(True))
    if filters.to_decide:
        query = query.where(waits_for_decision())
    return query


def list_tasks(
    agreement: Agreement,
    filters: TaskFilters,
    page: int,
    per_page: int,
    sort: str | None = None,
) -> tuple[list[Task], int]:
    """One page of the agreement's tasks that pass ``filters``, in the order of ``sort``
    (latest day first by default). Refuses a field ``TASK_SORTING`` does not offer."""
    order = TASK_SORTING.order_by(sort)
    query = filtered_tasks(agreement, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def verdict_counts(agreement: Agreement) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Task.verdict, sa.func.count(Task.id))
        .where(Task.agreement_id == agreement.id)
        .group_by(Task.verdict)
    ).all()
    counts = {verdict.value: 0 for verdict in Verdict}
    counts.update({verdict.value: count for verdict, count in rows})
    return counts


RECHECK_SORTING = Sorting(
    columns={
        "task": lower(
            sa.select(Task.ref).where(Task.id == VerdictChange.task_id).scalar_subquery()
        ),
        "before": VerdictChange.old_verdict,
        "after": VerdictChange.new_verdict,
        "flagged": VerdictChange.flagged,
        "when": VerdictChange.checked_at,
    },
    default="-when",
    tiebreaker=VerdictChange.id,
)


def recent_verdict_changes(
    agreement: Agreement, limit: int = 50, sort: str | None = None
) -> list[VerdictChange]:
    """The latest ``limit`` verdicts a scope change changed, in the order ``sort`` names
    (newest first by default). Refuses a field ``RECHECK_SORTING`` does not offer."""
    order = RECHECK_SORTING.order_by(sort)
    latest = (
        sa.select(VerdictChange.id)
        .where(VerdictChange.agreement_id == agreement.id)
        .order_by(VerdictChange.id.desc())
        .limit(limit)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(VerdictChange).where(VerdictChange.id.in_(latest)).order_by(*order)
        ).all()
    )


def clause_usage(agreement: Agreement, ref: str, periods: int = 12) -> dict[str, Any]:
    """Use of a clause's cap per period, for the chart: the last ``periods`` periods
    up to today (or the end of the term), under the clause as valid in each period.

    Each period also says how many tasks over the cap await a decision (they do not
    count until accepted), with its first and last day so a page can list them; the
    result names the clause as it reads on the last day shown (``title``, ``cap``)."""
    timeline = ScopeTimeline(agreement)
    ledger = UsageLedger(agreement.id)
    term = term_of(agreement)
    last_day = min(dt.date.today(), agreement.end_date or dt.date.today())
    last_day = max(last_day, agreement.start_date)
    waiting_days = db.session.scalars(
        sa.select(Task.day).where(
            Task.agreement_id == agreement.id,
            Task.clause_ref == ref,
            Task.state == TaskState.OVER_CAP,
        )
    ).all()
    last_index = timeline.on(last_day)
    current = last_index.clauses.get(ref) if last_index else None
    rows: list[dict[str, Any]] = []
    day = last_day
    seen: set[str] = set()
    while len(rows) < periods and day >= agreement.start_date:
        index = timeline.on(day)
        clause = index.clauses.get(ref) if index else None
        if clause is None or clause.cap is None:
            day = day.replace(day=1) - dt.timedelta(days=1)
            continue
        start, end, label = cap_period(clause.cap.period, day, term)
        if label not in seen:
            seen.add(label)
            rows.append(
                {
                    "label": label,
                    "first_day": start,
                    "last_day": end - dt.timedelta(days=1) if end else None,
                    "awaiting": sum(
                        1
                        for waiting in waiting_days
                        if start <= waiting and (not end or waiting < end)
                    ),
                    "used": ledger(ref, clause.cap.unit, start, end),
                    "limit": clause.cap.limit,
                    "unit": clause.cap.unit.value,
                    **clause.cap.labels(),
                }
            )
        if clause.cap.period.value == "term":
            break
        day = start - dt.timedelta(days=1)
    rows.reverse()
    return {
        "ref": ref,
        "title": current.title if current else None,
        "cap": current.cap if current else None,
        "periods": rows,
    }


def reword_stored_verdicts(codes: Sequence[str] | None = None) -> dict[str, int]:
    """Write the stored explanation of every task (of the agreements ``codes``, or all)
    in the words the check uses today, without changing any verdict (``pipeline.reword``);
    one transaction per agreement. Returns how many were re-worded, per agreement."""
    query = sa.select(Agreement).order_by(Agreement.code)
    if codes is not None:
        query = query.where(Agreement.code.in_(list(codes)))
    counts: dict[str, int] = {}
    for agreement in db.session.scalars(query).all():
        with unit_of_work():
            lock_agreement(agreement.id)
            counts[agreement.code] = reword(VerdictContext(agreement))
    return counts
