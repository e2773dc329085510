"""The escalations API and pages."""

from __future__ import annotations

from tests.escalations.test_services import laddered_agreement
from tests.factories import approver_of, manager_of, member_user, signed_in, token_for


def test_raise_answer_and_read_an_escalation_through_the_api(client):
    agreement = laddered_agreement()
    provider = token_for(manager_of(agreement))
    created = client.post(
        f"/api/v1/agreements/{agreement.code}/escalations",
        json={"subject": "Cap 1.1 ran out", "clause": "1.1", "description": "Mid-month."},
        headers=provider,
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["state"], body["level"], body["ball_with"]) == ("open", 1, "customer")
    assert body["allowed_events"] == ["answer", "escalate", "propose_resolution"]
    assert body["holds"][0]["side"] == "customer" and body["hours_left"] == "8.00"
    events = f"/api/v1/escalations/{body['id']}/events"
    customer = token_for(approver_of(agreement, "customer"))
    answered = client.post(
        events, json={"event": "answer", "message": "Checking"}, headers=customer
    )
    assert answered.json["ball_with"] == "provider"
    refused = client.post(events, json={"event": "accept_resolution"}, headers=customer)
    assert refused.status_code == 409 and "answer" in refused.json["allowed_events"]
    viewer = token_for(member_user(agreement, "customer", "viewer"))
    assert (
        client.post(events, json={"event": "answer", "message": "x"}, headers=viewer).status_code
        == 403
    )
    read = client.get(f"/api/v1/escalations/{body['id']}", headers=viewer).json
    assert [m["kind"] for m in read["messages"]] == ["event", "message"]


def test_the_list_filters_and_sorts_and_a_bad_clause_is_422(client):
    agreement = laddered_agreement()
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/escalations"
    for subject in ("B first", "A second"):
        client.post(url, json={"subject": subject}, headers=headers)
    bad = client.post(url, json={"subject": "x", "clause": "99.9"}, headers=headers)
    assert bad.status_code == 422 and "clause" in bad.json["errors"]
    listed = client.get(f"{url}?sort=-number&ball_with=customer", headers=headers).json
    assert [e["subject"] for e in listed["items"]] == ["A second", "B first"]
    assert client.get(f"{url}?ball_with=provider", headers=headers).json["total"] == 0
    assert client.get(f"{url}?overdue=true", headers=headers).json["total"] == 0
    stats = client.get(f"{url}/stats?from=2026-01-01&to=2026-12-31", headers=headers)
    assert stats.status_code == 200 and stats.json["open_by_level"][0]["count"] >= 0


def test_the_escalation_page_shows_the_ball_and_offers_what_the_machine_allows(client):
    agreement = laddered_agreement()
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/escalations/new", data={"subject": "Disputed task"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The ball is with" in page and "the customer side" in page
    assert ">Escalate to the next level</button>" in page
    assert ">Accept the resolution</button>" not in page
    listing = client.get(f"/agreements/{agreement.code}/escalations").get_data(as_text=True)
    assert "Disputed task" in listing and "The last 12 months" in listing


def test_every_escalation_button_works_as_a_browser_submits_it(client):
    from contracts_app.db import db
    from contracts_app.escalations.models import Escalation
    from tests.forms import submit

    agreement = laddered_agreement()
    signed_in(client, manager_of(agreement))
    created = client.post(
        f"/agreements/{agreement.code}/escalations/new", data={"subject": "Disputed task"}
    )
    url = created.headers["Location"]
    customer = signed_in(client.application.test_client(), approver_of(agreement, "customer"))
    page = customer.get(url).get_data(as_text=True)
    submit(customer, page, "/events", fill={"message": "Checking"}, event="answer")
    import sqlalchemy as sa

    db.session.expire_all()
    escalation = db.session.scalar(sa.select(Escalation))
    assert escalation.ball_with.value == "provider"
    page = client.get(url).get_data(as_text=True)
    submit(client, page, "/events", fill={"message": "Please decide"}, event="escalate")
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).level == 2
