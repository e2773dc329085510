"""Bulk import of tasks from a CSV export of tickets.

Columns (header row required; order free): ``ref`` (the ticket id, unique per
agreement), ``title``, ``date`` (YYYY-MM-DD) are required; ``description``,
``category``, ``system``, ``hours``, ``amount`` are optional (decimals with a dot), and
so are the ticket times ``priority``, ``opened_at``, ``responded_at``, ``resolved_at``
(ISO 8601 with a time zone) and ``pauses`` (``from/to`` pairs separated by ``;``).
Every row is validated first; unless the caller asks to skip invalid rows, one bad
row stores nothing. Refs already on the agreement are skipped, so importing the same
file twice adds nothing. Verdicts come from the one pipeline (tasks/pipeline.py): a
task's cap use is that of the tasks ordered before it (date, then ref in NFC), stored or
imported alike; rows are written with one multi-row insert per chunk, without the machine.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.access import require_role
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import ClauseKind
from contracts_app.errors import ValidationFailed
from contracts_app.heap import cyclic_collection_paused
from contracts_app.identifiers import skeleton
from contracts_app.scope.services import version_key_on
from contracts_app.service_levels.tickets import TIME_COLUMNS, measure_imported, pauses_from_text
from contracts_app.tasks.import_problems import described, file_refused
from contracts_app.tasks.models import Task
from contracts_app.tasks.pipeline import Pending, VerdictContext, facts_of, settle, storable_price
from contracts_app.tasks.scope_index import index_for
from contracts_app.tasks.services import RECORDERS, TaskInput, validate_task
from contracts_app.tasks.verdicts import CheckResult
from workflows.task_states import TaskState

COLUMNS = (
    "ref",
    "title",
    "description",
    "category",
    "system",
    "date",
    "hours",
    "amount",
    *TIME_COLUMNS,
)
REQUIRED = ("ref", "title", "date")
CHUNK = 2000
AUDITED_ROWS = 1000  # tasks named in the import's audit event; the counts are always exact
MAX_ROWS = 200_000


@dataclasses.dataclass
class ImportReport:
    created: int = 0
    skipped_existing: int = 0
    invalid: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    verdicts: dict[str, int] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class ParsedRow:
    line: int
    task: TaskInput
    ref_skeleton: str  # computed once: duplicates in the file, in the agreement, the row


def _decimal(text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation
    return value


def _records(reader: csv.DictReader, problems: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """The reader's records; a record the csv module refuses (a field over its size
    limit) becomes a problem on the line where the record starts, and reading goes on."""
    records = iter(reader)
    while True:
        start = reader.line_num + 1
        try:
            yield next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                message = (
                    f"A field is longer than {csv.field_size_limit():,} characters "
                    "(descriptions hold at most 20,000)."
                )
            problems.append({"line": start, "errors": {"row": [message]}})


def parse_csv(text: str, currency: str = "EUR") -> tuple[list[ParsedRow], list[dict[str, Any]]]:
    """Rows and per-line errors (line numbers as in the file, the header being line 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        return [], [{"line": 1, "errors": {"file": ["The file is empty or has no header row."]}}]
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        errors: dict[str, list[str]] = {}
        if repeated:  # which of the two values is meant cannot be told
            errors["columns"] = [f"Columns given twice: {', '.join(repeated)}."]
        if unknown:
            errors.setdefault("columns", []).append(
                f"Unknown columns: {', '.join(unknown)} (known: {', '.join(COLUMNS)})."
            )
        if missing:
            errors.setdefault("columns", []).append(f"Missing columns: {', '.join(missing)}.")
        return [], [{"line": 1, "errors": errors}]
    reader.fieldnames = header
    rows: list[ParsedRow] = []
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for raw in _records(reader, problems):
        line = reader.line_num
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(
                {"line": line, "errors": {"file": [f"More than {MAX_ROWS} rows; split the file."]}}
            )
            break
        if None in raw:  # more cells than columns
            problems.append(
                {"line": line, "errors": {"row": ["More cells than the header has columns."]}}
            )
            continue
        errors = {}
        values = {k: (v or "").strip() for k, v in raw.items()}
        day = None
        try:
            day = dt.date.fromisoformat(values.get("date", ""))
        except ValueError:
            errors["date"] = [f"Not a date (YYYY-MM-DD): {values.get('date', '')!r}."]
        numbers: dict[str, Decimal | None] = {}
        for name in ("hours", "amount"):
            try:
                numbers[name] = _decimal(values.get(name, ""))
            except (InvalidOperation, ValueError):
                errors[name] = [f"Not a number: {values.get(name)!r}."]
        if errors:
            problems.append({"line": line, "errors": errors})
            continue
        try:
            task = validate_task(
                TaskInput(
                    ref=values.get("ref"),
                    title=values.get("title", ""),
                    description=values.get("description", ""),
                    category=values.get("category") or None,
                    system=values.get("system") or None,
                    day=day,  # type: ignore[arg-type]
                    hours=numbers["hours"],
                    amount=numbers["amount"],
                    priority=values.get("priority") or None,
                    opened_at=values.get("opened_at") or None,
                    responded_at=values.get("responded_at") or None,
                    resolved_at=values.get("resolved_at") or None,
                    pauses=pauses_from_text(values.get("pauses", "")),
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
        rows.append(ParsedRow(line, task, look))
    return rows, problems


def template_csv(agreement: Agreement, today: dt.date | None = None) -> str:
    """A CSV to fill in: the columns this importer reads, and one example row it accepts
    (dated within the agreement's term, with a category of its scope)."""
    day = today or dt.date.today()
    if agreement.end_date is not None:
        day = min(day, agreement.end_date)
    day = max(day, agreement.start_date)
    version = version_key_on(agreement.id, day)
    clauses = index_for(version).clauses.values() if version is not None else ()
    category = next(
        (c.categories[0] for c in clauses if c.kind == ClauseKind.INCLUDED and c.categories),
        "support.incident",
    )
    opened = dt.datetime.combine(day, dt.time(9, 0), dt.UTC)
    example = {
        "ref": "INC-1001",
        "title": "Password reset for a shop user",
        "description": "Reported by phone; solved remotely.",
        "category": category,
        "system": "",
        "date": day.isoformat(),
        "hours": "1.50",
        "amount": "",
        "priority": "P3",
        "opened_at": opened.isoformat(),
        "responded_at": (opened + dt.timedelta(minutes=20)).isoformat(),
        "resolved_at": (opened + dt.timedelta(hours=2)).isoformat(),
        "pauses": "",
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerow({column: example.get(column, "") for column in COLUMNS})
    return out.getvalue()


@cyclic_collection_paused()
def import_tasks(
    agreement: Agreement,
    membership: Membership | None,
    text: str,
    actor: User,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a CSV of tasks, each checked against the scope valid on its date."""
    require_role(actor, agreement, membership, RECORDERS)
    rows, problems = parse_csv(text, agreement.currency)
    if problems and not skip_invalid:
        raise file_refused(problems)
    report = ImportReport(invalid=described(problems))
    with unit_of_work():
        lock_agreement(agreement.id)
        existing = set(  # by look: a lookalike of a recorded ref is the same ticket
            db.session.scalars(
                sa.select(Task.ref_skeleton).where(Task.agreement_id == agreement.id)
            )
        )
        fresh = [row for row in rows if row.ref_skeleton not in existing]
        report.skipped_existing = len(rows) - len(fresh)
        verdicts: Counter[str] = Counter()
        created_verdicts: dict[str, str] = {}
        chunk: list[dict[str, Any]] = []

        def write() -> None:
            db.session.execute(sa.insert(Task.__table__), chunk)
            for row in chunk:
                if len(created_verdicts) < AUDITED_ROWS:
                    created_verdicts[row["ref"]] = row["verdict"].value
            report.created += len(chunk)
            if progress is not None:
                progress(len(chunk))
            chunk.clear()

        now = utcnow()

        def emit(pending: Pending, result: CheckResult) -> None:
            parsed = pending.payload
            chunk.append(_row(agreement, parsed.task, result, actor, now, parsed.ref_skeleton))
            verdicts[result.verdict.value] += 1
            if len(chunk) >= CHUNK:
                write()

        if fresh:
            # One walk: the new tasks and the stored ones dated on or after the first
            # new one, in canonical order, so the verdicts are those of any order of
            # recording; stored tasks whose verdict changes are re-checked here too.
            settle(
                VerdictContext(agreement),
                start=min(row.task.day for row in fresh),
                pending=[
                    Pending(facts_of(row.task), row.task.ref or "", payload=row) for row in fresh
                ],
                emit=emit,
                why="Checked again after an import of tasks.",
            )
        if chunk:
            write()
        measure_imported(agreement.id, [row.task.ref for row in fresh if row.task.opened_at])
        report.verdicts = {
            k: verdicts.get(k, 0) for k in ("in_scope", "over_cap", "out_of_scope", "needs_review")
        }
        record(
            "tasks.imported",
            agreement,
            actor,
            agreement_id=agreement.id,
            changes={
                "created": {"before": None, "after": report.created},
                "skipped_existing": {"before": None, "after": report.skipped_existing},
                "invalid": {"before": None, "after": len(problems)},
                # the tasks created, by ref and verdict (the first ones, for very large files)
                "tasks": {"before": None, "after": created_verdicts},
            },
        )
    return report


def _row(
    agreement: Agreement,
    task: TaskInput,
    result: CheckResult,
    actor: User,
    now: Any,
    ref_skeleton: str,
) -> dict[str, Any]:
    """A new task's row; its ref's skeleton as the caller computed it (for duplicates)."""
    return {
        "agreement_id": agreement.id,
        "ref": task.ref,
        "ref_skeleton": ref_skeleton,
        "title": task.title,
        "description": task.description,
        "category": task.category,
        "system": task.system,
        "day": task.day,
        "hours": task.hours,
        "amount": task.amount,
        "priced_amount": storable_price(result),
        "state": TaskState(result.verdict.value),
        "verdict": result.verdict,
        "clause_ref": result.clause,
        "scope_version": result.scope_version,
        "verdict_detail": result.to_json(),
        "needs_attention": False,
        "created_by_id": actor.id,
        "created_at": now,
        "checked_at": now,
        "lock_version": 1,
        "priority": task.priority,
        "opened_at": task.opened_at,
        "responded_at": task.responded_at,
        "resolved_at": task.resolved_at,
        "pauses": task.pauses or [],
    }
