"""Importing a ticketing tool's export through an import profile: preview, then import.

The file is read as the tool wrote it (tasks/sources.py), each row through the
profile's columns, value mappings, durations and dates (tasks/mapping.py), then
validated as any task. Verdicts come from the one pipeline (tasks/pipeline.py).

The import is idempotent on the ticket's key (its ref, compared by look like every
ref): a ticket not yet on the agreement is added; one already there and not yet
decided by a person takes the export's title, description, category, system, date,
hours, amount and times, and is checked again with the tasks it can reach; one a
person decided (accepted, rejected, escalated) is left as decided, flagged, and the
incoming change kept for them (``IncomingChange``). A value no mapping covers leaves
its field empty and makes the task ``needs_review``, the value named in its reasons.

A dry run does all of this inside a savepoint that is rolled back: it answers exactly
what an import would record, and stores nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.access import require_role
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.errors import ValidationFailed
from contracts_app.figures import decimal_text
from contracts_app.heap import cyclic_collection_paused
from contracts_app.identifiers import skeleton
from contracts_app.scope.clauses import CATEGORY_PATTERN
from contracts_app.service_levels.tickets import measure_imported, store_clocks_of
from contracts_app.tasks import importing
from contracts_app.tasks.import_models import ImportProfile, IncomingChange
from contracts_app.tasks.import_problems import described, file_refused
from contracts_app.tasks.mapping import (
    ValueRefused,
    candidates_of,
    duration_seconds,
    hours_of,
    lookup,
    parse_day,
    parse_time,
)
from contracts_app.tasks.models import Task
from contracts_app.tasks.pipeline import Pending, VerdictContext, facts_of, settle
from contracts_app.tasks.profiles import MAPPED, TIMES, profile_of
from contracts_app.tasks.services import RECORDERS, TaskInput, validate_task
from contracts_app.tasks.sources import RowError, Table, read_table
from contracts_app.tasks.verdicts import CheckResult
from workflows.task_states import TaskState

PREVIEW_ROWS = 500  # rows listed in a preview; the counts are always exact
EXAMPLES = 3  # example tickets per unmapped value
DECIDED = frozenset({TaskState.ACCEPTED, TaskState.REJECTED, TaskState.ESCALATED})
_CATEGORY = re.compile(CATEGORY_PATTERN)

# Ticket times reach a task only through fields the task has; until then they are read,
# checked and shown in the preview.
TASK_FIELDS = {f.name for f in dataclasses.fields(TaskInput)}
STORED_TIMES = tuple(
    name for name in ("priority", *TIMES) if name in TASK_FIELDS and name in Task.__table__.c
)
COMPARED = ("title", "description", "category", "system", "day", "hours", "amount", *STORED_TIMES)


@dataclasses.dataclass
class ProfiledRow:
    line: int
    task: TaskInput
    times: dict[str, Any]  # priority and the ticket times as read
    unmapped: list[tuple[str, str]]  # (field, value) no mapping covers


@dataclasses.dataclass
class ProfileReport:
    profile: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0
    skipped_existing: int = 0
    invalid: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    verdicts: dict[str, int] = dataclasses.field(default_factory=dict)
    unmapped: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    file: dict[str, Any] = dataclasses.field(default_factory=dict)
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    times_stored: list[str] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- reading rows through a profile ------------------------------------------------------


class _Plan:
    """Where each field's columns are in the file's header (repeats kept)."""

    def __init__(self, settings: dict[str, Any], header: Sequence[str]) -> None:
        positions: dict[str, list[int]] = defaultdict(list)
        for index, name in enumerate(header):
            positions[name].append(index)
        folded: dict[str, list[int]] = defaultdict(list)
        for index, name in enumerate(header):
            folded[name.casefold()].append(index)
        self.fields: dict[str, list[list[int]]] = {}
        self.missing: dict[str, list[str]] = {}
        for field, names in settings["columns"].items():
            if not names:
                continue
            names = names if isinstance(names, list) else [names]
            found = []
            for name in names:
                where = positions.get(name) or folded.get(name.casefold())
                if where:
                    found.append(where)
                else:
                    self.missing.setdefault(field, []).append(name)
            if field not in self.missing:
                self.fields[field] = found

    def cells(self, row: Sequence[str], field: str) -> list[list[str]]:
        width = len(row)
        return [
            [row[i].strip() for i in indexes if i < width] for indexes in self.fields.get(field, ())
        ]

    def first(self, row: Sequence[str], field: str) -> str:
        for indexes in self.fields.get(field, ()):
            for i in indexes:
                if i < len(row) and (value := row[i].strip()):
                    return value
        return ""


def _mapped(
    field: str, spec: dict[str, Any], cells: list[list[str]]
) -> tuple[str | None, str | None]:
    """The field's value and, when no mapping covers the row's value, that value."""
    candidates = candidates_of(cells)
    if not candidates:
        return None, None
    values = spec.get("values") or {}
    if values:
        return lookup(candidates, values)
    raw = candidates[0]
    if field == "category":
        code = raw.lower()
        return (code, None) if len(code) <= 100 and _CATEGORY.match(code) else (None, raw)
    limit = 20 if field == "priority" else 100
    return (raw, None) if len(raw) <= limit else (None, raw)


def read_rows(
    settings: dict[str, Any], table: Table, currency: str
) -> tuple[list[ProfiledRow], list[dict[str, Any]], list[str]]:
    """The rows of ``table`` as tasks, the refused lines with their reasons, and notes."""
    plan = _Plan(settings, table.header)
    notes: list[str] = []
    required = ["ref", "title", "date" if settings["columns"].get("date") else "opened_at"]
    missing_needed = {f: n for f, n in plan.missing.items() if f in required}
    if missing_needed:
        return (
            [],
            [
                {
                    "line": 1,
                    "errors": {
                        f"columns.{field}": [
                            f"No column {', '.join(map(repr, names))} in the file."
                        ]
                        for field, names in missing_needed.items()
                    },
                }
            ],
            notes,
        )
    for field, names in plan.missing.items():
        notes.append(f"No column {', '.join(map(repr, names))} ({field}) in the file; left empty.")
    zone = ZoneInfo(settings["timezone"])
    date_format = settings["date_format"]
    unit = settings["hours_unit"]
    rounding = settings["hours_rounding"]
    dated_by_column = "date" in plan.fields
    rows: list[ProfiledRow] = []
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, record_ in table.rows:
        if isinstance(record_, RowError):
            problems.append({"line": line, "errors": {"row": [record_.message]}})
            continue
        errors: dict[str, list[str]] = {}
        unmapped: list[tuple[str, str]] = []
        mapped: dict[str, str | None] = {}
        for field in MAPPED:
            value, missing = _mapped(field, settings[field], plan.cells(record_, field))
            mapped[field] = value
            if missing is not None:
                unmapped.append((field, missing))
        times: dict[str, Any] = {"priority": mapped["priority"]}
        for field in TIMES:
            try:
                times[field] = parse_time(plan.first(record_, field), date_format, zone)
            except ValueRefused as exc:
                errors[field] = [str(exc)]
        day = None
        try:
            if dated_by_column:
                day = parse_day(plan.first(record_, "date"), date_format, zone)
            elif times.get("opened_at") is not None:
                day = times["opened_at"].astimezone(zone).date()
        except ValueRefused as exc:
            errors["date"] = [str(exc)]
        if day is None and "date" not in errors and "opened_at" not in errors:
            errors["date"] = ["No date: the date column (or opened_at) is empty."]
        hours = None
        try:
            hours = hours_of(duration_seconds(plan.first(record_, "hours"), unit), rounding)
        except ValueRefused as exc:
            errors["hours"] = [str(exc)]
        amount = None
        amount_text = plan.first(record_, "amount")
        if amount_text:
            try:
                amount = Decimal(amount_text)
                if not amount.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors["amount"] = [f"Not a number: {amount_text!r}."]
        if errors:
            problems.append({"line": line, "errors": errors})
            continue
        description = "\n\n".join(
            v for column in plan.cells(record_, "description") for v in column if v
        )
        extra = {name: times[name] for name in STORED_TIMES}
        try:
            task = validate_task(
                TaskInput(
                    ref=plan.first(record_, "ref"),
                    title=plan.first(record_, "title"),
                    description=description,
                    category=mapped["category"],
                    system=mapped["system"],
                    day=day,  # type: ignore[arg-type]
                    hours=hours,
                    amount=amount,
                    **extra,
                ),
                ref_required=True,
                currency=currency,
            )
        except ValidationFailed as exc:
            problems.append({"line": line, "errors": exc.errors})
            continue
        look = skeleton(task.ref)  # type: ignore[arg-type]
        if look in seen:
            problems.append(
                {
                    "line": line,
                    "errors": {
                        "ref": [f"Ref {task.ref} is also (or a lookalike) on line {seen[look]}."]
                    },
                }
            )
            continue
        seen[look] = line
        rows.append(ProfiledRow(line, task, times, unmapped))
    return rows, problems, notes


def unmapped_summary(rows: Sequence[ProfiledRow]) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        for key in row.unmapped:
            counts[key] += 1
            if len(examples[key]) < EXAMPLES:
                examples[key].append(row.task.ref or "")
    return [
        {"field": field, "value": value, "count": count, "examples": examples[(field, value)]}
        for (field, value), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


_NOTE = "No mapping in import profile "


def _reason(profile: str, unmapped: list[tuple[str, str]]) -> list[str]:
    return [f"{_NOTE}{profile!r} for {field} {value!r}." for field, value in unmapped]


# --- import and preview -------------------------------------------------------------------


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _incoming(task: Task, row: ProfiledRow) -> dict[str, dict[str, Any]]:
    changes = {}
    for name in COMPARED:
        before = getattr(task, name)
        after = getattr(row.task, name)
        if name == "description":
            before, after = before or "", after or ""
        if before != after:
            changes[name] = {"before": _text(before), "after": _text(after)}
    return changes


def _waiting_changes(task_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The latest incoming change of each of these tasks."""
    latest: dict[int, dict[str, Any]] = {}
    for start in range(0, len(task_ids), 500):
        query = (
            sa.select(IncomingChange.task_id, IncomingChange.changes)
            .where(IncomingChange.task_id.in_(task_ids[start : start + 500]))
            .order_by(IncomingChange.id)
        )
        for task_id, changes in db.session.execute(query):
            latest[task_id] = changes
    return latest


