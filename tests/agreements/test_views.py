from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from contracts_app.agreements.models import Agreement, Invitation, Membership
from contracts_app.db import db
from contracts_app.scope.services import base_scope
from tests.factories import (
    clause,
    make_agreement,
    make_annex,
    make_user,
    manager_of,
    member_user,
    signed_in,
    staff,
)

D = dt.date


def test_list_page_filters_and_says_when_nothing_matches(client):
    admin = make_user(admin=True)
    make_agreement(code="AMS-1", customer="Acme Retail")
    make_agreement(code="DBA-1", customer="Harbour AG", status="draft")
    signed_in(client, admin)
    page = client.get("/agreements?status=draft").get_data(as_text=True)
    assert "DBA-1" in page and "AMS-1" not in page
    page = client.get("/agreements?party=acme").get_data(as_text=True)
    assert "AMS-1" in page and "DBA-1" not in page
    assert "No agreement matches these filters." in client.get("/agreements?q=zzz").get_data(
        as_text=True
    )


def test_list_page_paginates(client, app):
    admin = make_user(admin=True)
    for n in range(app.config["PAGE_SIZE"] + 2):
        make_agreement(code=f"P-{n:03d}", manager=admin)
    signed_in(client, admin)
    first = client.get("/agreements").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Next" in first
    second = client.get("/agreements?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second


def test_agreement_page_shows_scope_timeline_as_of_and_diff(client):
    agreement = make_agreement()
    make_annex(
        agreement,
        D(2026, 4, 1),
        [{"op": "add", "item": clause("3.1", title="Added by annex")}],
        title="Adds 3.1",
    )
    viewer = member_user(agreement, "customer", "viewer")
    signed_in(client, viewer)
    march = client.get(f"/agreements/{agreement.code}?as_of=2026-03-15").get_data(as_text=True)
    assert "Added by annex" not in march and "Clause 1.1" in march
    assert "Annex 1: Adds 3.1" in march, "the timeline names the annex that made a version"
    april = client.get(f"/agreements/{agreement.code}?as_of=2026-04-15").get_data(as_text=True)
    assert "Added by annex" in april
    diff = client.get(f"/agreements/{agreement.code}?from=1&to=3").get_data(as_text=True)
    assert "+ 3.1" in diff
    outside = client.get(f"/agreements/{agreement.code}?as_of=2030-01-01").get_data(as_text=True)
    assert "outside the term" in outside


def test_superseded_versions_are_shown_on_request(client):
    agreement = make_agreement()
    make_annex(agreement, D(2026, 6, 1), [{"op": "remove", "ref": "1.2"}])
    make_annex(agreement, D(2026, 2, 1), [{"op": "add", "item": clause("3.1")}])
    signed_in(client, manager_of(agreement))
    normal = client.get(f"/agreements/{agreement.code}").get_data(as_text=True)
    full = client.get(f"/agreements/{agreement.code}?superseded=1").get_data(as_text=True)
    assert normal.count('class="superseded"') == 0
    assert full.count('class="superseded"') >= 2


def test_create_form_shows_errors_next_to_fields_and_keeps_what_was_typed(client):
    signed_in(client, make_user())
    response = client.post(
        "/agreements/new",
        data={
            "code": "AMS-9",
            "title": "Typed title",
            "customer": "Same Co",
            "provider": "Same Co",
            "start_date": "2026-05-01",
            "end_date": "2026-04-01",
            "currency": "EUR",
            "value": "10",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The end date must not be before the start date." in page
    assert "The provider must differ from the customer." in page
    assert 'value="Typed title"' in page
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 0


def test_create_form_makes_a_draft_and_its_creator_the_manager(client):
    user = make_user()
    signed_in(client, user)
    response = client.post(
        "/agreements/new",
        data={
            "code": "AMS-10",
            "title": "Shop",
            "customer": "A",
            "provider": "B",
            "start_date": "2026-01-01",
            "currency": "EUR",
            "value": "0",
            "customer_approves": "y",
            "customer_signs_off": "y",
            "provider_signs_off": "y",
        },
    )
    assert response.status_code == 302
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "AMS-10"))
    assert agreement.status.value == "draft"
    assert agreement.approval_sides == ["customer"]
    assert agreement.signoff_sides == ["customer", "provider"]
    member = db.session.scalar(sa.select(Membership).where(Membership.agreement_id == agreement.id))
    assert member.user_id == user.id and member.role.value == "manager"


def test_clause_form_adds_edits_and_removes_clauses_of_a_draft(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    bad = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "Incidents",
            "kind": "included",
            "cap_unit": "hours",
            "cap_limit": "-4",
            "cap_period": "month",
        },
    )
    assert bad.status_code == 200
    assert "cap_limit" in bad.get_data(as_text=True) or "greater than" in bad.get_data(as_text=True)
    assert base_scope(agreement.id) == {}

    ok = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "Incidents",
            "kind": "included",
            "categories": "support.incident, support.problem",
            "cap_unit": "hours",
            "cap_limit": "40",
            "cap_period": "month",
        },
    )
    assert ok.status_code == 302
    assert base_scope(agreement.id)["1.1"].categories == ("support.incident", "support.problem")

    client.post(
        f"/agreements/{agreement.code}/clauses/1.1/edit",
        data={
            "ref": "1.1",
            "title": "Renamed",
            "kind": "included",
            "cap_unit": "",
            "cap_period": "",
        },
    )
    assert base_scope(agreement.id)["1.1"].title == "Renamed"

    confirm = client.get(f"/agreements/{agreement.code}/clauses/1.1/remove")
    assert "Remove clause 1.1?" in confirm.get_data(as_text=True)
    assert "1.1" in base_scope(agreement.id), "asking is not removing"
    client.post(f"/agreements/{agreement.code}/clauses/1.1/remove")
    assert base_scope(agreement.id) == {}


