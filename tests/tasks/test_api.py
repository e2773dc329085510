from __future__ import annotations

import io

from contracts_app.db import db
from contracts_app.tasks.models import Task
from tests.factories import make_user, manager_of, member_user, token_for


def test_scope_check_is_a_dry_run_with_an_explained_verdict(client, agreement):
    viewer = member_user(agreement, "customer", "viewer")
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/scope-check",
        json={
            "title": "Outage",
            "category": "support.incident",
            "system": "shop-web",
            "date": "2026-03-10",
            "hours": "4",
        },
        headers=token_for(viewer),
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["verdict"] == "in_scope" and body["clause"] == "1.2" and body["scope_version"] == 1
    assert body["cap"]["remaining"] == "6.00" and body["reasons"]
    assert db.session.query(Task).count() == 0


def test_scope_check_bad_input_is_422(client, agreement):
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/scope-check",
        json={"title": "x", "date": "someday", "hours": "-1", "category": "not a code"},
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422
    assert {"date", "hours"} <= set(response.json["errors"])


def test_record_list_get_and_decide(client, agreement):
    headers = token_for(manager_of(agreement))
    created = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks",
        json={
            "ref": "INC-7",
            "title": "Outage",
            "category": "support.incident",
            "system": "shop-web",
            "date": "2026-03-10",
            "hours": "9",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    task = created.json
    assert task["state"] == "over_cap" and task["verdict"]["verdict"] == "over_cap"
    assert "accept" in task["allowed_events"]
    listed = client.get(
        f"/api/v1/agreements/{agreement.code}/tasks?verdict=over_cap&clause=1.2", headers=headers
    ).json
    assert [t["ref"] for t in listed["items"]] == ["INC-7"]
    assert (
        client.get(
            f"/api/v1/agreements/{agreement.code}/tasks?verdict=in_scope", headers=headers
        ).json["total"]
        == 0
    )
    decided = client.post(
        f"/api/v1/tasks/{task['id']}/events", json={"event": "accept"}, headers=headers
    )
    assert decided.json["state"] == "accepted"
    again = client.post(
        f"/api/v1/tasks/{task['id']}/events", json={"event": "accept"}, headers=headers
    )
    assert again.status_code == 409
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=headers).json["state"] == "accepted"


def test_viewers_cannot_record_tasks_and_outsiders_cannot_see_them(client, agreement, record):
    task = record(category="support.request")
    viewer = member_user(agreement, "customer", "viewer")
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks",
        json={"ref": "X", "title": "x", "date": "2026-03-01"},
        headers=token_for(viewer),
    )
    assert response.status_code == 403
    outsider = make_user()
    assert client.get(f"/api/v1/tasks/{task.id}", headers=token_for(outsider)).status_code == 404
    assert (
        client.post(
            f"/api/v1/tasks/{task.id}/events", json={"event": "accept"}, headers=token_for(outsider)
        ).status_code
        == 404
    )


def test_import_csv_body_and_multipart(client, agreement):
    headers = token_for(manager_of(agreement))
    csv_text = "ref,title,category,date,hours\nA-1,One,support.request,2026-03-01,1\n"
    body = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import",
        data=csv_text,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert body.status_code == 200 and body.json["created"] == 1
    multipart = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import",
        data={
            "file": (
                io.BytesIO((csv_text + "A-2,Two,support.request,2026-03-02,1\n").encode()),
                "tickets.csv",
            )
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    assert multipart.json["created"] == 1 and multipart.json["skipped_existing"] == 1
    bad = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import",
        data="ref,title,date\nB-1,Bad,2026-02-30\n",
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422 and "line 2.date" in bad.json["errors"]


def test_rechecks_endpoint_lists_changed_verdicts(client, agreement, record):
    import datetime as dt

    from tests.factories import make_annex

    record(ref="R-1", category="support.request", day=dt.date(2026, 5, 1))
    make_annex(agreement, dt.date(2026, 4, 1), [{"op": "remove", "ref": "1.1"}])
    changes = client.get(
        f"/api/v1/agreements/{agreement.code}/rechecks", headers=token_for(manager_of(agreement))
    ).json
    assert [(c["task_ref"], c["old_verdict"], c["new_verdict"]) for c in changes] == [
        ("R-1", "in_scope", "out_of_scope")
    ]


def test_rechecks_sort_by_task_both_ways_on_the_api_and_the_agreement_page(
    client, agreement, record
):
    import datetime as dt
    import re

    from tests.factories import make_annex, signed_in

    for ref in ("R-2", "R-10", "R-1"):
        record(ref=ref, category="support.request", day=dt.date(2026, 5, 1))
    make_annex(agreement, dt.date(2026, 4, 1), [{"op": "remove", "ref": "1.1"}])
    me = manager_of(agreement)
    url = f"/api/v1/agreements/{agreement.code}/rechecks"
    by_task = [c["task_ref"] for c in client.get(f"{url}?sort=task", headers=token_for(me)).json]
    desc = [c["task_ref"] for c in client.get(f"{url}?sort=-task", headers=token_for(me)).json]
    assert by_task == ["R-1", "R-10", "R-2"] and desc == by_task[::-1]
    assert client.get(f"{url}?sort=annex", headers=token_for(me)).status_code == 422
    signed_in(client, me)
    page = client.get(f"/agreements/{agreement.code}?sort=-task").text
    table = page[page.index('id="rechecks"') :]
    assert re.search(r'<th[^>]*aria-sort="descending"[^>]*>.*?Task', table, re.S)
    assert table.index(">R-2<") < table.index(">R-10<") < table.index(">R-1<")


def test_a_lookalike_system_is_refused_naming_the_known_one_unless_confirmed(client, agreement):
    headers = token_for(manager_of(agreement))
    body = {"ref": "API-LK", "title": "x", "date": "2026-03-02", "system": "shop-webb"}
    url = f"/api/v1/agreements/{agreement.code}/tasks"
    refused = client.post(url, json=body, headers=headers)
    assert refused.status_code == 422
    assert "Did you mean shop-web?" in refused.json["errors"]["system"][0]
    assert (
        client.post(url, json={**body, "confirm_new_codes": True}, headers=headers).status_code
        == 201
    )
