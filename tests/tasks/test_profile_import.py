"""Importing the sample exports of Jira, ServiceNow and GLPI through import profiles."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.errors import ValidationFailed
from contracts_app.tasks.import_models import IncomingChange
from contracts_app.tasks.models import Task
from contracts_app.tasks.profile_import import STORED_TIMES, import_with_profile
from contracts_app.tasks.profiles import put_profile
from contracts_app.tasks.sample_profiles import SAMPLE_PROFILES
from contracts_app.tasks.services import fire_task_event
from tests.factories import make_agreement, manager_of
from workflows.task_states import TaskState

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def make_profile(agreement, name, body=None):
    manager = manager_of(agreement)
    profile, _ = put_profile(
        agreement,
        membership_of(manager, agreement.id),
        name,
        body if body is not None else SAMPLE_PROFILES[name],
        manager,
    )
    return profile


def run(agreement, profile, raw, **kwargs):
    manager = manager_of(agreement)
    return import_with_profile(
        agreement, membership_of(manager, agreement.id), profile, raw, manager, **kwargs
    )


def tasks(agreement):
    return {
        t.ref: t
        for t in db.session.scalars(sa.select(Task).where(Task.agreement_id == agreement.id))
    }


def count(agreement):
    return db.session.scalar(
        sa.select(sa.func.count(Task.id)).where(Task.agreement_id == agreement.id)
    )


def test_jira_export_multi_value_columns_dates_in_the_users_zone_and_seconds(agreement):
    make_profile(agreement, "jira")
    report = run(agreement, "jira", sample("jira.csv"))
    assert report.created == 6 and report.invalid == []
    got = tasks(agreement)
    first = got["SHOP-101"]
    assert (first.category, first.system, first.hours) == (
        "support.incident",
        "shop-web",  # Component/s: Checkout (mapped) before Web
        Decimal("2.50"),
    )
    assert first.day == dt.date(2026, 11, 24) and first.state == TaskState.IN_SCOPE
    assert first.description.startswith("Customers see error 500")
    # 23/Nov/26 11:40 PM in Warsaw: 22:40 UTC, dated the 23rd as the user saw it
    assert got["SHOP-102"].day == dt.date(2026, 11, 23)
    # the first Component/s cell is empty: the second one (Search) is mapped
    assert got["SHOP-102"].system == "shop-api"
    assert got["SHOP-102"].state == TaskState.IN_SCOPE
    assert got["SHOP-103"].state == TaskState.OUT_OF_SCOPE
    # 2.5 + 7.5 hours fill the 10-hour cap of November; 1200 s rounds up to 0.5 h
    assert got["SHOP-104"].state == TaskState.IN_SCOPE
    assert got["SHOP-105"].hours == Decimal("0.50")
    assert got["SHOP-105"].state == TaskState.OVER_CAP
    epic = got["SHOP-106"]
    assert epic.state == TaskState.NEEDS_REVIEW and epic.category is None
    assert (
        "No mapping in import profile 'jira' for category 'Epic'."
        in (epic.verdict_detail["reasons"])
    )
    assert report.unmapped == [
        {"field": "category", "value": "Epic", "count": 1, "examples": ["SHOP-106"]}
    ]
    assert report.verdicts == {"in_scope": 3, "over_cap": 1, "out_of_scope": 1, "needs_review": 1}
    by_ref = {row["ref"]: row for row in report.rows}
    assert by_ref["SHOP-101"]["priority"] == "P1"
    assert by_ref["SHOP-101"]["opened_at"] == "2026-11-24T14:15:00+00:00"
    assert by_ref["SHOP-101"]["resolved_at"] == "2026-11-24T16:45:00+00:00"
    expected = {  # written to the task where the task has the field
        "priority": "P1",
        "opened_at": dt.datetime(2026, 11, 24, 14, 15, tzinfo=dt.UTC),
        "responded_at": None,  # Jira exports no response time
        "resolved_at": dt.datetime(2026, 11, 24, 16, 45, tzinfo=dt.UTC),
    }
    assert {name: getattr(first, name) for name in STORED_TIMES} == {
        name: expected[name] for name in STORED_TIMES
    }


def test_without_hours_rounding_a_duration_off_the_hundredths_refuses_its_row(agreement):
    body = {k: v for k, v in SAMPLE_PROFILES["jira"].items() if k != "hours_rounding"}
    make_profile(agreement, "jira", body)
    with pytest.raises(ValidationFailed) as caught:
        run(agreement, "jira", sample("jira.csv"))
    message = " ".join(caught.value.errors["line 7.hours"])
    assert "1200 seconds" in message and "hours_rounding" in message
    assert count(agreement) == 0
    report = run(agreement, "jira", sample("jira.csv"), skip_invalid=True)
    assert report.created == 5 and [p["line"] for p in report.invalid] == [7]


def test_the_dry_run_stores_nothing_and_answers_rows_verdicts_unmapped_and_refusals(agreement):
    make_profile(agreement, "jira")
    from contracts_app.audit.models import AuditEvent

    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    bad = sample("jira.csv") + b"Broken,SHOP-107,1,Bug,Done,High,,x,yesterday,,,,,,,,60,60\r\n"
    report = run(agreement, "jira", bad, dry_run=True)
    assert count(agreement) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events
    assert db.session.scalar(sa.select(sa.func.count(IncomingChange.id))) == 0
    assert report.dry_run and report.created == 6
    assert [row["line"] for row in report.invalid] == [9]
    assert "opened_at" in report.invalid[0]["errors"]
    assert {row["ref"]: row["verdict"] for row in report.rows}["SHOP-105"] == "over_cap"
    assert report.unmapped[0]["value"] == "Epic"


def test_a_second_import_of_a_changed_export_updates_rather_than_duplicates(agreement):
    make_profile(agreement, "jira")
    run(agreement, "jira", sample("jira.csv"))
    again = run(agreement, "jira", sample("jira.csv"))
    assert (again.created, again.updated, again.unchanged, again.flagged) == (0, 0, 6, 0)
    # next week's export: SHOP-104 logged less time, SHOP-107 is new
    changed = (
        sample("jira.csv")
        .decode("utf-8")
        .replace("Card payments time out,27000,27000", "Card payments time out,18000,18000")
        .replace("Payment timeout,", "Payment gateway timeout,")
        + "Cart empties itself,SHOP-107,10107,Bug,Open,High,,Anna Nowak,27/Nov/26 9:00 AM,"
        "27/Nov/26 9:00 AM,,Checkout,,,,,3600,3600\r\n"
    ).encode("utf-8")
    report = run(agreement, "jira", changed)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 5)
    got = tasks(agreement)
    assert len(got) == 7
    assert got["SHOP-104"].hours == Decimal("5.00")
    assert got["SHOP-104"].title == "Payment gateway timeout"
    # the cap freed by SHOP-104 brings SHOP-105 back in scope (2.5 + 5 + 0.5 <= 10)
    assert got["SHOP-105"].state == TaskState.IN_SCOPE
    assert got["SHOP-107"].state == TaskState.IN_SCOPE  # 9 hours of 10


def test_a_decided_task_is_flagged_with_the_incoming_change_and_not_changed(agreement):
    make_profile(agreement, "jira")
    run(agreement, "jira", sample("jira.csv"))
    accepted = tasks(agreement)["SHOP-101"]
    manager = manager_of(agreement)
    fire_task_event(accepted.id, "accept", manager, "")
    changed = sample("jira.csv").replace(b",9000,9000", b",10800,10800")
    report = run(agreement, "jira", changed)
    assert (report.updated, report.flagged) == (0, 1)
    task = tasks(agreement)["SHOP-101"]
    assert task.hours == Decimal("2.50") and task.state == TaskState.ACCEPTED
    assert task.needs_attention
    incoming = db.session.scalars(sa.select(IncomingChange)).one()
    assert incoming.task_id == task.id and incoming.profile_name == "jira"
    assert incoming.changes == {"hours": {"before": "2.50", "after": "3.00"}}
    again = run(agreement, "jira", changed)  # the same change waits once
    assert again.flagged == 1
    assert db.session.scalar(sa.select(sa.func.count(IncomingChange.id))) == 1


def test_servicenow_priorities_two_category_columns_and_written_durations(agreement):
    make_profile(agreement, "servicenow")
    report = run(agreement, "servicenow", sample("servicenow.csv"))
    assert report.created == 4 and report.invalid == []
    got = tasks(agreement)
    email = got["INC0010001"]
    # 21:30 in New York is 02:30 UTC the next day; the task is dated as opened there
    assert email.day == dt.date(2026, 11, 24)
    assert (email.category, email.system, email.hours) == (
        "support.incident",
        "CRM",
        Decimal("1.00"),
    )
    assert email.state == TaskState.IN_SCOPE
    printer = got["INC0010002"]
    assert printer.state == TaskState.NEEDS_REVIEW
    assert "for category 'Hardware | Printer'" in " ".join(printer.verdict_detail["reasons"])
    assert got["INC0010003"].hours == Decimal("2.50")  # "2 Hours 30 Minutes"
    assert got["INC0010003"].category == "support.request"
    assert got["INC0010004"].hours == Decimal("0.10")  # "6 Minutes"
    rows = {row["ref"]: row for row in report.rows}
    assert rows["INC0010001"]["priority"] == "P1"
    assert rows["INC0010001"]["opened_at"] == "2026-11-25T02:30:00+00:00"


def test_servicenow_xlsx_reads_as_the_csv_does(agreement):
    make_profile(agreement, "servicenow")
    report = run(agreement, "servicenow", sample("servicenow.xlsx"))
    assert report.file["kind"] == "xlsx" and report.created == 4
    got = tasks(agreement)
    assert got["INC0010001"].day == dt.date(2026, 11, 24)
    assert got["INC0010001"].hours == Decimal("1.00")
    assert got["INC0010003"].hours == Decimal("2.50")
    assert got["INC0010002"].state == TaskState.NEEDS_REVIEW


def test_glpi_semicolons_bom_category_paths_and_written_out_hours(agreement):
    make_profile(agreement, "glpi")
    raw = sample("glpi.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    report = run(agreement, "glpi", raw)
    assert report.file["delimiter"] == ";" and report.file["encoding"] == "utf-8-sig"
    got = tasks(agreement)
    assert set(got) == {"1542", "1543", "1544", "1545"}  # the BOM is not part of "ID"
    assert got["1542"].hours == Decimal("1.50") and got["1542"].state == TaskState.IN_SCOPE
    assert (
        got["1543"].category == "maintenance.corrective" and got["1543"].state == TaskState.IN_SCOPE
    )
    assert got["1544"].state == TaskState.NEEDS_REVIEW
    assert got["1544"].title == "Café menu on the intranet"
    assert got["1545"].day == dt.date(2026, 11, 25) and got["1545"].hours == Decimal("0.75")
    assert report.unmapped == [
        {"field": "category", "value": "Intranet > Pages", "count": 1, "examples": ["1544"]}
    ]


def test_a_windows_1252_export_is_read_and_the_report_says_so(agreement):
    make_profile(agreement, "glpi")
    raw = sample("glpi.csv").decode("utf-8-sig").encode("cp1252")
    report = run(agreement, "glpi", raw)
    assert report.file["encoding"] == "cp1252"
    assert "read as Windows-1252" in " ".join(report.file["notes"])
    assert tasks(agreement)["1544"].title == "Café menu on the intranet"


def test_a_plain_csv_profile_names_its_columns_and_dates_by_opened_at(agreement):
    body = {
        "source": "csv",
        "timezone": "Asia/Tokyo",
        "date_format": "%d.%m.%Y %H:%M",
        "columns": {"ref": "Ticket", "title": "Subject", "opened_at": "Opened", "hours": "Hours"},
        "category": {"column": "Type", "values": {"incident": "support.incident"}},
    }
    make_profile(agreement, "mine", body)
    raw = b"Ticket;Subject;Opened;Hours;Type\nT-1;Outage;01.03.2026 08:00;1,5;incident\n"
    report = run(agreement, "mine", raw)
    assert report.created == 1
    task = tasks(agreement)["T-1"]
    assert task.day == dt.date(2026, 3, 1) and task.hours == Decimal("1.50")
    with pytest.raises(ValidationFailed) as caught:
        make_profile(agreement, "bad", {"source": "csv", "columns": {"title": "Subject"}})
    assert {"columns.ref", "columns.date"} <= set(caught.value.errors)


def test_a_workbook_that_expands_beyond_the_bound_is_refused(agreement, monkeypatch):
    import openpyxl

    from contracts_app.tasks import sources

    make_profile(agreement, "servicenow")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["number", "short_description", "opened_at"])
    for n in range(2000):
        sheet.append([f"INC{n}", "x" * 200, "2026-03-01 10:00:00"])
    buffer = io.BytesIO()
    book.save(buffer)
    monkeypatch.setattr(sources, "MAX_XLSX_BYTES", 200_000)
    with pytest.raises(ValidationFailed) as caught:
        run(agreement, "servicenow", buffer.getvalue())
    assert "expands beyond" in " ".join(caught.value.errors["file"])
    assert count(agreement) == 0


def test_rows_beyond_the_bound_are_refused(agreement, monkeypatch):
    from contracts_app.tasks import sources

    make_profile(agreement, "glpi")
    monkeypatch.setattr(sources, "MAX_ROWS", 2)
    report = run(agreement, "glpi", sample("glpi.csv"), dry_run=True)
    assert report.created == 2
    assert "More than 2 rows" in report.invalid[-1]["errors"]["row"][0]


def test_the_demo_has_a_profile_per_tool_and_each_sample_previews_on_it(app):
    from contracts_app.agreements.models import Agreement
    from contracts_app.demo import load_demo
    from contracts_app.tasks.profiles import profiles_of

    load_demo()
    shop = db.session.scalar(sa.select(Agreement).where(Agreement.code == "AMS-2026-01"))
    assert [p.name for p in profiles_of(shop)] == ["glpi", "jira", "servicenow"]
    for name, file in (
        ("jira", "jira.csv"),
        ("servicenow", "servicenow.csv"),
        ("servicenow", "servicenow.xlsx"),
        ("glpi", "glpi.csv"),
    ):
        report = run(shop, name, sample(file), dry_run=True)
        assert report.invalid == [] and report.created >= 4, (file, report.invalid)
        assert report.verdicts["in_scope"] >= 1, (file, report.rows)


def test_a_dry_run_of_a_changed_export_answers_the_updates_and_changes_nothing(agreement):
    make_profile(agreement, "jira")
    run(agreement, "jira", sample("jira.csv"))
    changed = sample("jira.csv").replace(b"Card payments time out,27000", b"Card payments,18000")
    report = run(agreement, "jira", changed, dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 5)
    rows = {row["ref"]: row for row in report.rows}
    assert rows["SHOP-104"]["action"] == "updated" and rows["SHOP-104"]["hours"] == "5.00"
    assert rows["SHOP-105"]["verdict"] == "in_scope"  # the cap it frees, as an import would
    db.session.expire_all()
    got = tasks(agreement)
    assert got["SHOP-104"].hours == Decimal("7.50")
    assert got["SHOP-105"].state == TaskState.OVER_CAP


def test_a_jira_workbook_with_repeated_columns_and_date_cells(agreement):
    import csv

    import openpyxl

    make_profile(agreement, "jira")
    rows = list(csv.reader(io.StringIO(sample("jira.csv").decode("utf-8"))))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(rows[0])  # Component/s and Labels twice, as Jira writes them
    for row in rows[1:]:
        cells: list = list(row)
        created = dt.datetime.strptime(row[8], "%d/%b/%y %I:%M %p")
        cells[8] = created  # a date cell, in the exporting user's zone
        cells[16] = int(row[16]) if row[16] else None
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    report = run(agreement, "jira", buffer.getvalue())
    assert report.file["kind"] == "xlsx" and report.invalid == []
    got = tasks(agreement)
    assert got["SHOP-102"].day == dt.date(2026, 11, 23) and got["SHOP-102"].system == "shop-api"
    assert got["SHOP-101"].hours == Decimal("2.50")
    assert report.verdicts == {"in_scope": 3, "over_cap": 1, "out_of_scope": 1, "needs_review": 1}


def test_a_recheck_after_a_profiled_import_changes_no_verdict(agreement):
    from contracts_app.tasks.pipeline import VerdictContext, settle

    body = {**SAMPLE_PROFILES["jira"], "category": {"values": {"Bug": "support.incident"}}}
    make_profile(agreement, "jira", body)
    # the same day's tickets, opened in an order their keys do not follow
    raw = sample("jira.csv").replace(b"26/Nov/26 10:00 AM", b"25/Nov/26 8:00 AM")
    run(agreement, "jira", raw)
    before = {ref: (t.state, t.verdict_detail) for ref, t in tasks(agreement).items()}
    settled = settle(VerdictContext(agreement), start=dt.date(2026, 1, 1))
    assert settled.changes == []
    after = {ref: (t.state, t.verdict_detail) for ref, t in tasks(agreement).items()}
    assert after == before


def test_the_command_line_previews_and_imports_an_export(app, agreement):
    make_profile(agreement, "glpi")
    runner = app.test_cli_runner()
    path = str(SAMPLES / "glpi.csv")
    manager = manager_of(agreement).email
    args = ["tasks", "import-export", path, "--agreement", agreement.code, "--profile", "glpi"]
    args += ["--as", manager]
    preview = runner.invoke(args=[*args, "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "Would create 4" in preview.output and "'Intranet > Pages'" in preview.output
    assert count(agreement) == 0
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert "Created 4" in done.output and count(agreement) == 4


def test_a_small_archive_that_would_expand_far_beyond_its_size_is_refused_unread(agreement):
    import zipfile

    make_profile(agreement, "servicenow")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ValidationFailed) as caught:
        run(agreement, "servicenow", buffer.getvalue())
    assert "expands beyond" in " ".join(caught.value.errors["file"])
    with pytest.raises(ValidationFailed) as caught:
        run(agreement, "servicenow", b"PK\x03\x04 not really an archive")
    assert "neither CSV nor a readable XLSX" in " ".join(caught.value.errors["file"])


def test_the_preview_lists_the_first_rows_of_the_file_with_their_verdicts(agreement, monkeypatch):
    from contracts_app.tasks import profile_import

    make_profile(agreement, "jira")
    monkeypatch.setattr(profile_import, "PREVIEW_ROWS", 1)
    report = run(agreement, "jira", sample("jira.csv"), dry_run=True)
    # SHOP-102 is checked first (the earliest ticket); the file's first row is listed
    assert [(r["ref"], r["verdict"]) for r in report.rows] == [("SHOP-101", "in_scope")]
    assert report.created == 6


def _lines(raw: bytes) -> tuple[bytes, list[bytes]]:
    text = raw.decode("utf-8")
    records = text.split("\r\n")
    header, body = records[0], [r for r in records[1:] if r]
    # the first record spans two lines (a quoted description with a line break)
    joined: list[str] = []
    for record in body:
        if joined and joined[-1].count('"') % 2:
            joined[-1] += "\r\n" + record
        else:
            joined.append(record)
    return header.encode(), [r.encode() for r in joined]


@settings(derandomize=True, max_examples=12, deadline=None)
@given(data=st.data())
def test_importing_in_two_exports_ends_as_importing_once(app, data):
    from tests.tasks.conftest import SCOPE

    header, records = _lines(sample("jira.csv"))
    first = data.draw(st.lists(st.sampled_from(records), unique=True), label="first export")
    order = data.draw(st.permutations(records), label="second export")
    results = []
    for exports in ([order], [first, order]):
        agreement = make_agreement(
            start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), scope=SCOPE
        )
        make_profile(agreement, "jira")
        for export in exports:
            if export:
                run(agreement, "jira", b"\r\n".join([header, *export]) + b"\r\n")
        results.append(
            {ref: (t.state, t.clause_ref, t.hours) for ref, t in tasks(agreement).items()}
        )
    assert results[0] == results[1]


def test_a_changed_resolution_time_updates_the_ticket_and_its_clocks(agreement):
    make_profile(agreement, "jira")
    run(agreement, "jira", sample("jira.csv"))
    changed = sample("jira.csv").replace(b"25/Nov/26 4:35 PM", b"25/Nov/26 5:35 PM")
    report = run(agreement, "jira", changed)
    assert (report.updated, report.unchanged) == (1, 5)
    task = tasks(agreement)["SHOP-104"]
    assert task.resolved_at == dt.datetime(2026, 11, 25, 16, 35, tzinfo=dt.UTC)
    assert task.priority == "P2"
