from __future__ import annotations

import datetime as dt

from contracts_app.db import db
from tests.factories import PASSWORD, clause, make_user, token_for


def test_create_list_and_read_an_annex(client, cast):
    headers = token_for(cast.manager)
    response = client.post(
        f"/api/v1/agreements/{cast.agreement.code}/annexes",
        json={
            "title": "More hours",
            "rationale": "Peak season",
            "effective_date": "2026-04-01",
            "changes": [
                {
                    "op": "modify",
                    "ref": "1.1",
                    "fields": {"cap": {"unit": "hours", "limit": "160", "period": "month"}},
                },
                {"op": "add", "item": clause("3.1")},
                {"op": "remove", "ref": "2.1"},
            ],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["number"], body["state"], body["version"]) == (1, "draft", 1)
    assert body["allowed_events"] == ["submit", "withdraw"]

    listed = client.get(
        f"/api/v1/agreements/{cast.agreement.code}/annexes?state=draft", headers=headers
    ).json
    assert [a["id"] for a in listed] == [body["id"]]
    detail = client.get(f"/api/v1/annexes/{body['id']}", headers=headers).json
    assert [c["ref"] for c in detail["diff"]["added"]] == ["3.1"]
    assert [c["ref"] for c in detail["diff"]["removed"]] == ["2.1"]
    assert detail["diff"]["modified"][0]["changes"]["cap"]["after"]["limit"] == "160.00"
    assert detail["approvals"] == [] and detail["signatures"] == []


def test_bad_annex_input_names_the_field(client, cast):
    response = client.post(
        f"/api/v1/agreements/{cast.agreement.code}/annexes",
        json={
            "title": "Bad",
            "effective_date": "2030-01-01",
            "changes": [
                {
                    "op": "add",
                    "item": clause("3.1", cap={"unit": "hours", "limit": "-1", "period": "month"}),
                }
            ],
        },
        headers=token_for(cast.manager),
    )
    assert response.status_code == 422
    assert {"effective_date", "changes.0.item.cap.limit"} <= set(response.json["errors"])


def test_events_through_the_api_with_409_403_and_password(client, cast):
    annex = cast.draft(effective_date=dt.date(2026, 3, 1))
    url = f"/api/v1/annexes/{annex.id}/events"
    wrong_state = client.post(
        url, json={"event": "approve", "review_round": 1}, headers=token_for(cast.customer_approver)
    )
    assert wrong_state.status_code == 409
    assert wrong_state.json["allowed_events"] == []
    wrong_role = client.post(
        url, json={"event": "submit"}, headers=token_for(cast.customer_approver)
    )
    assert wrong_role.status_code == 403

    assert (
        client.post(url, json={"event": "submit"}, headers=token_for(cast.manager)).json["state"]
        == "in_review"
    )
    for approver in (cast.customer_approver, cast.provider_approver):
        client.post(url, json={"event": "approve", "review_round": 1}, headers=token_for(approver))
    no_password = client.post(
        url, json={"event": "sign", "review_round": 1}, headers=token_for(cast.customer_approver)
    )
    assert no_password.status_code == 422 and "password" in no_password.json["errors"]
    client.post(
        url,
        json={"event": "sign", "review_round": 1, "password": PASSWORD},
        headers=token_for(cast.customer_approver),
    )
    done = client.post(
        url,
        json={"event": "sign", "review_round": 1, "password": PASSWORD},
        headers=token_for(cast.provider_approver),
    )
    assert done.status_code == 200
    assert done.json == {
        "state": "effective",
        "allowed_events": [],
        "version": done.json["version"],
    }
    detail = client.get(f"/api/v1/annexes/{annex.id}", headers=token_for(cast.manager)).json
    assert [s["side"] for s in detail["signatures"]] == ["customer", "provider"]
    assert {a["name"] for a in detail["approvals"]} == {
        cast.customer_approver.name,
        cast.provider_approver.name,
    }


def test_unknown_event_is_422(client, cast):
    annex = cast.draft()
    response = client.post(
        f"/api/v1/annexes/{annex.id}/events",
        json={"event": "publish"},
        headers=token_for(cast.manager),
    )
    assert response.status_code == 422 and "event" in response.json["errors"]


def test_patch_with_a_stale_version_is_409_and_changes_nothing(client, cast):
    annex = cast.draft()
    headers = token_for(cast.manager)
    url = f"/api/v1/annexes/{annex.id}"
    first = client.patch(url, json={"version": 1, "title": "Edited once"}, headers=headers)
    assert first.status_code == 200 and first.json["version"] == 2
    stale = client.patch(url, json={"version": 1, "title": "From an old form"}, headers=headers)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json["detail"]
    db.session.expire_all()
    assert client.get(url, headers=headers).json["title"] == "Edited once"


def test_patch_is_refused_once_submitted(client, cast):
    annex = cast.draft()
    headers = token_for(cast.manager)
    client.post(f"/api/v1/annexes/{annex.id}/events", json={"event": "submit"}, headers=headers)
    version = client.get(f"/api/v1/annexes/{annex.id}", headers=headers).json["version"]
    response = client.patch(
        f"/api/v1/annexes/{annex.id}", json={"version": version, "title": "Late"}, headers=headers
    )
    assert response.status_code == 409


def test_outsider_gets_404_for_an_annex_by_id(client, cast):
    annex = cast.draft()
    outsider = make_user()
    for method, url, body in (
        ("get", f"/api/v1/annexes/{annex.id}", None),
        ("patch", f"/api/v1/annexes/{annex.id}", {"version": 1, "title": "x"}),
        ("post", f"/api/v1/annexes/{annex.id}/events", {"event": "submit"}),
    ):
        response = getattr(client, method)(url, json=body, headers=token_for(outsider))
        assert response.status_code == 404, (method, url)


def test_a_ladder_level_named_by_a_list_is_a_422_naming_it(client, cast):
    # Found by the fuzzer: a level's name given as a list answered 500.
    ladder = [{"level": 1, "name": [None, None], "response_hours": "10000", "members": {}}]
    response = client.post(
        f"/api/v1/agreements/{cast.agreement.code}/annexes",
        json={
            "title": "Ladder",
            "effective_date": "2026-06-01",
            "changes": [{"op": "modify", "governance": {"escalation_ladder": ladder}}],
        },
        headers=token_for(cast.manager),
    )
    assert response.status_code == 422, response.json
    assert "changes.0.governance.escalation_ladder.0.name" in response.json["errors"]


def test_a_lookalike_code_in_an_annex_change_is_refused_naming_the_known_one_unless_confirmed(
    client, cast
):
    headers = token_for(cast.manager)
    url = f"/api/v1/agreements/{cast.agreement.code}/annexes"
    body = {
        "title": "Incidents abroad",
        "effective_date": "2026-04-01",
        "changes": [{"op": "add", "item": clause("3.1", ["suport.incident"])}],
    }
    refused = client.post(url, json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json["errors"]["changes.0.item.categories"] == [
        "Did you mean support.incident? Tick “use the new code” to keep suport.incident."
    ]
    created = client.post(url, json={**body, "confirm_new_codes": True}, headers=headers)
    assert created.status_code == 201, created.json

    annex_url = f"/api/v1/annexes/{created.json['id']}"
    version = created.json["version"]
    change = {"op": "modify", "ref": "2.1", "fields": {"systems": ["shop-webb"]}}
    patch = {"version": version, "changes": [change]}
    refused = client.patch(annex_url, json=patch, headers=headers)
    assert refused.status_code == 422
    assert "Did you mean shop-web?" in refused.json["errors"]["changes.0.fields.systems"][0]
    saved = client.patch(annex_url, json={**patch, "confirm_new_codes": True}, headers=headers)
    assert saved.status_code == 200, saved.json
    retitled = client.patch(
        annex_url, json={"version": saved.json["version"], "title": "Renamed"}, headers=headers
    )
    assert retitled.status_code == 200, retitled.json
    resent = {"version": retitled.json["version"], "title": "Again", "changes": [change]}
    again = client.patch(annex_url, json=resent, headers=headers)
    assert again.status_code == 200, again.json  # a code confirmed once is not asked again


def test_a_change_whose_op_is_not_text_is_a_422_naming_it(client, cast):
    # Found by the fuzzer: {"op": {}} answered 500.
    response = client.post(
        f"/api/v1/agreements/{cast.agreement.code}/annexes",
        json={"title": "Odd", "effective_date": "2026-06-01", "changes": [{"op": {}, "ref": "1"}]},
        headers=token_for(cast.manager),
    )
    assert response.status_code == 422
    assert "changes.0.op" in response.json["errors"]


def test_a_modified_cap_given_without_its_fields_is_a_422_naming_it(client, cast):
    # Found by the fuzzer: {"cap": {}} in a modify answered 500.
    response = client.post(
        f"/api/v1/agreements/{cast.agreement.code}/annexes",
        json={
            "title": "Cap",
            "effective_date": "2026-06-01",
            "changes": [{"op": "modify", "ref": "1.1", "fields": {"cap": {}}}],
        },
        headers=token_for(cast.manager),
    )
    assert response.status_code == 422
    assert "changes.0.fields.cap" in response.json["errors"]
