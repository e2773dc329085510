"""Ticket times on tasks, changed later; outages recorded and listed."""

from __future__ import annotations

from tests.factories import (
    make_sla_agreement,
    manager_of,
    member_user,
    service_level,
    token_for,
)


def _task(client, agreement, headers, **fields):
    body = {"ref": "INC-1", "title": "Down", "date": "2026-05-18", "category": "support.incident"}
    return client.post(
        f"/api/v1/agreements/{agreement.code}/tasks", json={**body, **fields}, headers=headers
    )


def test_tasks_without_times_keep_working(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    response = _task(client, agreement, token_for(manager_of(agreement)))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["priority"], body["opened_at"], body["pauses"]) == (None, None, [])


def test_ticket_times_need_a_time_zone_and_an_order(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    headers = token_for(manager_of(agreement))
    naive = _task(client, agreement, headers, opened_at="2026-05-18T09:00:00")
    assert naive.status_code == 422 and "opened_at" in naive.get_json()["errors"]
    backwards = _task(
        client,
        agreement,
        headers,
        opened_at="2026-05-18T09:00:00Z",
        resolved_at="2026-05-18T08:00:00Z",
        pauses=[{"from": "2026-05-18T10:00:00Z", "to": "2026-05-18T09:30:00Z"}],
    )
    errors = backwards.get_json()["errors"]
    assert {"resolved_at", "pauses.0.to"} <= set(errors)


def test_a_ticket_is_resolved_after_its_first_response_and_paused_while_open(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    headers = token_for(manager_of(agreement))
    times = {"opened_at": "2026-05-18T09:00:00Z", "responded_at": "2026-05-18T10:10:00Z"}
    early = _task(client, agreement, headers, **times, resolved_at="2026-05-18T10:05:00Z")
    assert early.status_code == 422
    assert early.get_json()["errors"]["resolved_at"] == ["Must not be before the first response."]
    paused = _task(
        client,
        agreement,
        headers,
        **times,
        resolved_at="2026-05-18T15:00:00Z",
        pauses=[
            {"from": "2026-05-18T08:00:00Z", "to": "2026-05-18T09:30:00Z"},  # before opening
            {"from": "2026-05-18T11:00:00Z", "to": "2026-05-18T11:00:00Z"},  # lasts nothing
            {"from": "2026-05-18T14:00:00Z", "to": "2026-05-18T16:00:00Z"},  # past resolution
        ],
    ).get_json()["errors"]
    assert paused == {
        "pauses.0.from": ["A pause starts once the ticket is opened."],
        "pauses.1.to": ["A pause must end after it starts."],
        "pauses.2.to": ["A pause ends by the ticket's resolution."],
    }
    fine = _task(
        client,
        agreement,
        headers,
        **times,
        resolved_at="2026-05-18T15:00:00Z",
        pauses=[{"from": "2026-05-18T11:00:00Z", "to": "2026-05-18T12:00:00Z"}],
    )
    assert fine.status_code == 201, fine.get_json()


def test_changing_a_ticket_times_measures_it_again(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    headers = token_for(manager_of(agreement))
    task = _task(
        client, agreement, headers, priority="P1", opened_at="2026-05-18T09:00:00Z"
    ).get_json()
    clocks = client.get(f"/api/v1/tasks/{task['id']}/service-levels", headers=headers).get_json()
    assert [c["status"] for c in clocks["service_levels"]] == ["overdue"]
    response = client.patch(
        f"/api/v1/tasks/{task['id']}/times",
        json={"resolved_at": "2026-05-18T15:00:00+02:00"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    clock = response.get_json()["service_levels"][0]
    assert (clock["status"], clock["elapsed_hours"], clock["period"]) == ("met", "4", "2026-05")


def test_viewers_may_not_change_ticket_times(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    task = _task(client, agreement, token_for(manager_of(agreement))).get_json()
    viewer = member_user(agreement, "customer", "viewer")
    response = client.patch(
        f"/api/v1/tasks/{task['id']}/times", json={"priority": "P2"}, headers=token_for(viewer)
    )
    assert response.status_code == 403


def test_outages_are_recorded_and_listed(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/outages"
    created = client.post(
        url,
        json={
            "system": "CRM",
            "started_at": "2026-05-05T10:00:00Z",
            "ended_at": "2026-05-05T13:00:00+02:00",
            "planned": True,
            "note": "Patch window",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    wrong = client.post(
        url,
        json={
            "system": "CRM",
            "started_at": "2026-05-05T10:00:00Z",
            "ended_at": "2026-05-05T10:00:00Z",
        },
        headers=headers,
    )
    assert wrong.status_code == 422 and "ended_at" in wrong.get_json()["errors"]
    listed = client.get(url, headers=headers).get_json()
    assert [(o["system"], o["planned"]) for o in listed] == [("CRM", True)]


def test_the_csv_import_carries_ticket_times_and_measures_them(client):
    from contracts_app.agreements.access import membership_of
    from contracts_app.tasks.importing import import_tasks

    agreement = make_sla_agreement([service_level()], calendar=None)
    manager = manager_of(agreement)
    text = (
        "ref,title,date,category,priority,opened_at,resolved_at,pauses\n"
        "I-1,Down,2026-05-18,support.incident,P1,2026-05-18T09:00:00Z,2026-05-18T15:00:00Z,"
        "2026-05-18T10:00:00Z/2026-05-18T12:00:00Z\n"
        "I-2,Down,2026-05-18,support.incident,P1,2026-05-18T09:00:00Z,2026-05-18T15:00:00Z,\n"
        "I-3,Old,2026-05-18,support.incident,,,,\n"
    )
    report = import_tasks(agreement, membership_of(manager, agreement.id), text, manager)
    assert report.created == 3
    body = client.get(
        f"/api/v1/agreements/{agreement.code}/service-levels/report?period=2026-05",
        headers=token_for(manager),
    ).get_json()
    row = body["service_levels"][0]
    assert (row["measured"], row["met"]) == (2, 1)
    assert row["breaches"] == [{"task": "I-2", "elapsed_hours": "6", "target_hours": "4"}]


def test_the_csv_import_refuses_bad_ticket_times_by_line(client):
    from contracts_app.agreements.access import membership_of
    from contracts_app.errors import ValidationFailed
    from contracts_app.tasks.importing import import_tasks

    agreement = make_sla_agreement([service_level()], calendar=None)
    manager = manager_of(agreement)
    text = "ref,title,date,opened_at,pauses\nI-1,Down,2026-05-18,yesterday,soon\n"
    try:
        import_tasks(agreement, membership_of(manager, agreement.id), text, manager)
    except ValidationFailed as exc:
        assert {"line 2.opened_at", "line 2.pauses"} <= set(exc.errors)
    else:
        raise AssertionError("bad ticket times were imported")


def test_times_outside_the_bounds_are_refused_not_walked(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    headers = token_for(manager_of(agreement))
    far = _task(
        client,
        agreement,
        headers,
        opened_at="2026-05-18T09:00:00Z",
        resolved_at="2099-12-31T23:00:00Z",
    )
    assert far.status_code == 422 and "resolved_at" in far.get_json()["errors"]
    ancient = _task(client, agreement, headers, opened_at="0001-01-02T00:00:00Z")
    assert ancient.status_code == 422 and "opened_at" in ancient.get_json()["errors"]
    outage = client.post(
        f"/api/v1/agreements/{agreement.code}/outages",
        json={
            "system": "CRM",
            "started_at": "9999-12-30T00:00:00Z",
            "ended_at": "9999-12-31T00:00:00Z",
        },
        headers=headers,
    )
    assert outage.status_code == 422
    report = client.get(
        f"/api/v1/agreements/{agreement.code}/service-levels/report?period=0000-01",
        headers=headers,
    )
    assert report.status_code == 422


def test_an_outage_on_a_lookalike_of_a_known_system_is_refused_naming_it(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    headers = token_for(manager_of(agreement))
    _task(client, agreement, headers, system="shop-web")  # the agreement knows shop-web
    url = f"/api/v1/agreements/{agreement.code}/outages"
    outage = {
        "system": "Shop-Web",
        "started_at": "2026-05-18T09:00:00Z",
        "ended_at": "2026-05-18T10:00:00Z",
    }
    refused = client.post(url, json=outage, headers=headers)
    assert refused.status_code == 422
    assert "Did you mean shop-web?" in refused.get_json()["errors"]["system"][0]
    kept = client.post(url, json={**outage, "confirm_new_codes": True}, headers=headers)
    assert kept.status_code == 201
    known = client.post(url, json={**outage, "system": "shop-web"}, headers=headers)
    assert known.status_code == 201