def _preview_row(row: ProfiledRow, action: str, verdict: dict[str, Any]) -> dict[str, Any]:
    task = row.task
    return {
        "line": row.line,
        "ref": task.ref,
        "action": action,
        "title": task.title,
        "category": task.category,
        "system": task.system,
        "date": task.day.isoformat(),
        "hours": decimal_text(task.hours),
        "amount": decimal_text(task.amount),
        **{name: _text(value) for name, value in row.times.items()},
        "unmapped": [{"field": f, "value": v} for f, v in row.unmapped],
        "verdict": verdict.get("verdict"),
        "clause": verdict.get("clause"),
        "reasons": verdict.get("reasons", []),
    }


@cyclic_collection_paused()
def import_with_profile(
    agreement: Agreement,
    membership: Membership | None,
    profile_name: str,
    raw: bytes,
    actor: User,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ProfileReport:
    """Import (or, with ``dry_run``, preview) an export through profile ``profile_name``.

    Refuses the whole file when a row is invalid, unless ``skip_invalid`` (a preview
    lists the refused rows instead). Guarantees one ticket per ref: a second import of
    the same export adds nothing and changes nothing."""
    require_role(actor, agreement, membership, RECORDERS)
    profile: ImportProfile = profile_of(agreement, profile_name)
    table = read_table(raw)
    rows, problems, notes = read_rows(profile.settings, table, agreement.currency)
    if problems and not skip_invalid and not dry_run:
        raise file_refused(problems)
    report = ProfileReport(
        profile=profile.name,
        dry_run=dry_run,
        invalid=described(problems),
        unmapped=unmapped_summary(rows),
        file={
            "kind": table.kind,
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "notes": table.notes + notes,
        },
        times_stored=list(STORED_TIMES),
    )
    with unit_of_work():
        savepoint = db.session.begin_nested() if dry_run else None
        try:
            _apply(agreement, profile, rows, actor, report)
        finally:
            if savepoint is not None:
                savepoint.rollback()
    return report


def _apply(
    agreement: Agreement,
    profile: ImportProfile,
    rows: list[ProfiledRow],
    actor: User,
    report: ProfileReport,
) -> None:
    lock_agreement(agreement.id)
    query = sa.select(Task.ref_skeleton, Task.id).where(Task.agreement_id == agreement.id)
    ids: dict[str, int] = {row.ref_skeleton: row.id for row in db.session.execute(query)}
    fresh: list[ProfiledRow] = []
    known: dict[int, ProfiledRow] = {}
    for row in rows:
        task_id = ids.get(skeleton(row.task.ref))  # type: ignore[arg-type]
        if task_id is None:
            fresh.append(row)
        else:
            known[task_id] = row
    stored: dict[int, Task] = {}
    wanted = list(known)
    for start in range(0, len(wanted), 500):
        for task in db.session.scalars(
            sa.select(Task).where(Task.id.in_(wanted[start : start + 500]))
        ):
            stored[task.id] = task
    context = VerdictContext(agreement)
    now = utcnow()
    starts: list[dt.date] = []
    updated: list[tuple[ProfiledRow, Task]] = []
    listed: list[tuple[ProfiledRow, str, Task | None, Pending | None]] = []
    waiting = _waiting_changes([t.id for t in stored.values() if t.state in DECIDED])
    for task_id, row in known.items():
        task = stored[task_id]
        notes = _reason(profile.name, row.unmapped)
        changes = _incoming(task, row)
        if task.state in DECIDED:
            if changes and waiting.get(task.id) == changes:
                # the same change is already waiting for a person: not recorded twice
                report.flagged += 1
                listed.append((row, "flagged", task, None))
            elif changes:
                task.needs_attention = True
                db.session.add(
                    IncomingChange(
                        agreement_id=agreement.id,
                        task_id=task.id,
                        profile_name=profile.name,
                        changes=changes,
                        received_at=now,
                        received_by_id=actor.id,
                    )
                )
                report.flagged += 1
                listed.append((row, "flagged", task, None))
            else:
                report.unchanged += 1
                listed.append((row, "unchanged", task, None))
            continue
        if not changes and list(task.unmapped or []) == notes:
            report.unchanged += 1
            listed.append((row, "unchanged", task, None))
            continue
        starts.append(min(task.day, row.task.day))
        for name in COMPARED:
            value = getattr(row.task, name)
            setattr(task, name, value if name != "description" else (value or ""))
        task.unmapped = notes
        updated.append((row, task))
        listed.append((row, "updated", task, None))
    report.updated = len(updated)
    pending = []
    for row in fresh:
        item = Pending(
            dataclasses.replace(
                facts_of(row.task), unmapped=tuple(_reason(profile.name, row.unmapped))
            ),
            row.task.ref or "",
            # ordered by opening time only where tasks keep it, so that a later re-check
            # walks the tasks in the same order
            opened_at=row.times.get("opened_at") if "opened_at" in STORED_TIMES else None,
            payload=row.task,
        )
        pending.append(item)
        listed.append((row, "created", None, item))
    starts.extend(row.task.day for row in fresh)
    verdicts: Counter[str] = Counter()
    chunk: list[dict[str, Any]] = []
    results: dict[int, dict[str, Any]] = {}
    # the verdicts the preview lists: those of the first rows of the file, whatever the
    # order of the walk (date, then opening time, then ref)
    shown = {row.line for row in rows[:PREVIEW_ROWS]}
    line_of = {id(item): row.line for item, row in zip(pending, fresh, strict=True)}

    def write() -> None:
        db.session.execute(sa.insert(Task.__table__), chunk)
        report.created += len(chunk)
        chunk.clear()

    def emit(item: Pending, result: CheckResult) -> None:
        chunk.append(
            {
                **importing._row(
                    agreement, item.payload, result, actor, now, skeleton(item.payload.ref)
                ),
                "unmapped": list(item.facts.unmapped),
            }
        )
        verdicts[result.verdict.value] += 1
        if line_of[id(item)] in shown:
            results[id(item)] = result.to_json()
        if len(chunk) >= importing.CHUNK:
            write()

    if starts:
        db.session.flush()
        settle(
            context,
            start=min(starts),
            pending=pending,
            emit=emit,
            why=f"Checked again after an import with profile {profile.name!r}.",
        )
    if chunk:
        write()
    # the service-level clocks of the tickets added or changed
    measure_imported(agreement.id, [row.task.ref or "" for row in fresh if row.task.opened_at])
    if updated:
        store_clocks_of(agreement.id, [task for _row, task in updated])
    for _row, task in updated:
        verdicts[task.verdict.value] += 1
    report.verdicts = {
        k: verdicts.get(k, 0) for k in ("in_scope", "over_cap", "out_of_scope", "needs_review")
    }
    listed.sort(key=lambda item: item[0].line)
    for row, action, task, item in listed[:PREVIEW_ROWS]:
        if task is not None:
            verdict = task.verdict_detail or {}
            if action == "flagged":
                verdict = {
                    **verdict,
                    "reasons": [
                        "Decided already: the export's change waits for a person.",
                        *verdict.get("reasons", []),
                    ],
                }
        else:
            verdict = results.get(id(item), {})
        report.rows.append(_preview_row(row, action, verdict))
    record(
        "tasks.imported",
        agreement,
        actor,
        agreement_id=agreement.id,
        changes={
            "profile": {"before": None, "after": profile.name},
            "created": {"before": None, "after": report.created},
            "updated": {"before": None, "after": report.updated},
            "flagged": {"before": None, "after": report.flagged},
            "invalid": {"before": None, "after": len(report.invalid)},
            "unmapped": {"before": None, "after": report.unmapped[:100]},
        },
    )


def incoming_changes_of(task: Task) -> list[IncomingChange]:
    """What re-imports brought to a decided task, newest first."""
    return list(
        db.session.scalars(
            sa.select(IncomingChange)
            .where(IncomingChange.task_id == task.id)
            .order_by(IncomingChange.id.desc())
        )
    )


def import_report(
    agreement: Agreement,
    membership: Membership | None,
    raw: bytes,
    actor: User,
    *,
    profile: str | None,
    dry_run: bool,
    skip_invalid: bool,
) -> dict[str, Any]:
    """The import for the API and the page: through a profile, or today's plain CSV."""
    if profile:
        return import_with_profile(
            agreement, membership, profile, raw, actor, dry_run=dry_run, skip_invalid=skip_invalid
        ).to_json()
    if dry_run:
        raise ValidationFailed({"dry_run": ["A preview needs an import profile (profile=...)."]})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": ["The file is not UTF-8 text."]}) from None
    return importing.import_tasks(
        agreement, membership, text, actor, skip_invalid=skip_invalid
    ).to_json()
