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
            assert set(item) == {"title", "link", "since", "due", "agreement"}
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


def _notices(user, agreements_and_days):
    from contracts_app.db import db
    from contracts_app.notifications.models import Kind, Notification

    for text, agreement, day in agreements_and_days:
        db.session.add(
            Notification(
                user_id=user.id,
                kind=next(iter(Kind)),
                agreement_id=agreement.id if agreement else None,
                object_type="agreement",
                text=text,
                link="/work",
                created_at=dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC),
            )
        )
    db.session.flush()


def _sorted_fixture():
    from tests.factories import make_agreement

    user = make_user()
    zulu = make_agreement(code="ZZ-2026-01")
    alpha = make_agreement(code="AA-2026-01")
    _notices(user, [("zulu, old", zulu, 2), ("alpha, new", alpha, 9), ("none, mid", None, 5)])
    return user


def _titles(work, kind="unread_notifications"):
    return [item.title for item in next(g for g in work.groups if g.kind == kind).items]


def test_each_group_lists_the_oldest_first_unless_sorted_otherwise():
    user = _sorted_fixture()
    assert _titles(my_work(user, TODAY)) == ["zulu, old", "none, mid", "alpha, new"]
    assert _titles(my_work(user, TODAY, sort="-since")) == ["alpha, new", "none, mid", "zulu, old"]
    assert _titles(my_work(user, TODAY, sort="agreement")) == [
        "alpha, new",
        "zulu, old",
        "none, mid",
    ]
    assert _titles(my_work(user, TODAY, sort="-agreement"))[:2] == ["zulu, old", "alpha, new"]


def test_items_built_in_python_sort_as_the_queried_ones_do():
    from contracts_app.work.services import Item, sorted_items

    items = [
        Item("b", "/", dt.date(2026, 3, 1), "ZZ-1"),
        Item("a", "/", dt.date(2026, 1, 1), None),
        Item("c", "/", dt.date(2026, 2, 1), "aa-1"),
    ]
    assert [i.title for i in sorted_items(items, "since")] == ["a", "c", "b"]
    assert [i.title for i in sorted_items(items, "agreement")] == ["c", "b", "a"]
    assert [i.title for i in sorted_items(items, "-agreement")] == ["b", "c", "a"]


def test_the_page_sorts_within_its_groups_by_links_and_keeps_the_groups(app):
    user = _sorted_fixture()
    client = signed_in(app.test_client(), user)
    page = client.get("/work?sort=agreement").get_data(as_text=True)
    section = page[page.index('id="unread_notifications"') :]
    assert section.index("alpha, new") < section.index("zulu, old") < section.index("none, mid")
    assert 'aria-sort="ascending"' in section
    assert 'href="/work?sort=-agreement#unread_notifications"' in section
    assert [kind for kind in GROUPS if f'id="{kind}"' in page] == list(GROUPS)
    assert "3 things wait for you." in page
    stale = client.get("/work?sort=colour")
    assert stale.status_code == 200  # a stale bookmark shows the default order


def test_the_api_sorts_within_groups_and_refuses_an_unknown_field(client):
    user = _sorted_fixture()
    body = client.get("/api/v1/me/work?sort=-since", headers=token_for(user)).get_json()
    notices = next(g for g in body["groups"] if g["kind"] == "unread_notifications")
    assert notices["items"][0]["title"] == "alpha, new"
    refused = client.get("/api/v1/me/work?sort=colour", headers=token_for(user))
    assert refused.status_code == 422 and "since" in str(refused.get_json())


def test_each_sort_link_lands_on_the_group_it_sorts(app):
    user = _sorted_fixture()
    client = signed_in(app.test_client(), user)
    page = client.get("/work").get_data(as_text=True)
    section = page[page.index('id="unread_notifications"') :]
    assert 'href="/work?sort=agreement#unread_notifications"' in section
    assert 'href="/work?sort=-since#unread_notifications"' in section


def _record(cast, ref, hours):
    return record_task(
        cast.agreement,
        membership_of(cast.contributor, cast.agreement.id),
        TaskInput(ref=ref, title=ref, day=TODAY, category="support.incident", hours=Decimal(hours)),
        cast.contributor,
    )


