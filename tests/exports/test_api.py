"""Exports of scope, tasks, usage and the annex register as CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from contracts_app.db import db
from contracts_app.exports.services import FORMULA_STARTS, Table, to_csv, to_xlsx
from contracts_app.tasks.services import fire_task_event
from tests.factories import (
    make_agreement,
    make_annex,
    make_user,
    manager_of,
    member_user,
    token_for,
)

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1", "-2", "@x", "\tx", "\rx"]


def _csv(response) -> list[list[str]]:
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _xlsx(response) -> list[list]:
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _get(client, agreement, kind, query="", user=None):
    user = user or manager_of(agreement)
    return client.get(
        f"/api/v1/agreements/{agreement.code}/{kind}/export{query}", headers=token_for(user)
    )


def test_the_task_export_has_the_rows_of_the_task_list_with_its_filters_and_order(
    client, agreement, record
):
    for ref, hours, category in (
        ("B", "3", "support"),
        ("A", "1", "support"),
        ("C", "2", "support.incident"),
        ("D", "4", "maintenance"),
    ):
        record(ref=ref, hours=hours, category=category)
    query = "?verdict=in_scope&sort=-hours"
    listed = client.get(
        f"/api/v1/agreements/{agreement.code}/tasks{query}&per_page=100",
        headers=token_for(manager_of(agreement)),
    ).json["items"]
    rows = _csv(_get(client, agreement, "tasks", query + "&format=csv"))
    assert rows[0][:3] == ["Ref", "Title", "Date"]
    assert [r[0] for r in rows[1:]] == [t["ref"] for t in listed]
    assert [r[5] for r in rows[1:]] == [t["hours"] for t in listed]  # plain numbers, as listed
    sheet = _xlsx(_get(client, agreement, "tasks", query + "&format=xlsx"))
    assert [r[0] for r in sheet[1:]] == [t["ref"] for t in listed]
    assert all(isinstance(r[5], (int, float)) for r in sheet[1:])  # numeric cells
    assert isinstance(sheet[1][2], dt.datetime) and sheet[1][2].date() == dt.date(2026, 3, 10)


def test_the_file_is_named_after_the_agreement_the_list_and_today(client, agreement):
    response = _get(client, agreement, "tasks", "?format=xlsx")
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        f'attachment; filename="{agreement.code}-tasks-{dt.date.today().isoformat()}.xlsx"'
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_cell_never_begins_with_a_formula_character(client, agreement, record, fmt):
    for n, title in enumerate(HOSTILE):
        task = record(ref=f"H-{n}", title=f"x{title}", category="support", hours="1")
        task.title = title  # stored as typed by an import; stripping would hide the tab
    db.session.flush()
    read = _csv if fmt == "csv" else _xlsx
    rows = read(_get(client, agreement, "tasks", f"?format={fmt}"))
    titles = {row[0]: row[1] for row in rows[1:]}
    assert sorted(titles.values()) == sorted("'" + t for t in HOSTILE)
    for row in rows[1:]:
        for cell in row:
            if isinstance(cell, str):
                assert not cell.startswith(FORMULA_STARTS), row


def test_a_negative_number_stays_a_number(client, agreement, record):
    record(ref="BIG", category="support.incident", system="shop-web", hours="8")
    more = record(ref="MORE", category="support.incident", system="shop-web", hours="5")
    fire_task_event(more.id, "accept", manager_of(agreement))  # counts: 13 h of a 10 h cap
    rows = _csv(_get(client, agreement, "usage", "?clause=1.2"))
    march = next(r for r in rows[1:] if r[1] == "2026-03")
    assert march[2:] == ["13.00", "10.00", "hours", "-3.00"]
    sheet = _xlsx(_get(client, agreement, "usage", "?clause=1.2&format=xlsx"))
    march = next(r for r in sheet[1:] if r[1] == "2026-03")
    assert march[5] == -3 and not isinstance(march[5], str)


def test_a_spreadsheet_splitting_at_semicolons_finds_no_formula_inside_a_field(
    client, agreement, record
):
    # German and Polish settings split a CSV line at semicolons, quotes aside: an unquoted
    # "jam;=cmd|..." would give a cell "=cmd|...".
    record(ref="SEMI-1", title="Printer jam;=cmd|' /C calc'!A0;", category="support", hours="1")
    text = _get(client, agreement, "tasks", "?format=csv").data.decode("utf-8-sig")
    line = next(line for line in text.splitlines() if "SEMI-1" in line)
    assert "\"Printer jam;=cmd|' /C calc'!A0;\"" in line
    inside_quotes = False
    for cell_start, char in enumerate(line):  # Excel's rule: a ; splits only outside quotes
        if char == '"':
            inside_quotes = not inside_quotes
        elif char == ";" and not inside_quotes:
            assert not line[cell_start + 1 :].startswith(FORMULA_STARTS), line


def test_decimals_are_written_exactly_and_shown_with_their_places():
    table = Table("tasks", "Tasks", ["n"], [[Decimal("9.50")], [Decimal("-0.05")]])
    assert to_csv(table).decode("utf-8-sig").splitlines() == ['"n"', '"9.50"', '"-0.05"']
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet["A2"].value == 9.5 and sheet["A2"].number_format == "0.00"
    assert sheet["A3"].value == -0.05


def test_the_scope_export_lists_the_clauses_of_the_scope(client, agreement):
    headers = token_for(manager_of(agreement))
    scope = client.get(
        f"/api/v1/agreements/{agreement.code}/scope?as_of=2026-03-01", headers=headers
    ).json
    rows = _csv(_get(client, agreement, "scope", "?as_of=2026-03-01"))
    assert sorted(r[0] for r in rows[1:]) == sorted(c["ref"] for c in scope["items"])
    capped = next(r for r in rows[1:] if r[0] == "1.2")
    assert capped[7:10] == ["10.00", "hours", "month"]
    sheet = _xlsx(_get(client, agreement, "scope", "?as_of=2026-03-01&format=xlsx"))
    assert sorted(r[0] for r in sheet[1:]) == sorted(c["ref"] for c in scope["items"])


def test_the_annex_register_export_follows_the_register(client, agreement):
    make_annex(agreement, dt.date(2026, 6, 1), [], effective=False, title="+Second")
    make_annex(agreement, dt.date(2026, 5, 1), [], effective=False, title="First")
    listed = client.get(
        f"/api/v1/agreements/{agreement.code}/annexes?sort=-effective_date",
        headers=token_for(manager_of(agreement)),
    ).json
    rows = _csv(_get(client, agreement, "annexes", "?sort=-effective_date"))
    assert [int(r[0]) for r in rows[1:]] == [a["number"] for a in listed]
    assert [r[1] for r in rows[1:]] == ["'+Second", "First"]
    sheet = _xlsx(_get(client, agreement, "annexes", "?format=xlsx&state=draft"))
    assert [r[1] for r in sheet[1:]] == ["'+Second", "First"]


@pytest.mark.parametrize("kind", ["scope", "tasks", "usage", "annexes"])
def test_outsiders_cannot_export_and_members_of_any_role_can(client, agreement, kind):
    assert _get(client, agreement, kind, user=make_user()).status_code == 404
    viewer = member_user(agreement, "customer", "viewer")
    assert _get(client, agreement, kind, user=viewer).status_code == 200
    assert client.get(f"/api/v1/agreements/{agreement.code}/{kind}/export").status_code == 401


def test_an_export_of_another_agreement_is_not_found_for_a_member_of_one(client, agreement):
    other = make_agreement(code="OTHER-1")
    assert _get(client, other, "tasks", user=manager_of(agreement)).status_code == 404


def test_an_unknown_format_or_sort_is_a_422(client, agreement):
    assert _get(client, agreement, "tasks", "?format=pdf").status_code == 422
    assert _get(client, agreement, "tasks", "?sort=secret").status_code == 422


def test_a_control_character_in_a_title_does_not_break_the_xlsx():
    # Found by the fuzzer: XML 1.0 cannot hold \x01, and openpyxl refused the whole file.
    table = Table("annexes", "Annexes", ["title"], [["Patch\x01 window"]])
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet["A2"].value == "Patch\ufffd window"
