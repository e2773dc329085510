"""My work: what waits for each person, grouped, in the page, the API and the navigation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from contracts_app.agreements.access import membership_of
from contracts_app.documents.services import issue_document
from contracts_app.tasks.services import TaskInput, record_task
from contracts_app.work.services import GROUPS, my_work
from tests.factories import make_user, signed_in, token_for

TODAY = dt.date(2026, 11, 20)


def _busy(cast):
    annex = cast.draft()
    cast.fire(annex, "submit", cast.manager)
    issue_document(
        cast.agreement,
        membership_of(cast.manager, cast.agreement.id),
        dt.date(2026, 3, 1),
        cast.manager,
    )
    for ref, hours in (("T-1", "100"), ("T-2", "30")):  # 83 % of the cap, then over it
        record_task(
            cast.agreement,
            membership_of(cast.contributor, cast.agreement.id),
            TaskInput(
                ref=ref, title=ref, day=TODAY, category="support.incident", hours=Decimal(hours)
            ),
            cast.contributor,
        )
    return annex


def counts(work) -> dict[str, int]:
    return {group.kind: group.count for group in work.groups}


def test_each_person_sees_what_waits_for_them(cast):
    annex = _busy(cast)
    approver = my_work(cast.customer_approver, TODAY)
    assert counts(approver)["annexes_awaiting_me"] == 1
    assert counts(approver)["summaries_awaiting_sign_off"] == 1
    assert counts(approver)["tasks_to_decide"] == 1  # T-2 is over the cap
    assert counts(approver)["caps_at_threshold"] == 0  # caps and dates are for managers
    [item] = approver.groups[0].items
    assert item.link == f"/annexes/{annex.id}" and item.agreement == cast.agreement.code
    manager = my_work(cast.manager, TODAY)
    assert counts(manager)["annexes_awaiting_me"] == 0
    assert counts(manager)["caps_at_threshold"] == 1
    assert counts(manager)["contract_dates_near"] == 1  # the end on 31 December, in 41 days
    assert counts(manager)["unread_notifications"] == 1  # the 80 % cap alert
    contributor = my_work(cast.contributor, TODAY)
    assert contributor.total == 0


def test_the_api_answers_in_the_documented_shape(client, cast):
    _busy(cast)
    body = client.get("/api/v1/me/work", headers=token_for(cast.customer_approver)).get_json()
    assert set(body) == {"groups", "total"}
    assert [group["kind"] for group in body["groups"]] == list(GROUPS)
    for group in body["groups"]:
        assert set(group) == {"kind", "count", "items"}
        for item in group["items"]:
            assert set(item) == {"title", "link", "since", "agreement"}
            dt.date.fromisoformat(item["since"][:10])
    assert body["total"] == sum(group["count"] for group in body["groups"]) >= 3


def test_the_home_page_after_sign_in_is_my_work_with_a_count_in_the_navigation(app, cast):
    _busy(cast)
    client = signed_in(app.test_client(), cast.customer_approver)
    assert client.get("/").headers["Location"] == "/work"
    page = client.get("/work").get_data(as_text=True)
    assert "Annexes awaiting my side" in page
    assert "Nothing here." in page  # the empty groups say so
    total = my_work(cast.customer_approver).total
    assert f'<span class="count" aria-label="{total} waiting">{total}</span>' in page


def test_someone_with_nothing_waiting_is_told_so(app):
    client = signed_in(app.test_client(), make_user())
    page = client.get("/work").get_data(as_text=True)
    assert "Nothing waits for you." in page
    assert page.count("Nothing here.") == len(GROUPS)


def test_the_demo_gives_every_demo_account_something_in_my_work(app):
    from contracts_app.accounts.services import user_by_email
    from contracts_app.demo import ADMIN, DEMO_PEOPLE, load_demo

    load_demo()
    for email in [ADMIN[0], *[person[0] for person in DEMO_PEOPLE]]:
        work = my_work(user_by_email(email))
        assert work.total > 0, (email, counts(work))
