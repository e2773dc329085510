"""Every list sorts by its columns: the pages mark the sorted column, the API follows."""

from __future__ import annotations

import re

import pytest

from contracts_app.accounts.services import issue_token
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.services import notify
from contracts_app.sorting import Sorting
from tests.factories import add_member, make_agreement, make_user, manager_of, signed_in, token_for


def _sorted_header(page: str) -> str:
    found = re.findall(r'<th[^>]*aria-sort="(\w+)"[^>]*>(.*?)</th>', page, re.S)
    assert len(found) == 1, found
    direction, header = found[0]
    return f"{direction}:{re.sub(r'<[^>]+>|[▲▼]', '', header).strip()}"


def test_the_default_order_falls_back_for_pages_and_is_refused_when_unknown_in_the_api():
    sorting = Sorting({"a": object()}, default="-a", tiebreaker=object())
    assert sorting.chosen("b") == "-a" and sorting.chosen("a") == "a"
    assert sorting.choices == ["a", "-a"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/agreements?sort=title", "ascending:Title"),
        ("/agreements", "descending:Term"),
        ("/agreements/{code}/annexes?sort=-state", "descending:State"),
        ("/agreements/{code}/escalations?sort=level", "ascending:Level"),
        ("/agreements/{code}/documents?sort=as_of", "ascending:As of"),
        ("/notifications?sort=-created", "descending:When"),
        ("/account/tokens?sort=name", "ascending:Name"),
        ("/admin/users?sort=-email", "descending:Email"),
    ],
)
def test_each_list_page_marks_its_sorted_column(client, url, expected):
    agreement = make_agreement()
    admin = make_user(admin=True)
    signed_in(client, admin)
    response = client.get(url.format(code=agreement.code))
    assert response.status_code == 200
    assert _sorted_header(response.text) == expected


def test_notifications_keep_unread_first_by_default_and_sort_when_asked(client):
    agreement = make_agreement()
    me = manager_of(agreement)
    for kind in (Kind.TASK_NEEDS_ATTENTION, Kind.ANNEX_APPROVED):
        notify(
            [me.id], kind, kind.value, "/", agreement_id=agreement.id, object_type="x", object_id=1
        )
    url = "/api/v1/me/notifications"
    newest_first = [n["kind"] for n in client.get(url, headers=token_for(me)).json["items"]]
    by_kind = [
        n["kind"] for n in client.get(f"{url}?sort=kind", headers=token_for(me)).json["items"]
    ]
    assert newest_first[:2] == ["annex_approved", "task_needs_attention"]
    assert by_kind == sorted(by_kind)
    assert client.get(f"{url}?sort=text", headers=token_for(me)).status_code == 422


def test_tokens_sort_by_name(client):
    me = make_user()
    for name in ("beta", "alpha"):
        issue_token(me, name)
    signed_in(client, me)
    page = client.get("/account/tokens?sort=name").text
    assert page.index(">alpha<") < page.index(">beta<")


def test_members_sort_by_name_both_ways(client):
    agreement = make_agreement()
    me = manager_of(agreement)
    for name in ("Zoe Last", "Anna First"):
        add_member(agreement, make_user(name=name), "customer", "viewer")
    url = f"/api/v1/agreements/{agreement.code}/members"
    ascending = client.get(f"{url}?sort=name", headers=token_for(me)).json
    descending = client.get(f"{url}?sort=-name", headers=token_for(me)).json
    names = [m["name"] for m in ascending]
    assert names == sorted(names, key=str.lower)
    assert [m["name"] for m in descending] == names[::-1]
    assert client.get(f"{url}?sort=password", headers=token_for(me)).status_code == 422
    signed_in(client, me)
    page = client.get(f"/agreements/{agreement.code}/members?sort=-name").text
    assert _sorted_header(page[: page.index('id="invitations"')]) == "descending:Name"
    assert page.index("Zoe Last") < page.index("Anna First")


def test_invitations_sort_by_email_in_the_api(client):
    agreement = make_agreement()
    me = manager_of(agreement)
    url = f"/api/v1/agreements/{agreement.code}/invitations"
    for email in ("zed@example.com", "amy@example.com"):
        client.post(
            f"/api/v1/agreements/{agreement.code}/members",
            json={"email": email, "side": "provider", "role": "viewer"},
            headers=token_for(me),
        )
    newest_first = [i["email"] for i in client.get(url, headers=token_for(me)).json]
    by_email = [i["email"] for i in client.get(f"{url}?sort=email", headers=token_for(me)).json]
    by_email_desc = [
        i["email"] for i in client.get(f"{url}?sort=-email", headers=token_for(me)).json
    ]
    assert newest_first == ["amy@example.com", "zed@example.com"]
    assert by_email == sorted(by_email) and by_email_desc == by_email[::-1]
    assert "zed@example.com" in by_email
    assert client.get(f"{url}?sort=token", headers=token_for(me)).status_code == 422


