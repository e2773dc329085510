"""The export links of the pages, for signed-in people (the API's routes take a token)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import openpyxl

from tests.factories import make_annex, make_user, manager_of, member_user, signed_in


def _export_links(page: str, kind: str) -> list[str]:
    block = re.search(rf'<p class="export-links small" id="export-{kind}">.*?</p>', page, re.S)
    assert block, f"no export links for {kind}"
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', block.group(0))]


def test_the_task_page_links_exports_with_its_filters_and_order(client, agreement, record):
    for ref, hours in (("A", "1"), ("B", "3"), ("C", "2")):
        record(ref=ref, category="support", hours=hours)
    record(ref="X", category="development", hours="1")  # out of scope
    signed_in(client, member_user(agreement, "customer", "viewer"))
    page = client.get(f"/agreements/{agreement.code}/tasks?verdict=in_scope&sort=-hours").text
    shown = re.findall(r'<a href="/tasks/\d+">([^<]+)</a>', page)
    csv_link, xlsx_link = _export_links(page, "tasks")
    assert "verdict=in_scope" in csv_link and "sort=-hours" in csv_link
    response = client.get(csv_link)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(
        f'{agreement.code}-tasks-{dt.date.today().isoformat()}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == shown == ["B", "C", "A"]
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(xlsx_link).data)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == shown


def test_the_annex_scope_and_usage_pages_link_their_exports(client, agreement):
    make_annex(agreement, dt.date(2026, 6, 1), [], effective=False, title="Reporting")
    signed_in(client, manager_of(agreement))
    pages = {
        "annexes": f"/agreements/{agreement.code}/annexes",
        "scope": f"/agreements/{agreement.code}?as_of=2026-03-01",
        "usage": f"/agreements/{agreement.code}/clauses/1.2/usage",
    }
    for kind, url in pages.items():
        for link in _export_links(client.get(url).text, kind):
            response = client.get(link)
            assert response.status_code == 200, (kind, link)
            assert response.headers["Content-Disposition"].startswith("attachment;")
    scope_csv = _export_links(client.get(pages["scope"]).text, "scope")[0]
    assert "as_of=2026-03-01" in scope_csv
    usage_csv = _export_links(client.get(pages["usage"]).text, "usage")[0]
    assert {r[0] for r in csv.reader(io.StringIO(client.get(usage_csv).text.lstrip("\ufeff")))} == {
        "Clause",
        "1.2",
    }


def test_outsiders_cannot_export_from_the_pages(client, agreement):
    signed_in(client, make_user())
    assert client.get(f"/agreements/{agreement.code}/tasks/export?format=csv").status_code == 404
