"""Renewal, notice and alert fields: in the create and draft-edit bodies and the forms."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from contracts_app.agreements.models import Agreement
from contracts_app.agreements.terms import Renewal, next_dates
from contracts_app.db import db, utcnow
from tests.factories import make_agreement, make_annex, make_user, manager_of, signed_in, token_for

BODY = {
    "code": "TACIT-1",
    "title": "Hosting",
    "customer": "Customer",
    "provider": "Provider",
    "start_date": "2026-01-01",
    "end_date": "2026-01-31",
}


def test_defaults_and_next_dates_come_with_a_created_agreement(client):
    user = make_user()
    body = client.post("/api/v1/agreements", json=BODY, headers=token_for(user)).get_json()
    assert body["renewal"] == "none" and body["notice_days"] == 0
    assert body["alert_days"] == [90, 30, 7]
    assert body["cap_alert_percents"] == [80, 100]


def test_a_tacit_renewal_is_created_and_its_dates_follow_the_month_end_rule(client):
    user = make_user()
    payload = {
        **BODY,
        "renewal": "tacit",
        "renewal_months": 1,
        "notice_days": 10,
        "alert_days": [7, 30],
        "cap_alert_percents": [100, 75],
    }
    response = client.post("/api/v1/agreements", json=payload, headers=token_for(user))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["alert_days"] == [30, 7] and body["cap_alert_percents"] == [75, 100]
    # a term ending 31 January renews month by month; each next_dates is computed today
    assert {d["kind"] for d in body["next_dates"]} <= {"notice_deadline", "term_end"}
    assert body["next_dates"], body


def test_a_tacit_renewal_without_its_length_or_end_is_refused_by_field(client):
    headers = token_for(make_user())
    response = client.post("/api/v1/agreements", json={**BODY, "renewal": "tacit"}, headers=headers)
    assert response.status_code == 422
    assert "renewal_months" in response.get_json()["errors"]
    response = client.post(
        "/api/v1/agreements",
        json={
            **BODY,
            "code": "TACIT-2",
            "end_date": None,
            "renewal": "tacit",
            "renewal_months": 12,
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert "renewal" in response.get_json()["errors"]


def test_the_fields_change_on_a_draft_then_only_by_annex(client):
    draft = make_agreement(status="draft")
    headers = token_for(manager_of(draft))
    response = client.patch(
        f"/api/v1/agreements/{draft.code}",
        json={"notice_days": 30, "renewal": "tacit", "renewal_months": 12},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["renewal_months"] == 12
    active = make_agreement()
    response = client.patch(
        f"/api/v1/agreements/{active.code}",
        json={"notice_days": 30},
        headers=token_for(manager_of(active)),
    )
    assert response.status_code == 409  # a rule of governance: both sides, by annex
    assert "governance" in response.get_json()["detail"]
    make_annex(
        active,
        dt.date(2026, 3, 1),
        [
            {
                "op": "modify",
                "governance": {
                    "notice_days": 30,
                    "renewal": "tacit",
                    "renewal_months": 12,
                    "alert_days": [7, 60],
                },
            }
        ],
    )
    db.session.refresh(active)
    assert (active.notice_days, active.renewal, active.renewal_months) == (30, "tacit", 12)
    assert active.alert_days == [60, 7]


def test_a_governance_change_with_a_bad_value_is_refused_by_field(client):
    active = make_agreement()
    manager = manager_of(active)
    response = client.post(
        f"/api/v1/agreements/{active.code}/annexes",
        json={
            "title": "Notice",
            "effective_date": "2026-03-01",
            "changes": [{"op": "modify", "governance": {"notice_days": -1}}],
        },
        headers=token_for(manager),
    )
    assert response.status_code == 422
    assert "changes.0.governance.notice_days" in response.get_json()["errors"]


def test_the_form_takes_the_fields_and_shows_the_next_dates(app):
    client = signed_in(app.test_client(), make_user())
    form = {
        "code": "FORM-TACIT",
        "title": "Hosting",
        "customer": "A",
        "provider": "B",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "EUR",
        "value": "0",
        "notice_days": "90",
        "renewal": "tacit",
        "renewal_months": "12",
        "alert_days": "90, 30, x",
        "cap_alert_percents": "80, 100",
        "customer_approves": "y",
        "provider_approves": "y",
        "customer_signs_off": "y",
        "provider_signs_off": "y",
    }
    response = client.post("/agreements/new", data=form)
    assert response.status_code == 200
    assert "whole numbers separated by commas" in response.get_data(as_text=True)
    form["alert_days"] = "365, 90"
    response = client.post("/agreements/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get("/agreements/FORM-TACIT").get_data(as_text=True)
    assert "renews tacitly for 12 months" in page
    assert "(renews tacitly), renews tacitly" not in page  # said once
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "FORM-TACIT"))
    first = next_dates(Renewal.of(agreement), utcnow().date())[0]
    assert f"{first.label}: {first.day}" in page
