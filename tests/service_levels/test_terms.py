"""Service levels, calendar and monthly fee in the versioned scope, changed by annexes."""

from __future__ import annotations

import datetime as dt

from tests.factories import (
    WARSAW_CALENDAR,
    make_agreement,
    make_annex,
    make_sla_agreement,
    make_user,
    manager_of,
    service_level,
    token_for,
)


def scope(client, agreement, as_of, **query):
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    response = client.get(
        f"/api/v1/agreements/{agreement.code}/scope?as_of={as_of}{extra}",
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_scope_answers_its_service_levels_calendar_and_fee(client):
    agreement = make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR)
    body = scope(client, agreement, "2026-05-01")
    assert body["service_levels"] == [
        {
            "ref": "SL-1",
            "title": "Service level SL-1",
            "metric": "resolution_time",
            "applies_to": {"categories": ["support.incident"], "priorities": ["P1"], "systems": []},
            "target_hours": "4",
            "clock": "business",
            "objective_percent": "95.0",
            "period": "month",
            "credits": [
                {"below_percent": "95.0", "credit_percent": "5"},
                {"below_percent": "90.0", "credit_percent": "10"},
            ],
        }
    ]
    assert body["calendar"] == WARSAW_CALENDAR
    assert body["monthly_fee"] == "40000.00"
    assert body["items"]  # the clauses stay beside them


def test_an_agreement_is_created_with_service_levels_through_the_api(client):
    user = make_user()
    response = client.post(
        "/api/v1/agreements",
        json={
            "code": "SLA-1",
            "title": "Support",
            "customer": "A",
            "provider": "B",
            "start_date": "2026-01-01",
            "service_levels": [service_level()],
            "monthly_fee": "40000.00",
            "calendar": WARSAW_CALENDAR,
        },
        headers=token_for(user),
    )
    assert response.status_code == 201, response.get_json()
    body = client.get(
        "/api/v1/agreements/SLA-1/scope?as_of=2026-01-01", headers=token_for(user)
    ).get_json()
    assert [sl["ref"] for sl in body["service_levels"]] == ["SL-1"]
    assert body["calendar"]["timezone"] == "Europe/Warsaw"


def test_invalid_terms_are_refused_naming_the_field(client):
    user = make_user()
    response = client.post(
        "/api/v1/agreements",
        json={
            "code": "SLA-2",
            "title": "Support",
            "customer": "A",
            "provider": "B",
            "start_date": "2026-01-01",
            "calendar": {**WARSAW_CALENDAR, "timezone": "Nowhere/City"},
        },
        headers=token_for(user),
    )
    assert response.status_code == 422
    assert "calendar.timezone" in response.get_json()["errors"]
    response = client.post(
        "/api/v1/agreements",
        json={
            "code": "SLA-3",
            "title": "Support",
            "customer": "A",
            "provider": "B",
            "start_date": "2026-01-01",
            "service_levels": [service_level(metric="availability", target_hours="4")],
        },
        headers=token_for(user),
    )
    assert response.status_code == 422
    assert "service_levels.0.target_hours" in response.get_json()["errors"]