def test_a_task_waits_since_it_was_recorded_not_since_it_was_last_checked(app, cast):
    _record(cast, "T-0", "100")  # 83 % of the cap; the next two go over it
    first = _record(cast, "T-1", "30")
    second = _record(cast, "T-2", "30")
    first.created_at = dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)
    first.checked_at = dt.datetime(2026, 11, 19, 8, tzinfo=dt.UTC)  # checked again lately
    second.created_at = dt.datetime(2026, 11, 10, 8, tzinfo=dt.UTC)
    second.checked_at = dt.datetime(2026, 11, 10, 8, tzinfo=dt.UTC)
    from contracts_app.db import db

    db.session.flush()
    items = next(
        g for g in my_work(cast.customer_approver, TODAY).groups if g.kind == "tasks_to_decide"
    ).items
    ordered = [item for item in items if item.link in (f"/tasks/{first.id}", f"/tasks/{second.id}")]
    assert [item.link for item in ordered] == [f"/tasks/{first.id}", f"/tasks/{second.id}"]
    assert ordered[0].since == first.created_at
    client = signed_in(app.test_client(), cast.customer_approver)
    page = client.get("/work").get_data(as_text=True)
    assert "2026-11-01 08:00 UTC" in page and "2026-11-19 08:00" not in page


def test_a_group_cut_short_links_to_its_full_list_filtered_the_same_way(app, cast, monkeypatch):
    import contracts_app.work.services as work

    monkeypatch.setattr(work, "ITEMS_PER_GROUP", 1)
    _busy(cast)  # T-2 is over the cap
    _record(cast, "T-3", "30")  # over it too
    _notices(cast.customer_approver, [("one", None, 2), ("two", None, 3)])
    client = signed_in(app.test_client(), cast.customer_approver)
    page = client.get("/work").get_data(as_text=True)
    tasks = page[page.index('id="tasks_to_decide"') : page.index('id="caps_at_threshold"')]
    code = cast.agreement.code
    assert (
        f'and 1 more: see <a href="/agreements/{code}/tasks?to_decide=1">all 2 to decide' in tasks
    )
    notices = page[page.index('id="unread_notifications"') :]
    assert 'more: see <a href="/notifications">all notifications</a>' in notices

    listed = client.get(f"/agreements/{code}/tasks?to_decide=1").get_data(as_text=True)
    assert ">T-2</a>" in listed and ">T-3</a>" in listed and ">T-1</a>" not in listed


def test_every_group_cut_short_links_to_where_the_rest_can_be_read(app, cast, monkeypatch):
    import contracts_app.work.services as work

    monkeypatch.setattr(work, "ITEMS_PER_GROUP", 1)
    code = cast.agreement.code
    for title in ("First", "Second"):
        cast.fire(cast.draft(title=title), "submit", cast.manager)
    for day in (dt.date(2026, 3, 1), dt.date(2026, 4, 1)):
        issue_document(
            cast.agreement, membership_of(cast.manager, cast.agreement.id), day, cast.manager
        )
    shown = my_work(cast.customer_approver, TODAY)
    groups = {group.kind: group for group in shown.groups}
    assert groups["annexes_awaiting_me"].more == 1
    assert [(link.text, link.href) for link in groups["annexes_awaiting_me"].full_lists] == [
        (f"annexes of {code}", f"/agreements/{code}/annexes")
    ]
    assert [link.href for link in groups["summaries_awaiting_sign_off"].full_lists] == [
        f"/agreements/{code}/documents"
    ]
    page = signed_in(app.test_client(), cast.customer_approver).get("/work").get_data(as_text=True)
    assert f'and 1 more: see <a href="/agreements/{code}/annexes">annexes of {code}</a>' in page
    # a group shown whole says no "more"
    monkeypatch.setattr(work, "ITEMS_PER_GROUP", 20)
    page = signed_in(app.test_client(), cast.customer_approver).get("/work").get_data(as_text=True)
    assert "more: see" not in page


