"""Neither side changes the contract alone: the attacks that once got through, replayed
through the API and the pages, each refused with the data unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.agreements.members import accept_invitation, invite_member
from contracts_app.agreements.models import Agreement, Invitation, Membership
from contracts_app.annexes.models import Annex
from contracts_app.annexes.services import fire_event
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db
from contracts_app.errors import Forbidden
from contracts_app.scope.services import clause_map, scope_on
from tests.factories import (
    PASSWORD,
    approver_of,
    make_agreement,
    make_annex,
    make_user,
    manager_of,
    member_user,
    signed_in,
    staff,
    token_for,
)
from workflows.annex_states import AnnexState

D = dt.date


@pytest.fixture
def limiter_reset():
    from contracts_app.extensions import limiter

    limiter.reset()
    yield
    limiter.reset()


def _reload(agreement: Agreement) -> Agreement:
    db.session.expire_all()
    return db.session.get(Agreement, agreement.id)


def _member(agreement: Agreement, user) -> Membership:
    return membership_of(user, agreement.id)


# --- 1. the rules of consent ------------------------------------------------------------


def test_a_patch_of_the_approval_rule_on_an_active_agreement_is_409_and_changes_nothing(client):
    agreement = make_agreement()
    provider_manager = manager_of(agreement)
    for field in ("approval_sides", "signoff_sides"):
        response = client.patch(
            f"/api/v1/agreements/{agreement.code}",
            json={field: ["provider"]},
            headers=token_for(provider_manager),
        )
        assert response.status_code == 409
        assert "governance" in response.json["detail"]
    stored = _reload(agreement)
    assert stored.approval_sides == ["customer", "provider"]
    assert stored.signoff_sides == ["customer", "provider"]


def test_the_edit_page_does_not_change_the_approval_rule_of_an_active_agreement(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/edit").get_data(as_text=True)
    assert 'name="customer_approves"' in page and "disabled" in page
    client.post(
        f"/agreements/{agreement.code}/edit",
        data={
            "code": agreement.code,
            "title": "Renamed",
            "customer": "Customer Ltd",
            "provider": "Provider plc",
            "start_date": "2026-01-01",
            "currency": "EUR",
            "value": "1000",
            "provider_approves": "y",
        },
    )
    stored = _reload(agreement)
    assert stored.title == "Renamed"
    assert stored.approval_sides == ["customer", "provider"]


def test_a_retroactive_annex_approved_and_signed_by_the_provider_alone_never_takes_effect(client):
    agreement = make_agreement()
    provider_manager = manager_of(agreement)
    provider_approver = approver_of(agreement, "provider")
    headers = token_for(provider_manager)
    created = client.post(
        f"/api/v1/agreements/{agreement.code}/annexes",
        json={
            "title": "More hours",
            "effective_date": "2026-01-01",
            "changes": [
                {
                    "op": "modify",
                    "ref": "1.1",
                    "fields": {"cap": {"unit": "hours", "limit": "999", "period": "month"}},
                },
                {"op": "remove", "ref": "9.1"},
            ],
        },
        headers=headers,
    ).json
    events = f"/api/v1/annexes/{created['id']}/events"
    assert client.post(events, json={"event": "submit"}, headers=headers).status_code == 200
    approved = client.post(
        events, json={"event": "approve", "review_round": 1}, headers=token_for(provider_approver)
    ).json
    assert approved["state"] == "in_review", "the customer has not approved"
    assert "sign" not in approved["allowed_events"]
    again = client.post(
        events, json={"event": "approve", "review_round": 1}, headers=token_for(provider_approver)
    )
    assert again.status_code == 409, "a side approves once"
    sign = client.post(
        events,
        json={"event": "sign", "review_round": 1, "password": PASSWORD},
        headers=token_for(provider_approver),
    )
    assert sign.status_code == 409
    scope = clause_map(scope_on(agreement, D(2026, 3, 1)))
    assert scope["1.1"].cap.limit == Decimal("120") and "9.1" in scope


def test_a_consent_rule_changed_by_a_two_side_annex_takes_effect_only_when_it_is_effective():
    agreement = make_agreement()
    annex = make_annex(
        agreement,
        D(2026, 6, 1),
        [{"op": "modify", "governance": {"approval_sides": ["provider"]}}],
        effective=False,
        title="Provider approves alone from now on",
    )
    fire_event(annex.id, "submit", manager_of(agreement))
    fire_event(annex.id, "approve", approver_of(agreement, "provider"))
    fire_event(annex.id, "approve", approver_of(agreement, "customer"))
    fire_event(annex.id, "sign", approver_of(agreement, "provider"), password=PASSWORD)
    assert _reload(agreement).approval_sides == ["customer", "provider"], "not yet effective"
    fire_event(annex.id, "sign", approver_of(agreement, "customer"), password=PASSWORD)
    assert db.session.get(Annex, annex.id).state == AnnexState.EFFECTIVE
    assert _reload(agreement).approval_sides == ["provider"]
    changed = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "agreement.governance_changed")
    )
    assert changed.changes["approval_sides"] == {
        "before": ["customer", "provider"],
        "after": ["provider"],
    }
    later = make_annex(agreement, D(2026, 7, 1), [{"op": "remove", "ref": "1.2"}], effective=False)
    fire_event(later.id, "submit", manager_of(agreement))
    assert fire_event(later.id, "approve", approver_of(agreement, "provider")).state == (
        AnnexState.APPROVED
    ), "under the new rule the provider's approval is enough"


def test_a_governance_change_is_validated_with_the_annex():
    agreement = make_agreement()
    from contracts_app.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        make_annex(
            agreement,
            D(2026, 6, 1),
            [{"op": "modify", "governance": {"approval_sides": [], "quorum": 3}}],
            effective=False,
        )
    assert set(caught.value.errors) == {
        "changes.0.governance.approval_sides",
        "changes.0.governance.quorum",
    }


# --- 2. each side governs its own people -------------------------------------------------


def test_a_provider_manager_cannot_remove_the_customers_people(client):
    agreement = make_agreement()
    provider_manager = manager_of(agreement)
    headers = token_for(provider_manager)
    for target in (approver_of(agreement, "customer"), manager_of(agreement, other_side=True)):
        member = _member(agreement, target)
        response = client.delete(
            f"/api/v1/agreements/{agreement.code}/members/{member.id}", headers=headers
        )
        assert response.status_code == 403
        assert db.session.get(Membership, member.id) is not None


def test_a_provider_manager_cannot_remove_them_from_the_page_either(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    member = _member(agreement, approver_of(agreement, "customer"))
    assert client.get(f"/agreements/{agreement.code}/members/{member.id}/remove").status_code == 403
    response = client.post(f"/agreements/{agreement.code}/members/{member.id}/remove")
    assert response.status_code == 403
    assert db.session.get(Membership, member.id) is not None


def test_a_provider_manager_cannot_place_anyone_on_the_customer_side(client):
    agreement = make_agreement()
    contributor = member_user(agreement, "provider", "contributor")
    outsider = make_user()
    headers = token_for(manager_of(agreement))
    for person in (contributor, outsider):
        response = client.post(
            f"/api/v1/agreements/{agreement.code}/members",
            json={"email": person.email, "side": "customer", "role": "approver"},
            headers=headers,
        )
        assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
    assert _member(agreement, contributor).side.value == "provider"


def test_a_member_is_re_roled_only_by_a_manager_of_their_side(client):
    agreement = make_agreement()
    contributor = member_user(agreement, "customer", "contributor")
    member = _member(agreement, contributor)
    url = f"/api/v1/agreements/{agreement.code}/members/{member.id}"
    as_provider = client.patch(
        url, json={"role": "approver"}, headers=token_for(manager_of(agreement))
    )
    assert as_provider.status_code == 403
    as_customer = client.patch(
        url,
        json={"role": "approver"},
        headers=token_for(manager_of(agreement, other_side=True)),
    )
    assert as_customer.status_code == 200 and as_customer.json["role"] == "approver"
    assert as_customer.json["side"] == "customer"


def test_a_running_agreement_keeps_a_manager_and_an_approver_on_each_side(client):
    agreement = make_agreement()
    customer_manager = manager_of(agreement, other_side=True)
    headers = token_for(customer_manager)
    approver = _member(agreement, approver_of(agreement, "customer"))
    response = client.delete(
        f"/api/v1/agreements/{agreement.code}/members/{approver.id}", headers=headers
    )
    assert response.status_code == 409
    assert "no approver" in response.json["detail"]
    demote = client.patch(
        f"/api/v1/agreements/{agreement.code}/members/{_member(agreement, customer_manager).id}",
        json={"role": "viewer"},
        headers=headers,
    )
    assert demote.status_code == 409 and "no manager" in demote.json["detail"]
    second = member_user(agreement, "customer", "approver")
    assert second is not None
    response = client.delete(
        f"/api/v1/agreements/{agreement.code}/members/{approver.id}", headers=headers
    )
    assert response.status_code == 204, "another approver now holds the role"


def test_the_creator_invites_the_other_sides_first_manager_only():
    creator = make_user()
    agreement = make_agreement(status="draft", manager=creator)
    with pytest.raises(Exception) as caught:
        invite_member(
            agreement, _member(agreement, creator), "c@example.com", "customer", "approver", creator
        )
    assert "first manager" in str(caught.value.errors)  # type: ignore[attr-defined]
    invitation = invite_member(
        agreement, _member(agreement, creator), "c@example.com", "customer", "manager", creator
    )
    customer = make_user(email="c@example.com")
    accept_invitation(invitation.id, customer)
    with pytest.raises(Forbidden):
        invite_member(
            agreement, _member(agreement, creator), "d@example.com", "customer", "viewer", creator
        )


def test_only_the_person_invited_accepts_and_an_expired_invitation_cannot_be(client):
    agreement = make_agreement()
    customer_manager = manager_of(agreement, other_side=True)
    invitation = invite_member(
        agreement,
        _member(agreement, customer_manager),
        "invitee@example.com",
        "customer",
        "viewer",
        customer_manager,
    )
    someone_else = make_user()
    response = client.post(
        f"/api/v1/invitations/{invitation.id}/accept", headers=token_for(someone_else)
    )
    assert response.status_code == 404
    invitee = make_user(email="invitee@example.com")
    invitation.expires_at = invitation.created_at + dt.timedelta(seconds=1)
    invitation.created_at = invitation.created_at - dt.timedelta(days=30)
    invitation.expires_at = invitation.created_at + dt.timedelta(days=14)
    db.session.commit()
    response = client.post(
        f"/api/v1/invitations/{invitation.id}/accept", headers=token_for(invitee)
    )
    assert response.status_code == 409 and "expired" in response.json["detail"]
    assert membership_of(invitee, agreement.id) is None


def test_the_inviting_side_withdraws_an_invitation_and_it_can_no_longer_be_accepted(client):
    agreement = make_agreement()
    customer_manager = manager_of(agreement, other_side=True)
    invitation = invite_member(
        agreement,
        _member(agreement, customer_manager),
        "late@example.com",
        "customer",
        "viewer",
        customer_manager,
    )
    refused = client.post(
        f"/api/v1/invitations/{invitation.id}/withdraw", headers=token_for(manager_of(agreement))
    )
    assert refused.status_code == 403, "the provider does not govern the customer's invitations"
    withdrawn = client.post(
        f"/api/v1/invitations/{invitation.id}/withdraw", headers=token_for(customer_manager)
    )
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"
    late = make_user(email="late@example.com")
    assert (
        client.post(
            f"/api/v1/invitations/{invitation.id}/accept", headers=token_for(late)
        ).status_code
        == 409
    )


# --- status: asked by one side, confirmed by the other ------------------------------------


def test_activation_needs_a_manager_and_an_approver_on_each_side(client):
    agreement = make_agreement(status="draft")
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/events"
    response = client.post(url, json={"event": "activate"}, headers=headers)
    assert response.status_code == 409
    assert "customer side has no manager" in response.json["detail"]
    staff(agreement)
    asked = client.post(url, json={"event": "activate"}, headers=headers).json
    assert asked["status"] == "draft" and asked["open_change"]["event"] == "activate"
    assert asked["allowed_events"] == ["cancel"], "the asking side waits, or cancels"
    other = token_for(manager_of(agreement, other_side=True))
    status = client.get(f"/api/v1/agreements/{agreement.code}/status", headers=other).json
    assert status["allowed_events"] == ["confirm", "decline"]
    change = status["open_change"]["id"]
    confirmed = client.post(url, json={"event": "confirm", "change": change}, headers=other).json
    assert confirmed["status"] == "active"
    assert confirmed["history"][0]["effective_date"] == "2026-01-01"


def test_one_side_cannot_suspend_or_terminate_alone(client):
    agreement = make_agreement()
    url = f"/api/v1/agreements/{agreement.code}/events"
    provider = token_for(manager_of(agreement))
    asked = client.post(url, json={"event": "terminate", "reason": "done"}, headers=provider)
    change = asked.json["open_change"]["id"]
    assert _reload(agreement).status.value == "active"
    confirm_own = client.post(url, json={"event": "confirm", "change": change}, headers=provider)
    assert confirm_own.status_code == 403, "the asking side cannot confirm its own request"
    customer = token_for(manager_of(agreement, other_side=True))
    declined = client.post(
        url, json={"event": "decline", "reason": "no", "change": change}, headers=customer
    )
    assert declined.status_code == 200 and declined.json["status"] == "active"
    approver = token_for(approver_of(agreement, "customer"))
    assert (
        client.post(url, json={"event": "suspend", "reason": "x"}, headers=approver).status_code
        == 403
    )


def test_a_status_change_is_a_dated_fact():
    from contracts_app.agreements import status

    agreement = make_agreement()
    provider, customer = manager_of(agreement), manager_of(agreement, other_side=True)
    status.fire_event(
        agreement,
        _member(agreement, provider),
        "suspend",
        provider,
        effective_date=D(2026, 6, 1),
        reason="Unpaid invoices",
        today=D(2026, 5, 20),
    )
    status.fire_event(
        agreement, _member(agreement, customer), "confirm", customer, today=D(2026, 5, 20)
    )
    assert _reload(agreement).status.value == "active", "scheduled for 1 June"
    assert status.apply_due(D(2026, 5, 31)) == []
    assert [a.id for a in status.apply_due(D(2026, 6, 1))] == [agreement.id]
    assert _reload(agreement).status.value == "suspended"
    assert status.status_on(agreement.id, D(2026, 5, 31)).value == "active"
    assert status.status_on(agreement.id, D(2026, 6, 1)).value == "suspended"
    assert status.status_on(agreement.id, D(2025, 12, 31)).value == "draft"


def test_the_system_expires_an_agreement_after_its_term_once():
    from contracts_app.agreements import status

    agreement = make_agreement(end=D(2026, 12, 31))
    assert status.apply_due(D(2026, 12, 31)) == []
    assert len(status.apply_due(D(2027, 1, 1))) == 1
    assert status.apply_due(D(2027, 1, 2)) == []
    assert _reload(agreement).status.value == "expired"
    assert status.status_on(agreement.id, D(2027, 1, 1)).value == "expired"


# --- 3. documents tell the truth about who signed ------------------------------------------


def test_a_summary_needs_the_sides_of_the_rule_when_issued_and_verification_says_so(client):
    from contracts_app.documents.services import issue_document, sign_off, verify_pdf

    agreement = make_agreement(status="draft")
    agreement.signoff_sides = ["provider"]
    db.session.commit()
    staff(agreement)
    from tests.factories import set_status

    set_status(agreement, "active")
    manager = manager_of(agreement)
    document = issue_document(agreement, _member(agreement, manager), D(2026, 3, 1), manager)
    assert document.required_sides == ["provider"]
    with pytest.raises(Forbidden):
        sign_off(document.id, approver_of(agreement, "customer"), PASSWORD)
    signed = sign_off(document.id, approver_of(agreement, "provider"), PASSWORD)
    assert signed.state.value == "signed_off"
    result = verify_pdf(signed.pdf)
    assert result["authentic"] is True and result["required_sides"] == ["provider"]
    assert [s["side"] for s in result["signed_off_by"]] == ["provider"]
    from tests.documents.conftest import pdf_text

    text = pdf_text(signed.pdf)
    assert "both parties" not in text
    assert "needed the sign-off of the provider" in " ".join(text.split())


def test_verification_is_not_authentic_when_a_required_side_did_not_sign_off():
    from contracts_app.documents.services import issue_document, sign_off, verify_pdf

    agreement = make_agreement(status="draft")
    agreement.signoff_sides = ["provider"]
    db.session.commit()
    staff(agreement)
    from tests.factories import set_status

    set_status(agreement, "active")
    manager = manager_of(agreement)
    document = issue_document(agreement, _member(agreement, manager), D(2026, 3, 1), manager)
    signed = sign_off(document.id, approver_of(agreement, "provider"), PASSWORD)
    signed.required_sides = ["customer", "provider"]  # as if the rule had been widened
    db.session.commit()
    result = verify_pdf(signed.pdf)
    assert result["authentic"] is False and "customer did not sign off" in result["reason"]


# --- 4. re-entered passwords are limited like logins --------------------------------------


def test_wrong_signing_passwords_are_limited_per_account_and_audited(client, limiter_reset):
    agreement = make_agreement()
    annex = make_annex(agreement, D(2026, 3, 1), [{"op": "remove", "ref": "1.2"}], effective=False)
    fire_event(annex.id, "submit", manager_of(agreement))
    for side in ("customer", "provider"):
        fire_event(annex.id, "approve", approver_of(agreement, side))
    signer = approver_of(agreement, "customer")
    url = f"/api/v1/annexes/{annex.id}/events"
    headers = token_for(signer)
    answers = [
        client.post(
            url,
            json={"event": "sign", "review_round": 1, "password": f"guess {n}"},
            headers=headers,
        )
        for n in range(5)
    ]
    assert [a.status_code for a in answers] == [422] * 5
    right = client.post(
        url, json={"event": "sign", "review_round": 1, "password": PASSWORD}, headers=headers
    )
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    assert "password" in right.json["errors"]
    assert db.session.get(Annex, annex.id).signatures == []
    failures = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "user.password_failed", AuditEvent.actor_id == signer.id
        )
    ).all()
    assert len(failures) == 5
    login = client.post("/login", data={"email": signer.email, "password": PASSWORD})
    assert login.status_code == 429, "the limit is shared with sign-in"


def test_a_wrong_password_on_the_page_is_shown_beside_the_field(client, limiter_reset):
    agreement = make_agreement()
    annex = make_annex(agreement, D(2026, 3, 1), [{"op": "remove", "ref": "1.2"}], effective=False)
    fire_event(annex.id, "submit", manager_of(agreement))
    for side in ("customer", "provider"):
        fire_event(annex.id, "approve", approver_of(agreement, side))
    signed_in(client, approver_of(agreement, "customer"))
    response = client.post(
        f"/annexes/{annex.id}/events",
        data={"event": "sign", "password": "nope", "review_round": "1"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'name="password"' in page and 'aria-invalid="true"' in page
    assert "The password is not correct." in page


def test_sign_off_passwords_count_against_the_same_limit(client, limiter_reset):
    from contracts_app.documents.services import issue_document

    agreement = make_agreement()
    manager = manager_of(agreement)
    document = issue_document(agreement, _member(agreement, manager), D(2026, 3, 1), manager)
    signer = approver_of(agreement, "customer")
    headers = token_for(signer)
    url = f"/api/v1/documents/{document.id}/sign-off"
    codes = [
        client.post(url, json={"password": "wrong"}, headers=headers).status_code for _ in range(6)
    ]
    assert codes == [422] * 5 + [429]


# --- the draft form round-trips -----------------------------------------------------------


def _form_fields(html: str) -> dict[str, str]:
    """The values a browser would submit from the annex form (first form with id annex-form)."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.values: dict[str, str] = {}
            self.inside = False
            self.select: str | None = None
            self.textarea: str | None = None

        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if tag == "form" and attributes.get("id") == "annex-form":
                self.inside = True
            if not self.inside:
                return
            name = attributes.get("name")
            if tag == "input" and name and attributes.get("type") not in ("submit", "button"):
                if attributes.get("type") == "checkbox" and "checked" not in attributes:
                    return
                self.values[name] = attributes.get("value") or ""
            elif tag == "select" and name:
                self.select = name
                self.values.setdefault(name, "")
            elif tag == "option" and self.select and "selected" in attributes:
                self.values[self.select] = attributes.get("value") or ""
            elif tag == "textarea" and name:
                self.textarea = name
                self.values[name] = ""

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            if tag == "select":
                self.select = None
            if tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                if not self.values[self.textarea]:  # a browser drops the first line break
                    data = (
                        data.removeprefix("\r\n")
                        if data.startswith("\r\n")
                        else data.removeprefix("\n")
                    )
                self.values[self.textarea] += data

    parser = Fields()
    parser.feed(html)
    return parser.values