def test_clause_form_of_an_active_agreement_says_up_front_to_draft_an_annex(client):
    agreement = make_agreement(scope=[clause("1.1", ["support"], title="Support")])
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/clauses/1.1/edit").get_data(as_text=True)
    assert "changes only while the agreement is a draft" in page
    assert "Draft an annex" in page and f"/agreements/{agreement.code}/annexes/new" in page
    assert 'name="title"' not in page and "Save clause" not in page, "no form is offered"
    assert "scope:" not in page


def test_clause_submitted_to_an_active_agreement_is_refused_plainly_and_nothing_changes(client):
    agreement = make_agreement(scope=[clause("1.1", ["support"], title="Support")])
    signed_in(client, manager_of(agreement))
    for url in ("clauses/1.1/edit", "clauses/new", "clauses/1.1/remove"):
        response = client.post(
            f"/agreements/{agreement.code}/{url}",
            data={"ref": "1.1", "title": "Renamed", "kind": "included"},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 409, url
        assert "changes only while the agreement is a draft" in page and "scope:" not in page
    assert base_scope(agreement.id)["1.1"].title == "Support"


def test_a_service_message_for_no_field_is_flashed_without_its_path(app):
    from flask import get_flashed_messages
    from flask_wtf import FlaskForm

    from contracts_app.errors import ValidationFailed
    from contracts_app.forms_common import show_errors

    with app.test_request_context():
        show_errors(FlaskForm(meta={"csrf": False}), ValidationFailed({"scope": ["Not now."]}))
        assert get_flashed_messages() == ["Not now."]


def test_members_page_invites_and_removes_after_confirmation(client):
    agreement = make_agreement()
    newcomer = make_user(email="newcomer@example.com")
    customer_manager = manager_of(agreement, other_side=True)
    signed_in(client, customer_manager)
    client.post(
        f"/agreements/{agreement.code}/members",
        data={"email": newcomer.email, "side": "customer", "role": "approver"},
    )
    assert db.session.scalar(sa.select(Membership).where(Membership.user_id == newcomer.id)) is None
    invited = client.get(f"/agreements/{agreement.code}/members").get_data(as_text=True)
    assert "newcomer@example.com" in invited and "pending" in invited

    newcomer_client = signed_in(client.application.test_client(), newcomer)
    page = newcomer_client.get("/invitations").get_data(as_text=True)
    assert agreement.code in page
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.email == newcomer.email))
    newcomer_client.post(f"/invitations/{invitation.id}/accept")
    member = db.session.scalar(sa.select(Membership).where(Membership.user_id == newcomer.id))
    assert member.role.value == "approver" and member.side.value == "customer"

    page = client.get(f"/agreements/{agreement.code}/members/{member.id}/remove").get_data(
        as_text=True
    )
    assert "loses access" in page
    client.post(f"/agreements/{agreement.code}/members/{member.id}/remove")
    assert db.session.get(Membership, member.id) is None


def test_status_is_asked_by_one_side_and_confirmed_by_the_other_from_the_page(client):
    agreement = make_agreement(status="draft")
    staff(agreement)
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}").get_data(as_text=True)
    assert "Ask to activate" in page
    client.post(f"/agreements/{agreement.code}/events", data={"event": "activate"})
    assert db.session.get(Agreement, agreement.id).status.value == "draft"
    page = client.get(f"/agreements/{agreement.code}").get_data(as_text=True)
    assert "asked to <strong>activate</strong>" in page and "Ask to activate" not in page

    other = signed_in(client.application.test_client(), manager_of(agreement, other_side=True))
    confirm_page = other.get(f"/agreements/{agreement.code}").get_data(as_text=True)
    assert ">Confirm</button>" in confirm_page
    unnamed = other.post(
        f"/agreements/{agreement.code}/events", data={"event": "confirm"}, follow_redirects=True
    )
    assert "answer the request shown on the page" in unnamed.get_data(as_text=True)
    assert db.session.get(Agreement, agreement.id).status.value == "draft"
    change_id = re.search(r'name="change_id" value="(\d+)"', confirm_page).group(1)
    other.post(
        f"/agreements/{agreement.code}/events", data={"event": "confirm", "change_id": change_id}
    )
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).status.value == "active"


def test_a_viewer_posting_to_the_members_page_is_forbidden(client):
    agreement = make_agreement()
    viewer = member_user(agreement, "customer", "viewer")
    signed_in(client, viewer)
    response = client.post(
        f"/agreements/{agreement.code}/members",
        data={"email": viewer.email, "side": "customer", "role": "manager"},
    )
    assert response.status_code == 403
    member = db.session.scalar(sa.select(Membership).where(Membership.user_id == viewer.id))
    assert member.role.value == "viewer"