def test_annexes_add_modify_and_remove_service_levels_from_their_date(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    make_annex(
        agreement,
        dt.date(2026, 4, 1),
        [
            {"op": "add", "service_level": service_level("SL-2", metric="response_time")},
            {"op": "modify", "service_level_ref": "SL-1", "fields": {"target_hours": "6"}},
        ],
    )
    make_annex(agreement, dt.date(2026, 7, 1), [{"op": "remove", "service_level_ref": "SL-2"}])
    march, may, august = (
        scope(client, agreement, day)["service_levels"]
        for day in ("2026-03-31", "2026-05-01", "2026-08-01")
    )
    assert [(s["ref"], s["target_hours"]) for s in march] == [("SL-1", "4")]
    assert [(s["ref"], s["target_hours"]) for s in may] == [("SL-1", "6"), ("SL-2", "4")]
    assert [(s["ref"], s["target_hours"]) for s in august] == [("SL-1", "6")]


def test_a_retroactive_annex_keeps_the_earlier_record_readable(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    before = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    make_annex(
        agreement,
        dt.date(2026, 2, 1),
        [{"op": "modify", "service_level_ref": "SL-1", "fields": {"objective_percent": "99"}}],
    )
    now = scope(client, agreement, "2026-03-01")["service_levels"][0]
    then = scope(client, agreement, "2026-03-01", recorded_at=before)["service_levels"][0]
    assert (now["objective_percent"], then["objective_percent"]) == ("99", "95.0")


def test_annex_changes_to_service_levels_are_validated_and_shown_in_the_diff(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    headers = token_for(manager_of(agreement))
    bad = client.post(
        f"/api/v1/agreements/{agreement.code}/annexes",
        json={
            "title": "x",
            "effective_date": "2026-04-01",
            "changes": [
                {"op": "modify", "service_level_ref": "SL-1", "fields": {"clock": "lunar"}},
                {"op": "modify", "calendar": {"working_days": ["someday"]}},
            ],
        },
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {
        "changes.0.fields.clock",
        "changes.1.calendar.working_days",
    }
    good = client.post(
        f"/api/v1/agreements/{agreement.code}/annexes",
        json={
            "title": "Faster",
            "effective_date": "2026-04-01",
            "changes": [
                {"op": "modify", "service_level_ref": "SL-1", "fields": {"target_hours": "2"}},
                {"op": "modify", "monthly_fee": "45000.00"},
            ],
        },
        headers=headers,
    )
    assert good.status_code == 201, good.get_json()
    diff = client.get(f"/api/v1/annexes/{good.get_json()['id']}", headers=headers).get_json()[
        "diff"
    ]
    assert diff["service_levels"]["modified"] == [
        {
            "ref": "SL-1",
            "title": "Service level SL-1",
            "changes": {"target_hours": {"before": "4", "after": "2"}},
        }
    ]
    assert diff["terms"] == [{"field": "monthly_fee", "before": "40000.00", "after": "45000.00"}]


def test_an_annex_changing_a_service_level_that_does_not_exist_is_refused(client):
    agreement = make_agreement()
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/annexes",
        json={
            "title": "x",
            "effective_date": "2026-04-01",
            "changes": [{"op": "remove", "service_level_ref": "SL-9"}],
        },
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 201  # a draft may wait for an earlier annex to add it
    detail = client.get(
        f"/api/v1/annexes/{response.get_json()['id']}", headers=token_for(manager_of(agreement))
    ).get_json()
    assert "SL-9" in detail["diff"]["conflict"]


def test_the_version_diff_shows_service_level_changes(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    make_annex(agreement, dt.date(2026, 4, 1), [{"op": "remove", "service_level_ref": "SL-1"}])
    response = client.get(
        f"/api/v1/agreements/{agreement.code}/scope/diff?from=1&to=3",
        headers=token_for(manager_of(agreement)),
    )
    body = response.get_json()
    assert [sl["ref"] for sl in body["service_levels"]["removed"]] == ["SL-1"]


def test_terms_change_only_in_draft_then_by_annex(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    response = client.patch(
        f"/api/v1/agreements/{agreement.code}",
        json={"monthly_fee": "1.00"},
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422
    assert "monthly_fee" in response.get_json()["errors"]


def test_the_annex_page_shows_service_level_changes(client):
    from tests.factories import signed_in

    agreement = make_sla_agreement([service_level()], calendar=None)
    annex = make_annex(
        agreement,
        dt.date(2026, 4, 1),
        [
            {"op": "modify", "service_level_ref": "SL-1", "fields": {"target_hours": "2"}},
            {"op": "add", "service_level": service_level("SL-7", title="Weekend response")},
        ],
        effective=False,
    )
    html = (
        signed_in(client, manager_of(agreement)).get(f"/annexes/{annex.id}").get_data(as_text=True)
    )
    assert "SL-7" in html and "Weekend response" in html
    assert "target hours" in html