@pytest.mark.parametrize(
    "changes",
    [
        [{"op": "remove", "ref": "9.1"}],
        [
            {
                "op": "add",
                "item": {
                    "ref": "4.1",
                    "title": "Hosting",
                    "kind": "included",
                    "categories": ["hosting"],
                    "cap": {"unit": "hours", "limit": "10", "period": "month"},
                },
            },
            {
                "op": "modify",
                "ref": "1.1",
                "fields": {"cap": {"unit": "hours", "limit": "150", "period": "month"}},
            },
            {"op": "modify", "governance": {"signoff_sides": ["provider"]}},
        ],
    ],
    ids=["remove", "add-modify-governance"],
)
def test_a_draft_opened_for_editing_shows_exactly_its_changes_and_saves_unchanged(client, changes):
    agreement = make_agreement()
    annex = make_annex(agreement, D(2026, 3, 1), changes, effective=False)
    stored = list(annex.changes)
    signed_in(client, manager_of(agreement))
    page = client.get(f"/annexes/{annex.id}/edit").get_data(as_text=True)
    fields = _form_fields(page)
    clause_changes = [c for c in changes if "governance" not in c]
    rows = {name.split("-")[1] for name in fields if name.startswith("changes-")}
    assert len(rows) == len(clause_changes), "one row per change, no extra rows"
    fields["action"] = "save"
    response = client.post(f"/annexes/{annex.id}/edit", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    saved = db.session.get(Annex, annex.id)
    assert saved.changes == stored
    assert saved.lock_version == annex.lock_version, "saving it unchanged changes nothing"


def test_the_members_page_refuses_a_provider_manager_inviting_for_the_customer(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/members").get_data(as_text=True)
    assert '<option value="customer"' not in page, "only the sides one governs are offered"
    response = client.post(
        f"/agreements/{agreement.code}/members",
        data={"email": make_user().email, "side": "customer", "role": "approver"},
    )
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_the_sign_off_page_names_the_sides_it_needs_and_limits_passwords(client, limiter_reset):
    from contracts_app.documents.services import issue_document

    agreement = make_agreement()
    manager = manager_of(agreement)
    document = issue_document(agreement, _member(agreement, manager), D(2026, 3, 1), manager)
    signed_in(client, approver_of(agreement, "provider"))
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert page.count(">awaiting<") == 2, "one row per required side"
    answers = [
        client.post(f"/documents/{document.id}/sign-off", data={"password": "wrong"})
        for _ in range(6)
    ]
    assert [a.status_code for a in answers] == [422] * 5 + [429]
    assert "try again in" in answers[-1].get_data(as_text=True)
    assert db.session.get(type(document), document.id).sign_offs == []


def test_the_status_buttons_work_as_a_browser_submits_them(client):
    from tests.forms import submit

    agreement = make_agreement()
    clara = manager_of(agreement, other_side=True)
    signed_in(client, clara)
    page = client.get(f"/agreements/{agreement.code}").get_data(as_text=True)
    response = submit(
        client,
        page,
        "/events",
        fill={"effective_date": "2026-12-15", "reason": "Unpaid invoices"},
        event="suspend",
    )
    assert response.status_code == 302
    from contracts_app.agreements.status import open_change

    change = open_change(_reload(agreement))
    assert change is not None and change.event == "suspend" and change.reason == "Unpaid invoices"
    paula = signed_in(client.application.test_client(), manager_of(agreement))
    page = paula.get(f"/agreements/{agreement.code}").get_data(as_text=True)
    submit(paula, page, "/events", fill={"reason": "We pay on Friday"}, event="decline")
    assert open_change(_reload(agreement)) is None


def test_the_creators_invitations_to_the_other_side_lapse_once_it_has_a_manager(client):
    clara = make_user()
    agreement = make_agreement(status="draft", manager=clara)  # clara: the creator's side
    own = _member(agreement, clara)
    invite = invite_member(agreement, own, "real@example.com", "customer", "manager", clara)
    puppet_invite = invite_member(
        agreement, own, "puppet@example.com", "customer", "manager", clara
    )
    accept_invitation(invite.id, make_user(email="real@example.com"))
    puppet = make_user(email="puppet@example.com")
    response = client.post(
        f"/api/v1/invitations/{puppet_invite.id}/accept", headers=token_for(puppet)
    )
    assert response.status_code == 409
    assert membership_of(puppet, agreement.id) is None


def test_the_sla_notes_of_a_running_agreement_change_only_by_annex(client):
    agreement = make_agreement()
    response = client.patch(
        f"/api/v1/agreements/{agreement.code}",
        json={"sla_notes": "none"},
        headers=token_for(manager_of(agreement, other_side=True)),
    )
    assert response.status_code == 422 and "sla_notes" in response.json["errors"]


def test_a_governance_only_annex_is_drafted_in_the_form_and_shown_before_signing(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/annexes/new").get_data(as_text=True)
    from tests.forms import submit

    response = submit(
        client,
        page,
        "",
        fill={"title": "Customer signs off alone", "signoff_sides": "customer", "action": "save"},
        url=f"/agreements/{agreement.code}/annexes/new",
        version="",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    annex = db.session.scalar(sa.select(Annex).where(Annex.title == "Customer signs off alone"))
    assert annex.changes == [{"op": "modify", "governance": {"signoff_sides": ["customer"]}}]
    shown = client.get(f"/annexes/{annex.id}").get_data(as_text=True)
    assert "Sides that sign off summaries" in shown and "No change to the scope" in shown


def test_saving_an_annex_unchanged_in_the_form_keeps_a_ladder_change_it_does_not_show(client):
    agreement = make_agreement()
    customer_manager = manager_of(agreement, other_side=True)
    ladder = [
        {"level": 1, "name": "Managers", "response_hours": "8", "members": {}},
        {
            "level": 2,
            "name": "Heads",
            "response_hours": "24",
            "members": {"customer": [customer_manager.email]},
        },
    ]
    annex = make_annex(
        agreement,
        D(2026, 6, 1),
        [{"op": "modify", "governance": {"escalation_ladder": ladder}}],
        effective=False,
    )
    stored = list(annex.changes)
    signed_in(client, manager_of(agreement))
    page = client.get(f"/annexes/{annex.id}/edit").get_data(as_text=True)
    assert "also changes the escalation ladder" in page
    from tests.forms import submit

    submit(client, page, "", fill={"action": "save"}, url=f"/annexes/{annex.id}/edit", version="1")
    db.session.expire_all()
    assert db.session.get(Annex, annex.id).changes == stored


def test_a_ladder_naming_a_viewer_or_the_other_side_is_refused_when_drafted():
    from contracts_app.errors import ValidationFailed

    agreement = make_agreement()
    viewer = member_user(agreement, "customer", "viewer")
    with pytest.raises(ValidationFailed) as caught:
        make_annex(
            agreement,
            D(2026, 6, 1),
            [
                {
                    "op": "modify",
                    "governance": {
                        "escalation_ladder": [
                            {
                                "level": 1,
                                "name": "Heads",
                                "response_hours": "8",
                                "members": {
                                    "customer": [viewer.email],
                                    "provider": [manager_of(agreement, other_side=True).email],
                                },
                            }
                        ]
                    },
                }
            ],
            effective=False,
        )
    assert set(caught.value.errors) == {
        "changes.0.governance.escalation_ladder.0.members.customer",
        "changes.0.governance.escalation_ladder.0.members.provider",
    }


def _tacit(notice_days: int = 30):
    agreement = make_agreement(status="draft", end=D(2026, 12, 31))
    manager = manager_of(agreement)
    from contracts_app.agreements.services import update_agreement

    update_agreement(
        agreement,
        _member(agreement, manager),
        {"renewal": "tacit", "renewal_months": 12, "notice_days": notice_days},
        manager,
    )
    staff(agreement)
    from tests.factories import set_status

    set_status(agreement, "active")
    return _reload(agreement)


def test_a_tacitly_renewing_agreement_covers_its_current_term_and_either_side_may_give_notice():
    from contracts_app.agreements import status

    agreement = _tacit()
    assert agreement.term_end(D(2027, 3, 1)) == D(2027, 12, 31)
    customer = manager_of(agreement, other_side=True)
    offered = status.events_for(agreement, customer, _member(agreement, customer), D(2026, 11, 25))
    assert "give_notice" in offered
    status.fire_event(
        agreement,
        _member(agreement, customer),
        "give_notice",
        customer,
        reason="We tender the service",
        today=D(2026, 12, 1),  # the deadline: 31 December minus 30 days
    )
    stored = _reload(agreement)
    assert (stored.end_date, stored.renewal, stored.status.value) == (
        D(2026, 12, 31),
        "none",
        "active",
    )
    assert "give_notice" not in status.events_for(stored, customer, _member(stored, customer))
    assert status.apply_due(D(2027, 1, 1)) and _reload(agreement).status.value == "expired"


def test_notice_after_the_deadline_ends_the_agreement_with_the_next_term():
    from contracts_app.agreements import status

    agreement = _tacit()
    provider = manager_of(agreement)
    status.fire_event(
        agreement,
        _member(agreement, provider),
        "give_notice",
        provider,
        reason="Late",
        today=D(2026, 12, 2),
    )
    assert _reload(agreement).end_date == D(2027, 12, 31)


def test_a_refused_role_change_on_the_page_is_said_beside_that_members_role(client):
    agreement = make_agreement()
    customer_manager = manager_of(agreement, other_side=True)
    member = _member(agreement, customer_manager)
    signed_in(client, customer_manager)
    response = client.post(
        f"/agreements/{agreement.code}/members/{member.id}/role", data={"role": "viewer"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    row = page[page.index(f'id="role-{member.id}"') :]
    row = row[: row.index("</form>")]
    assert "no manager" in row and 'aria-invalid="true"' in row, "the reason sits beside it"
    assert '<option value="viewer" selected' in row, "the role asked for stays chosen"


def test_an_answer_names_the_request_it_answers_and_never_applies_to_a_replacement(client):
    agreement = make_agreement()
    url = f"/api/v1/agreements/{agreement.code}/events"
    provider = token_for(manager_of(agreement))
    customer_manager = manager_of(agreement, other_side=True)
    customer = token_for(customer_manager)
    asked = client.post(
        url,
        json={"event": "suspend", "reason": "maintenance", "effective_date": "2026-12-01"},
        headers=provider,
    ).json
    suspension = asked["open_change"]["id"]
    # the customer reads the suspension; a form is opened on the page
    page = signed_in(client.application.test_client(), customer_manager)
    form = page.get(f"/agreements/{agreement.code}").get_data(as_text=True)
    assert f'name="change_id" value="{suspension}"' in form
    # meanwhile the provider replaces it with a termination
    client.post(url, json={"event": "cancel", "change": suspension}, headers=provider)
    replaced = client.post(
        url,
        json={"event": "terminate", "reason": "ending", "effective_date": "2026-12-01"},
        headers=provider,
    ).json["open_change"]["id"]
    assert replaced != suspension
    # an answer without the request it answers is refused; one to the old request too
    unnamed = client.post(url, json={"event": "confirm"}, headers=customer)
    assert unnamed.status_code == 422 and "change" in unnamed.json["errors"]
    stale = client.post(url, json={"event": "confirm", "change": suspension}, headers=customer)
    assert stale.status_code == 409 and "terminate" in stale.json["detail"]
    old_form = page.post(
        f"/agreements/{agreement.code}/events",
        data={"event": "confirm", "change_id": str(suspension)},
        follow_redirects=True,
    )
    assert "was replaced" in old_form.get_data(as_text=True)
    status = client.get(f"/api/v1/agreements/{agreement.code}/status", headers=customer).json
    assert status["open_change"]["id"] == replaced and status["open_change"]["state"] == "pending"
    assert _reload(agreement).status.value == "active"


def test_an_approval_from_a_page_read_before_the_annex_was_resubmitted_is_refused(client):
    from contracts_app.annexes.services import update_annex

    agreement = make_agreement()
    manager = manager_of(agreement)
    carl, peter = approver_of(agreement, "customer"), approver_of(agreement, "provider")
    annex = make_annex(
        agreement,
        D(2026, 3, 1),
        [{"op": "modify", "ref": "1.1", "fields": {"title": "Widened"}}],
        effective=False,
    )
    fire_event(annex.id, "submit", manager)
    # the customer's approver opens the annex in round 1 and leaves the page open
    page = signed_in(client.application.test_client(), carl)
    assert 'name="review_round" value="1"' in page.get(f"/annexes/{annex.id}").get_data(
        as_text=True
    )
    # the provider asks for changes; the annex now removes a clause, and goes round again
    fire_event(annex.id, "request_changes", peter, comment="Different idea")
    db.session.refresh(annex)
    update_annex(
        annex,
        membership_of(manager, agreement.id),
        {"changes": [{"op": "remove", "ref": "1.2"}]},
        annex.lock_version,
        manager,
    )
    fire_event(annex.id, "submit", manager)
    fire_event(annex.id, "approve", peter)
    # the old page's approval is for round 1's content: refused, page and API alike
    replay = page.post(
        f"/annexes/{annex.id}/events",
        data={"event": "approve", "review_round": "1"},
        follow_redirects=True,
    )
    assert "submitted again since you read it" in replay.get_data(as_text=True)
    unnamed_form = page.post(
        f"/annexes/{annex.id}/events", data={"event": "approve"}, follow_redirects=True
    )
    assert "read the annex as it stands now" in unnamed_form.get_data(as_text=True)
    stale = client.post(
        f"/api/v1/annexes/{annex.id}/events",
        json={"event": "approve", "review_round": 1},
        headers=token_for(carl),
    )
    assert stale.status_code == 409
    unnamed = client.post(
        f"/api/v1/annexes/{annex.id}/events", json={"event": "approve"}, headers=token_for(carl)
    )
    assert unnamed.status_code == 422 and "review_round" in unnamed.json["errors"]
    db.session.refresh(annex)
    assert annex.state == AnnexState.IN_REVIEW and annex.review_round == 2
    assert {a.side.value for a in annex.approvals if a.review_round == 2} == {"provider"}
    # read again, the round is named and the word given
    current = client.post(
        f"/api/v1/annexes/{annex.id}/events",
        json={"event": "approve", "review_round": 2},
        headers=token_for(carl),
    )
    assert current.status_code == 200 and current.json["state"] == "approved"


def test_approvers_see_every_term_of_a_clause_an_annex_adds(client):
    agreement = make_agreement()
    added = {
        "ref": "7.1",
        "title": "Black Friday banner",
        "kind": "included",
        "description": "A countdown banner component for the shop.",
        "categories": ["change.request"],
        "systems": ["shop-web"],
        "keywords": ["countdown", "banner"],
        "cap": {"unit": "hours", "limit": "20", "period": "month"},
        "per_task_limit": "8",
        "rate": "90",
    }
    annex = make_annex(agreement, D(2026, 3, 1), [{"op": "add", "item": added}], effective=False)
    fire_event(annex.id, "submit", manager_of(agreement))
    page = signed_in(client, approver_of(agreement, "customer"))
    shown = page.get(f"/annexes/{annex.id}").get_data(as_text=True)
    for term in (
        "A countdown banner component for the shop.",
        "categories: change.request",
        "systems: shop-web",
        "keywords: countdown, banner",
        "per task limit: 8",
        "rate: ",
        "90.00",
    ):
        assert term in shown, term


def test_the_scope_on_a_later_day_says_which_signed_annex_changes_it_then(client):
    agreement = make_agreement(start=D(2026, 1, 1), end=D(2027, 12, 31))
    annex = make_annex(agreement, D(2027, 6, 1), [{"op": "remove", "ref": "1.2"}], effective=False)
    fire_event(annex.id, "submit", manager_of(agreement))
    for side in ("customer", "provider"):
        fire_event(annex.id, "approve", approver_of(agreement, side))
    for side in ("customer", "provider"):
        fire_event(annex.id, "sign", approver_of(agreement, side), password=PASSWORD)
    db.session.refresh(annex)
    assert annex.state == AnnexState.SCHEDULED
    page = signed_in(client, manager_of(agreement))
    later = page.get(f"/agreements/{agreement.code}?as_of=2027-06-15").get_data(as_text=True)
    assert f"{annex.label} “" in later and "takes effect on 2027-06-01" in later
    earlier = page.get(f"/agreements/{agreement.code}?as_of=2027-05-15").get_data(as_text=True)
    assert "takes effect on 2027-06-01: it changes this scope" not in earlier


def test_an_edit_of_a_drafts_changes_is_told_row_by_row_in_its_history(client):
    from contracts_app.annexes.services import update_annex

    agreement = make_agreement()
    manager = manager_of(agreement)
    cap = {"unit": "hours", "limit": "25", "period": "month"}
    annex = make_annex(
        agreement,
        D(2026, 3, 1),
        [{"op": "modify", "ref": "1.2", "fields": {"cap": cap}}, {"op": "remove", "ref": "1.1"}],
        effective=False,
    )
    update_annex(
        annex,
        membership_of(manager, agreement.id),
        {
            "changes": [
                {"op": "modify", "ref": "1.2", "fields": {"cap": {**cap, "limit": "30"}}},
                {"op": "remove", "ref": "1.1"},
            ]
        },
        annex.lock_version,
        manager,
    )
    edited = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "annex.updated", AuditEvent.object_id == annex.id
        )
    )
    assert edited.changes["changes"] == {
        "before": "modify 1.2: cap 25 h / month",
        "after": "modify 1.2: cap 30 h / month",
    }
    page = signed_in(client, manager).get(f"/annexes/{annex.id}").get_data(as_text=True)
    assert "modify 1.2: cap 25 h / month" in page and "number of changes" not in page


def test_an_administrator_staffs_only_a_side_that_has_no_manager(client):
    agreement = make_agreement(status="draft")  # the provider side only, so far
    admin = make_user(admin=True)
    headers = token_for(admin)
    url = f"/api/v1/agreements/{agreement.code}/members"
    # a side left without a manager: the administrator seats one
    seated = client.post(
        url,
        json={"email": "clara@example.com", "side": "customer", "role": "manager"},
        headers=headers,
    )
    assert seated.status_code == 201, seated.json
    # a side with its own manager: only that manager seats its people
    refused = client.post(
        url,
        json={"email": "mallory@example.com", "side": "provider", "role": "approver"},
        headers=headers,
    )
    assert refused.status_code == 403
    member = db.session.scalar(
        sa.select(Membership).where(
            Membership.agreement_id == agreement.id, Membership.role == "manager"
        )
    )
    promoted = client.patch(f"{url}/{member.id}", json={"role": "viewer"}, headers=headers)
    assert promoted.status_code == 403


def test_approvers_see_the_credits_of_a_service_level_and_the_rules_an_annex_changes(client):
    agreement = make_agreement()
    level = {
        "ref": "SL-9",
        "title": "Shop availability",
        "metric": "availability",
        "applies_to": {"categories": [], "priorities": [], "systems": ["shop-web"]},
        "objective_percent": "99.0",
        "credits": [{"below_percent": "99.0", "credit_percent": "0.01"}],
    }
    added = make_annex(
        agreement, D(2026, 3, 1), [{"op": "add", "service_level": level}], effective=False
    )
    rules = make_annex(
        agreement,
        D(2026, 3, 1),
        [{"op": "modify", "governance": {"notice_days": 30, "renewal": "none"}}],
        effective=False,
    )
    page = signed_in(client, approver_of(agreement, "customer"))
    shown = page.get(f"/annexes/{added.id}").get_data(as_text=True)
    assert "applies to systems: shop-web" in shown
    assert "credit below 99.0 %: 0.01 % of the monthly fee" in shown
    governance = page.get(f"/annexes/{rules.id}")
    assert governance.status_code == 200
    text = governance.get_data(as_text=True)
    assert "<del>0</del> → <ins>30</ins>" in text  # a number, not a list of letters