def test_the_activity_sorts_by_entry_both_ways_and_marks_the_chosen_order(client):
    agreement = make_agreement()
    me = manager_of(agreement)
    url = f"/api/v1/agreements/{agreement.code}/audit"
    newest = [e["seq"] for e in client.get(url, headers=token_for(me)).json["items"]]
    oldest = [
        e["seq"] for e in client.get(f"{url}?sort=entry", headers=token_for(me)).json["items"]
    ]
    assert len(newest) > 1
    assert newest == sorted(newest, reverse=True) and oldest == newest[::-1]
    assert client.get(f"{url}?sort=mac", headers=token_for(me)).status_code == 422
    signed_in(client, me)
    page = client.get(f"/agreements/{agreement.code}/activity?sort=entry").text
    chosen = re.findall(r'<a[^>]*aria-current="true"[^>]*>(.*?)</a>', page, re.S)
    assert [re.sub(r"<[^>]+>", "", c) for c in chosen] == ["Oldest first"]
    first, second = re.findall(r'id="event-(\d+)"', page)[:2]
    assert int(first) < int(second)
    unknown = client.get(f"/agreements/{agreement.code}/activity?sort=mac").text
    assert "Newest first</strong>" in unknown


def test_outages_sort_by_system_both_ways_and_start_latest_first_by_default(client):
    agreement = make_agreement()
    me = manager_of(agreement)
    url = f"/api/v1/agreements/{agreement.code}/outages"
    for system, day in (("CRM", "06"), ("ERP", "05"), ("billing", "04")):
        response = client.post(
            url,
            json={
                "system": system,
                "started_at": f"2026-05-{day}T10:00:00Z",
                "ended_at": f"2026-05-{day}T11:00:00Z",
            },
            headers=token_for(me),
        )
        assert response.status_code == 201, response.json
    latest = [o["system"] for o in client.get(url, headers=token_for(me)).json]
    by_system = [o["system"] for o in client.get(f"{url}?sort=system", headers=token_for(me)).json]
    descending = [
        o["system"] for o in client.get(f"{url}?sort=-system", headers=token_for(me)).json
    ]
    assert latest == ["CRM", "ERP", "billing"]
    assert by_system == ["billing", "CRM", "ERP"]
    assert descending == ["ERP", "CRM", "billing"]
    assert client.get(f"{url}?sort=note", headers=token_for(me)).status_code == 422


def test_failed_emails_sort_by_tries_both_ways_for_administrators(client):
    from contracts_app.db import db
    from contracts_app.notifications.models import EmailState, Notification

    agreement = make_agreement()
    for tries, email in ((3, "few@example.com"), (7, "many@example.com"), (5, "some@example.com")):
        user = make_user(email=email)
        (note_id,) = notify(
            [user.id],
            Kind.ANNEX_APPROVED,
            "x",
            "/",
            agreement_id=agreement.id,
            object_type="x",
            object_id=1,
        )
        note = db.session.get(Notification, note_id)
        note.email_state, note.email_attempts = EmailState.FAILED, tries
    db.session.commit()
    signed_in(client, make_user(admin=True))

    def order(sort: str) -> list[str]:
        page = client.get(f"/admin/notifications/failed?sort={sort}").text
        return sorted(("few", "many", "some"), key=lambda name: page.index(f"{name}@example"))

    assert order("tries") == ["few", "some", "many"]
    assert order("-tries") == ["many", "some", "few"]
    page = client.get("/admin/notifications/failed?sort=-tries").text
    assert _sorted_header(page) == "descending:Tries"
    assert _sorted_header(client.get("/admin/notifications/failed?sort=x").text) == "descending:Id"


def test_the_members_page_sorts_its_invitations_apart_from_its_members(client):
    agreement = make_agreement()
    me = manager_of(agreement)
    for email in ("zed@example.com", "amy@example.com"):
        client.post(
            f"/api/v1/agreements/{agreement.code}/members",
            json={"email": email, "side": "provider", "role": "viewer"},
            headers=token_for(me),
        )
    signed_in(client, me)
    page = client.get(f"/agreements/{agreement.code}/members?invitations=-email").text
    invitations = page[page.index('id="invitations"') :]
    assert _sorted_header(invitations) == "descending:Email"
    assert page.index("zed@example.com") < page.index("amy@example.com")
    assert "?invitations=email" in page or "&amp;invitations=email" in page
    ascending = client.get(f"/agreements/{agreement.code}/members?invitations=email").text
    assert ascending.index("amy@example.com") < ascending.index("zed@example.com")
