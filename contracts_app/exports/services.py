"""Exports of an agreement's lists (scope, tasks, cap usage, annex register) as CSV and XLSX.

Each list is turned into rows once (``Table``), from the same services and filters as the
page and the list endpoint, and then written in either format. Cells keep their types:
numbers stay numbers (an exact Decimal in XLSX, a plain number in CSV), dates are date cells
in XLSX and ISO text in CSV. Text that a spreadsheet would read as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with a single quote, as
OWASP advises against CSV injection, so a task titled ``=HYPERLINK(...)`` stays text.
Nothing here reads the request; access is checked by the caller (``agreement_for``) exactly
as for reading the list.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from contracts_app.agreements.models import Agreement
from contracts_app.annexes.models import Annex
from contracts_app.annexes.services import list_annexes
from contracts_app.db import db
from contracts_app.figures import decimal_text
from contracts_app.scope.services import clause_map, scope_on
from contracts_app.tasks.services import TASK_SORTING, TaskFilters, clause_usage, filtered_tasks

KINDS = ("scope", "tasks", "usage", "annexes")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet holds at most this many rows; an export stops well before.
MAX_ROWS = 100_000


@dataclasses.dataclass
class Table:
    """A list as rows of typed cells, ready to be written in any format."""

    kind: str
    title: str
    columns: list[str]
    rows: list[list[Any]]


def neutralised(text: str) -> str:
    """``text``, prefixed with a quote if a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> Any:
    """A value as a cell: numbers and dates keep their type, everything else is safe text."""
    if isinstance(value, Decimal):
        # as exact as stored, with the places the pages show (10.00, 85.125; not 10.0000)
        return Decimal(decimal_text(value))
    if value is None or isinstance(value, (bool, int, dt.date)):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value)
    return neutralised(str(value))


# --- the lists -------------------------------------------------------------------------


def scope_day(agreement: Agreement, today: dt.date) -> dt.date:
    """The day whose scope the agreement page shows by default: today, kept inside the term."""
    day = max(today, agreement.start_date)
    return min(day, agreement.end_date) if agreement.end_date else day


def scope_table(agreement: Agreement, day: dt.date) -> Table:
    """The clauses valid on ``day``, included first, as the agreement page lists them."""
    version = scope_on(agreement, day)
    clauses = sorted(clause_map(version).values(), key=lambda c: c.kind.value != "included")
    return Table(
        kind="scope",
        title=f"Scope on {day}",
        columns=[
            "Ref",
            "Clause",
            "Kind",
            "Description",
            "Categories",
            "Systems",
            "Keywords",
            "Cap limit",
            "Cap unit",
            "Cap period",
            "Cap counts",
            "Cap counts (one)",
            "Per-task limit",
            "Rate",
        ],
        rows=[
            [
                c.ref,
                c.title,
                c.kind,
                c.description,
                c.categories,
                c.systems,
                c.keywords,
                c.cap.limit if c.cap else None,
                c.cap.unit if c.cap else None,
                c.cap.period if c.cap else None,
                c.cap.unit_label if c.cap else None,
                c.cap.unit_label_singular if c.cap else None,
                c.per_task_limit,
                c.rate,
            ]
            for c in clauses
        ],
    )


def tasks_table(agreement: Agreement, filters: TaskFilters, sort: str | None = None) -> Table:
    """Every task that passes the list's filters, in the list's order (all pages at once)."""
    order = TASK_SORTING.order_by(sort)
    tasks = db.session.scalars(filtered_tasks(agreement, filters).order_by(*order).limit(MAX_ROWS))
    return Table(
        kind="tasks",
        title="Tasks",
        columns=[
            "Ref",
            "Title",
            "Date",
            "Category",
            "System",
            "Hours",
            "Amount",
            "Verdict",
            "Clause",
            "State",
            "Needs attention",
        ],
        rows=[
            [
                t.ref,
                t.title,
                t.day,
                t.category,
                t.system,
                t.hours,
                t.amount,
                t.verdict,
                t.clause_ref,
                t.state,
                t.needs_attention,
            ]
            for t in tasks
        ],
    )


def usage_table(agreement: Agreement, today: dt.date, clause: str | None = None) -> Table:
    """Use of each capped clause per period (the clause's usage page, for every capped clause
    of the scope valid today, or only ``clause``)."""
    if clause:
        refs = [clause]
    else:
        version = scope_on(agreement, scope_day(agreement, today))
        refs = [c.ref for c in clause_map(version).values() if c.cap is not None]
    rows = []
    for ref in refs:
        for period in clause_usage(agreement, ref)["periods"]:
            used, limit = Decimal(period["used"]), Decimal(period["limit"])
            rows.append([ref, period["label"], used, limit, period["unit"], limit - used])
    return Table(
        kind="usage",
        title="Cap usage",
        columns=["Clause", "Period", "Used", "Cap", "Unit", "Left"],
        rows=rows,
    )


def annexes_table(agreement: Agreement, state: str | None = None, sort: str | None = None) -> Table:
    """The annex register as the annexes page lists it."""
    annexes: Sequence[Annex] = list_annexes(agreement, state, sort=sort)
    return Table(
        kind="annexes",
        title="Annex register",
        columns=["No.", "Title", "Effective date", "Changes", "State", "Author"],
        rows=[
            [
                a.number,
                a.title,
                a.effective_date,
                len(a.changes or ()),
                a.state,
                a.author.name if a.author else None,
            ]
            for a in annexes
        ],
    )


# --- the formats -----------------------------------------------------------------------


def to_csv(table: Table) -> bytes:
    """CSV with a header row; UTF-8 with a byte-order mark, so spreadsheets read accents.

    Every field is quoted: a spreadsheet set to split at semicolons (German or Polish
    settings) splits an unquoted ``a;=cmd|...`` into a cell that starts a formula."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow([_cell(name) for name in table.columns])
    for row in table.rows:
        writer.writerow([_csv_text(_cell(value)) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_xlsx(table: Table) -> bytes:
    """One worksheet with a header row; numbers as numeric cells, dates as date cells."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.title[:31])
    sheet.append([_cell(name) for name in table.columns])
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, _cell(value)) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: Worksheet, value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        # the number itself, exact; shown with the places it was stored with (9.50, not 9.5)
        cell = WriteOnlyCell(sheet, value)
        places = -int(value.as_tuple().exponent) if value.is_finite() else 0
        cell.number_format = "0." + "0" * places if places > 0 else "0"
        return cell
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str):
        # XML 1.0 cannot hold control characters (a title typed with one, from a ticket
        # tool): shown as U+FFFD rather than refusing the whole file
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def export(table: Table, format: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx}[format](table)


def filename(agreement: Agreement, kind: str, format: str, today: dt.date) -> str:
    """For example ``AMS-2026-01-tasks-2026-11-25.csv``."""
    return f"{agreement.code}-{kind}-{today.isoformat()}.{format}"
