"""Search finds agreements, annexes and tasks, only within the agreements one may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.search.services import search
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import (
    make_agreement,
    make_annex,
    make_user,
    manager_of,
    member_user,
    signed_in,
    token_for,
)


def _task(agreement, ref, title):
    manager = manager_of(agreement)
    return record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(
            ref=ref,
            title=title,
            day=dt.date(2026, 3, 2),
            category="support.request",
            hours=Decimal(1),
        ),
        manager,
    )


@pytest.fixture
def two():
    """Two agreements that share words, each with an annex and a task, and a member of each."""
    mine = make_agreement(code="MINE-1", customer="Acme Retail")
    theirs = make_agreement(code="THEIRS-1", customer="Secret Bank")
    for agreement in (mine, theirs):
        make_annex(agreement, dt.date(2026, 6, 1), [], effective=False, title="Rate review")
        _task(agreement, f"INC-{agreement.code}", "Printer outage")
    return mine, theirs, member_user(mine, "customer", "viewer"), member_user(theirs)


def _codes(groups):
    return {g.kind: sorted(h.agreement_code for h in g.items) for g in groups}


def test_a_member_finds_only_what_their_agreements_hold(two):
    _mine, _theirs, me, _other = two
    assert _codes(search(me, "rate review")) == {
        "agreements": [],
        "annexes": ["MINE-1"],
        "tasks": [],
    }
    assert _codes(search(me, "OUTAGE"))["tasks"] == ["MINE-1"]
    assert _codes(search(me, "secret bank")) == {"agreements": [], "annexes": [], "tasks": []}
    assert _codes(search(me, "THEIRS")) == {"agreements": [], "annexes": [], "tasks": []}
    assert _codes(search(me, "acme"))["agreements"] == ["MINE-1"]


def test_an_administrator_finds_in_every_agreement(two):
    assert _codes(search(make_user(admin=True), "outage"))["tasks"] == ["MINE-1", "THEIRS-1"]


def test_annex_n_finds_the_annex_by_its_number(two):
    _mine, _theirs, me, _other = two
    hits = search(me, "annex 1", kinds=("annexes",))[0].items
    assert [h.label for h in hits] == ["Annex 1 of MINE-1"]


def test_the_search_text_is_literal_not_a_pattern(two):
    _mine, _theirs, me, _other = two
    assert search(me, "%%", kinds=("tasks",))[0].total == 0
    assert search(me, "__", kinds=("tasks",))[0].total == 0


def test_the_api_searches_what_the_token_user_may_see(client, two):
    _mine, _theirs, me, other = two
    body = client.get("/api/v1/search?q=outage", headers=token_for(me)).json
    tasks = next(g for g in body["groups"] if g["kind"] == "tasks")
    assert [h["label"] for h in tasks["items"]] == ["Task INC-MINE-1 of MINE-1"]
    body = client.get("/api/v1/search?q=outage&kind=tasks", headers=token_for(other)).json
    assert [g["kind"] for g in body["groups"]] == ["tasks"]
    assert [h["agreement_code"] for h in body["groups"][0]["items"]] == ["THEIRS-1"]


def test_the_api_refuses_a_text_too_short_and_anonymous_clients(client, two):
    _mine, _theirs, me, _other = two
    response = client.get("/api/v1/search?q=a", headers=token_for(me))
    assert response.status_code == 422 and "q" in response.json["errors"]
    assert client.get("/api/v1/search?q=outage").status_code == 401


def test_the_api_paginates_each_kind(client):
    agreement = make_agreement(code="MANY-1")
    for n in range(5):
        _task(agreement, f"P-{n}", "Printer")
    headers = token_for(manager_of(agreement))
    body = client.get("/api/v1/search?q=printer&kind=tasks&per_page=2&page=3", headers=headers)
    group = body.json["groups"][0]
    assert group["total"] == 5 and len(group["items"]) == 1 and group["page"] == 3


def test_the_page_groups_hits_by_kind_and_leaks_nothing(client, two):
    _mine, _theirs, me, _other = two
    signed_in(client, me)
    page = client.get("/search?q=outage").text
    assert 'id="hits-tasks"' in page and "INC-MINE-1" in page
    assert "THEIRS" not in page and 'id="hits-agreements"' not in page


def test_the_page_says_plainly_when_nothing_is_found(client, two):
    _mine, _theirs, me, _other = two
    signed_in(client, me)
    page = client.get("/search?q=secret+bank").text
    assert 'id="no-hits"' in page and "THEIRS" not in page


def test_the_page_shows_a_few_of_each_kind_and_links_to_all(client):
    agreement = make_agreement(code="MANY-1")
    for n in range(7):
        _task(agreement, f"P-{n}", "Printer")
    signed_in(client, manager_of(agreement))
    page = client.get("/search?q=printer").text
    assert page.count('href="/tasks/') == 5 and "All 7 tasks" in page
    page = client.get("/search?q=printer&kind=tasks").text
    assert page.count('href="/tasks/') == 7


def test_every_page_has_the_search_box(client, two):
    _mine, _theirs, me, _other = two
    signed_in(client, me)
    assert 'class="topbar-search"' in client.get("/agreements").text
