"""My notifications and my preferences, through the API and the pages."""

from __future__ import annotations

from contracts_app.db import db
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.models import EmailState
from tests.factories import make_user, signed_in, token_for
from tests.notifications.conftest import notes


def _three_notifications(cast):
    for ref in ("3.1", "3.2", "3.3"):
        annex = cast.draft(
            [{"op": "add", "item": {"ref": ref, "title": ref, "kind": "included"}}], title=ref
        )
        cast.fire(annex, "submit", cast.manager)
    return notes(cast.customer_approver)


def test_notifications_list_unread_first_and_paginate(client, cast):
    first, second, third = _three_notifications(cast)
    headers = token_for(cast.customer_approver)
    response = client.post(
        "/api/v1/me/notifications/read", json={"ids": [third.id]}, headers=headers
    )
    assert response.get_json() == {"marked": 1, "unread": 2}
    body = client.get("/api/v1/me/notifications?per_page=2", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [second.id, first.id]
    assert body["total"] == 3 and body["unread"] == 2
    assert body["items"][0]["kind"] == "annex_awaits_approval"
    assert body["items"][0]["agreement"] == cast.agreement.code
    assert body["items"][0]["read_at"] is None
    page2 = client.get("/api/v1/me/notifications?per_page=2&page=2", headers=headers).get_json()
    assert [item["id"] for item in page2["items"]] == [third.id]
    assert page2["items"][0]["read_at"] is not None
    unread = client.get("/api/v1/me/notifications?unread=true", headers=headers).get_json()
    assert unread["total"] == 2
    assert client.post("/api/v1/me/notifications/read", json={}, headers=headers).get_json() == {
        "marked": 2,
        "unread": 0,
    }


def test_someone_elses_notification_cannot_be_marked(client, cast):
    mine = _three_notifications(cast)[0]
    stranger = make_user()
    response = client.post(
        "/api/v1/me/notifications/read", json={"ids": [mine.id]}, headers=token_for(stranger)
    )
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert (
        client.get("/api/v1/me/notifications", headers=token_for(stranger)).get_json()["total"] == 0
    )


def test_preferences_have_defaults_and_change_per_kind(client, cast):
    headers = token_for(cast.customer_approver)
    body = client.get("/api/v1/me/notification-preferences", headers=headers).get_json()
    assert body["time_zone"] == "UTC"
    by_kind = {row["kind"]: row["delivery"] for row in body["kinds"]}
    assert by_kind["annex_awaits_approval"] == "email"  # needs my action
    assert by_kind["cap_threshold"] == "email"
    assert by_kind["contract_date"] == "email"
    assert by_kind["annex_approved"] == "in_app"  # news
    response = client.put(
        "/api/v1/me/notification-preferences",
        json={"kinds": {"annex_awaits_approval": "digest"}, "time_zone": "Europe/Paris"},
        headers=headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["time_zone"] == "Europe/Paris"
    assert {r["kind"]: r["delivery"] for r in body["kinds"]}["annex_awaits_approval"] == "digest"
    [note] = _three_notifications(cast)[:1]
    assert note.email_state == EmailState.DIGEST


def test_bad_preferences_are_refused_by_field(client, cast):
    headers = token_for(cast.customer_approver)
    response = client.put(
        "/api/v1/me/notification-preferences",
        json={"kinds": {"annex_approved": "carrier-pigeon"}, "time_zone": "Mars/Olympus"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    response = client.put(
        "/api/v1/me/notification-preferences",
        json={"time_zone": "Mars/Olympus"},
        headers=headers,
    )
    assert response.status_code == 422
    assert "time_zone" in response.get_json()["errors"]


def test_the_pages_list_mark_read_and_save_preferences(app, cast):
    _three_notifications(cast)
    client = signed_in(app.test_client(), cast.customer_approver)
    page = client.get("/notifications").get_data(as_text=True)
    assert "3 unread" in page and "awaits your side" in page
    assert client.post("/notifications/read", data={}).status_code == 302
    assert "0 unread" in client.get("/notifications").get_data(as_text=True)
    form = {kind.value: "in_app" for kind in Kind}
    form.update({"time_zone": "Nowhere/Atlantis", "annex_approved": "email"})
    response = client.post("/notifications/preferences", data=form)
    assert response.status_code == 200
    assert "Unknown time zone" in response.get_data(as_text=True)
    form["time_zone"] = "Europe/Paris"
    response = client.post("/notifications/preferences", data=form)
    assert response.status_code == 302
    body = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Europe/Paris" in body
    assert '<option selected value="email">' in body


def test_opening_a_notification_from_my_work_marks_it_read_and_goes_to_its_page(app, cast):
    first, second, _ = _three_notifications(cast)
    client = signed_in(app.test_client(), cast.customer_approver)
    work = client.get("/work").get_data(as_text=True)
    assert f'action="/notifications/{first.id}/open"' in work
    assert client.get(f"/notifications/{first.id}/open").status_code == 405  # a GET never writes

    opened = client.post(f"/notifications/{first.id}/open", data={})
    assert opened.status_code == 302 and opened.headers["Location"] == first.link
    db.session.refresh(first)
    assert first.read_at is not None
    assert "2 unread" in client.get("/notifications").get_data(as_text=True)
    # opened again (from the list, where it reads as read now): the same page, still read
    again = client.post(f"/notifications/{first.id}/open", data={})
    assert again.headers["Location"] == first.link

    # from the notifications list too
    listed = client.get("/notifications").get_data(as_text=True)
    assert f'action="/notifications/{second.id}/open"' in listed
    assert f'action="/notifications/{first.id}/open"' not in listed  # read: a plain link
    client.post(f"/notifications/{second.id}/open", data={})
    db.session.refresh(second)
    assert second.read_at is not None


def test_someone_elses_notification_cannot_be_opened_or_marked(app, cast):
    first, *_ = _three_notifications(cast)
    client = signed_in(app.test_client(), cast.manager)
    assert client.post(f"/notifications/{first.id}/open", data={}).status_code == 404
    for beyond in (2**31, 2**63, 10**30):  # past any id a database holds
        assert client.post(f"/notifications/{beyond}/open", data={}).status_code == 404
    db.session.refresh(first)
    assert first.read_at is None


def test_a_notification_is_opened_only_with_the_forms_csrf_token(app, cast, monkeypatch):
    first, *_ = _three_notifications(cast)
    client = signed_in(app.test_client(), cast.customer_approver)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = client.post(f"/notifications/{first.id}/open", data={})
    assert refused.status_code in (302, 400)
    db.session.refresh(first)
    assert first.read_at is None


def test_the_navigation_counts_unread_notifications_and_signed_in_pages_are_not_kept(app, cast):
    _three_notifications(cast)
    client = signed_in(app.test_client(), cast.customer_approver)
    work = client.get("/work")
    assert '<span class="count" aria-label="3 unread">3</span>' in work.get_data(as_text=True)
    # the back button reads My work again rather than show counts from before
    assert work.headers["Cache-Control"] == "no-store"
    assert "data-refresh-on-back" in work.get_data(as_text=True)
    client.post("/notifications/read", data={})
    assert 'aria-label="0 unread"' not in client.get("/work").get_data(as_text=True)
    assert "no-store" not in app.test_client().get("/login").headers.get("Cache-Control", "")