def test_the_tasks_api_lists_the_same_tasks_to_decide_as_my_work(client, cast):
    _busy(cast)  # T-1 within the cap, T-2 over it
    _record(cast, "T-3", "30")  # over it too
    headers = token_for(cast.customer_approver)
    url = f"/api/v1/agreements/{cast.agreement.code}/tasks"
    to_decide = client.get(f"{url}?to_decide=true&sort=ref", headers=headers).get_json()
    assert [task["ref"] for task in to_decide["items"]] == ["T-2", "T-3"]
    assert to_decide["total"] == counts(my_work(cast.customer_approver, TODAY))["tasks_to_decide"]
    every = client.get(url, headers=headers).get_json()
    assert every["total"] == 3
    assert client.get(f"{url}?to_decide=maybe", headers=headers).status_code == 422


def _group_of(work, kind):
    return next(group for group in work.groups if group.kind == kind)


def test_an_escalation_waits_for_the_side_holding_the_ball_and_then_the_other(app, cast):
    from contracts_app.escalations import services as escalations
    from tests.factories import member_user

    kind = "escalations_awaiting_my_side"
    viewer = member_user(cast.agreement, "customer", "viewer")
    raised = escalations.raise_escalation(
        cast.agreement,
        membership_of(cast.manager, cast.agreement.id),
        escalations.EscalationInput(subject="Disputed invoice"),
        cast.manager,
        now=dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC),  # long past its deadline
    )
    customer = _group_of(my_work(cast.customer_manager), kind)
    [item] = customer.items
    assert item.title == "Escalation 1 \u201cDisputed invoice\u201d: your side's answer is overdue"
    assert item.link == f"/escalations/{raised.id}"
    assert item.since == raised.deadline and item.due
    # the first level names nobody: the side's managers answer (and are told), not others
    assert _group_of(my_work(cast.customer_approver), kind).count == 0
    assert _group_of(my_work(viewer), kind).count == 0
    assert _group_of(my_work(cast.manager), kind).count == 0  # the ball is not theirs
    page = signed_in(app.test_client(), cast.customer_manager).get("/work").get_data(as_text=True)
    assert "Escalations waiting for my side" in page and "answer is overdue" in page
    assert f"due {raised.deadline:%Y-%m-%d %H:%M}" in page

    escalations.fire_event(raised.id, "answer", cast.customer_manager, message="Looking into it")
    assert _group_of(my_work(cast.customer_manager), kind).count == 0
    [item] = _group_of(my_work(cast.manager), kind).items
    assert item.title.endswith("your side's answer is due") and item.due

    escalations.fire_event(raised.id, "propose_resolution", cast.manager, message="Credit note")
    assert _group_of(my_work(cast.manager), kind).count == 0  # they proposed it
    [item] = _group_of(my_work(cast.customer_manager), kind).items
    assert item.title.endswith("the other side proposed a resolution")

    escalations.fire_event(raised.id, "accept_resolution", cast.customer_manager, message="OK")
    assert _group_of(my_work(cast.customer_manager), kind).count == 0


def test_an_escalation_climbed_to_a_level_naming_people_waits_for_them():
    from contracts_app.accounts.services import user_by_email
    from contracts_app.escalations import services as escalations
    from tests.escalations.test_services import T0, laddered_agreement, raise_one
    from tests.factories import manager_of

    agreement = laddered_agreement()  # level 2 names an approver of each side
    kind = "escalations_awaiting_my_side"
    raise_one(agreement)
    customer_manager = manager_of(agreement, other_side=True)
    [named] = agreement.escalation_ladder[1]["members"]["customer"]
    customer_head = user_by_email(named)
    assert _group_of(my_work(customer_manager), kind).count == 1
    assert _group_of(my_work(customer_head), kind).count == 0
    escalations.climb_overdue(T0 + dt.timedelta(hours=8))  # the deadline passed: level 2
    assert _group_of(my_work(customer_manager), kind).count == 0
    [item] = _group_of(my_work(customer_head), kind).items
    assert item.title.startswith("Escalation 1")
