"""Import profiles and profiled imports through the API and the pages."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

from contracts_app.db import db
from contracts_app.tasks.models import Task
from contracts_app.tasks.sample_profiles import SAMPLE_PROFILES
from tests.factories import manager_of, member_user, signed_in, token_for

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def test_put_fills_the_preset_and_get_list_delete_answer_the_same_shape(client, agreement):
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/import-profiles/jira"
    put = client.put(url, json=SAMPLE_PROFILES["jira"], headers=headers)
    assert put.status_code == 200, put.json
    body = put.json
    assert body["columns"]["ref"] == "Issue key" and body["columns"]["hours"] == "Time Spent"
    assert body["date_format"] == "%d/%b/%y %I:%M %p" and body["timezone"] == "Europe/Warsaw"
    assert body["category"] == {
        "column": "Issue Type",
        "values": SAMPLE_PROFILES["jira"]["category"]["values"],
    }
    assert body["hours_rounding"] == {"mode": "up", "step": "0.25"}
    viewer = token_for(member_user(agreement, "customer", "viewer"))
    assert client.get(url, headers=viewer).json == body
    listed = client.get(f"/api/v1/agreements/{agreement.code}/import-profiles", headers=viewer)
    assert [p["name"] for p in listed.json] == ["jira"]
    assert client.put(url, json={"source": "jira"}, headers=viewer).status_code == 403
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=viewer).status_code == 404


def test_profiles_sort_by_name_both_ways_and_the_page_marks_the_column(client, agreement):
    me = manager_of(agreement)
    base = f"/api/v1/agreements/{agreement.code}/import-profiles"
    for name in ("beta", "alpha", "gamma"):
        put = client.put(f"{base}/{name}", json={"source": "jira"}, headers=token_for(me))
        assert put.status_code == 200, put.json
    by_name = [p["name"] for p in client.get(base, headers=token_for(me)).json]
    desc = [p["name"] for p in client.get(f"{base}?sort=-name", headers=token_for(me)).json]
    assert by_name == ["alpha", "beta", "gamma"] and desc == by_name[::-1]
    assert client.get(f"{base}?sort=settings", headers=token_for(me)).status_code == 422
    signed_in(client, me)
    page = client.get(f"/agreements/{agreement.code}/import-profiles?sort=-name").text
    assert re.search(r'<th[^>]*aria-sort="descending"[^>]*><a[^>]*>Name', page)
    assert page.index(">gamma<") < page.index(">beta<") < page.index(">alpha<")


def test_a_refused_profile_names_each_field(client, agreement):
    headers = token_for(manager_of(agreement))
    response = client.put(
        f"/api/v1/agreements/{agreement.code}/import-profiles/mine",
        json={
            "source": "csv",
            "timezone": "Mars/Olympus",
            "hours_rounding": {"mode": "sideways", "step": "0.001"},
            "category": {"column": "Type", "values": {"Bug": "Not A Code!"}},
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert {
        "timezone",
        "hours_rounding.mode",
        "hours_rounding.step",
        "category.values",
        "columns.ref",
        "columns.title",
        "columns.date",
    } <= set(response.json["errors"])


def test_dry_run_then_import_through_the_api(client, agreement):
    headers = token_for(manager_of(agreement))
    client.put(
        f"/api/v1/agreements/{agreement.code}/import-profiles/jira",
        json=SAMPLE_PROFILES["jira"],
        headers=headers,
    )
    raw = (SAMPLES / "jira.csv").read_bytes()
    url = f"/api/v1/agreements/{agreement.code}/tasks/import?profile=jira"
    preview = client.post(url + "&dry_run=1", data=raw, content_type="text/csv", headers=headers)
    assert preview.status_code == 200, preview.json
    assert preview.json["dry_run"] and preview.json["created"] == 6
    assert preview.json["unmapped"][0]["value"] == "Epic"
    assert db.session.query(Task).count() == 0
    done = client.post(url, data={"file": (io.BytesIO(raw), "jira.csv")}, headers=headers)
    assert done.status_code == 200, done.json
    assert done.json["created"] == 6 and done.json["verdicts"]["over_cap"] == 1
    assert db.session.query(Task).count() == 6
    missing = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import?profile=nope",
        data=raw,
        headers=headers,
    )
    assert missing.status_code == 404


def test_without_a_profile_the_plain_import_is_unchanged(client, agreement):
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/tasks/import"
    first = client.post(url, data=b"ref,title,date\nA-1,One,2026-03-01\n", headers=headers)
    assert first.json["created"] == 1
    again = client.post(url, data=b"ref,title,date\nA-1,One,2026-03-01\n", headers=headers)
    assert (again.json["created"], again.json["skipped_existing"]) == (0, 1)


def test_the_page_previews_adds_a_missing_mapping_and_imports(client, agreement):
    signed_in(client, manager_of(agreement))
    made = client.post(
        f"/agreements/{agreement.code}/import-profiles",
        data={
            "name": "glpi",
            "source": "glpi",
            "timezone": "Europe/Paris",
            "settings": '{"category": {"values": {"Shop > Checkout": "support.incident",'
            ' "Shop > Maintenance": "maintenance.corrective"}}}',
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Import profile glpi made" in made
    url = f"/agreements/{agreement.code}/import-profiles/glpi/import"
    raw = (SAMPLES / "glpi.csv").read_bytes()
    page = client.post(
        url,
        data={"file": (io.BytesIO(raw), "glpi.csv"), "step": "preview"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Preview" in page and "Intranet &gt; Pages" in page
    assert 'list="vocabulary-categories"' in page  # the agreement's categories offered
    assert '<datalist id="vocabulary-categories">' in page
    assert db.session.query(Task).count() == 0
    payload = re.search(r'name="payload" type="hidden" value="([^"]+)"', page)
    assert payload, page
    mapped = client.post(
        url,
        data={
            "payload": payload.group(1),
            "step": "map",
            "field-1": "category",
            "value-1": "Intranet > Pages",
            "map-1": "support.request",
        },
    ).get_data(as_text=True)
    assert "Values no mapping covers" not in mapped
    assert db.session.query(Task).count() == 0
    done = client.post(url, data={"payload": payload.group(1), "step": "import"}).get_data(
        as_text=True
    )
    assert "Imported: 4 added, 0 updated" in done
    task = db.session.query(Task).filter_by(ref="1544").one()
    assert task.category == "support.request" and task.state.value == "in_scope"


def test_the_task_page_shows_the_change_an_export_brought_to_a_decided_task(client, agreement):
    from contracts_app.agreements.access import membership_of
    from contracts_app.tasks.profile_import import import_with_profile
    from contracts_app.tasks.profiles import put_profile
    from contracts_app.tasks.services import fire_task_event

    manager = manager_of(agreement)
    membership = membership_of(manager, agreement.id)
    put_profile(agreement, membership, "jira", SAMPLE_PROFILES["jira"], manager)
    raw = (SAMPLES / "jira.csv").read_bytes()
    import_with_profile(agreement, membership, "jira", raw, manager)
    task = db.session.query(Task).filter_by(ref="SHOP-103").one()
    fire_task_event(task.id, "reject", manager, "A new feature")
    changed = raw.replace(b"Loyalty programme,", b"Loyalty programme phase 2,")
    import_with_profile(agreement, membership, "jira", changed, manager)
    listed = client.get(f"/api/v1/tasks/{task.id}/incoming-changes", headers=token_for(manager))
    assert listed.status_code == 200
    assert listed.json[0]["changes"]["title"]["after"] == "Loyalty programme phase 2"
    signed_in(client, manager)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Changes from the ticketing tool" in page
    assert "Loyalty programme phase 2" in page and "rejected" in page


def test_the_profiles_page_fills_the_form_to_edit_a_profile_and_saves_it(client, agreement):
    from contracts_app.tasks.profiles import profile_of

    headers = token_for(manager_of(agreement))
    client.put(
        f"/api/v1/agreements/{agreement.code}/import-profiles/jira",
        json=SAMPLE_PROFILES["jira"],
        headers=headers,
    )
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/import-profiles?edit=jira")
    text = page.get_data(as_text=True)
    assert "Europe/Warsaw" in text and "support.incident" in text
    settings = re.search(r'<textarea[^>]*name="settings"[^>]*>(.*?)</textarea>', text, re.S)
    body = json.loads(html.unescape(settings.group(1)))
    body["category"]["values"]["Epic"] = "support"
    saved = client.post(
        f"/agreements/{agreement.code}/import-profiles",
        data={
            "name": "jira",
            "source": "jira",
            "timezone": "Europe/Warsaw",
            "date_format": "%d/%b/%y %I:%M %p",
            "settings": json.dumps(body),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Import profile jira saved" in saved
    profile = profile_of(agreement, "jira")
    assert profile.settings["category"]["values"]["Epic"] == "support"
    assert profile.settings["hours_rounding"] == {"mode": "up", "step": "0.25"}
    assert client.get(f"/agreements/{agreement.code}/import-profiles?edit=nope").status_code == 404


def test_a_profile_is_documented_as_its_validation_reads_it(client):
    import re
    from decimal import Decimal

    from contracts_app.errors import ValidationFailed
    from contracts_app.tasks.profiles import FIELDS, normalise

    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    profile = schemas["ProfileIn"]["properties"]
    assert profile["columns"]["additionalProperties"] is False
    assert set(profile["columns"]["properties"]) == set(FIELDS)
    assert profile["hours_rounding"]["required"] == ["mode", "step"]
    priority = schemas["PriorityMappingIn"]["properties"]["values"]["additionalProperties"]
    assert priority["maxLength"] == 20
    step = re.compile(profile["hours_rounding"]["properties"]["step"]["pattern"])
    candidates = {f"{whole}.{cents:02d}" for whole in range(26) for cents in range(100)}
    candidates |= {str(whole) for whole in range(26)} | {
        f"{w}.{t}" for w in range(26) for t in range(10)
    }
    for text in sorted(candidates, key=Decimal):
        body = {"source": "jira", "hours_rounding": {"mode": "up", "step": text}}
        try:
            normalise(body)
            accepted = True
        except ValidationFailed:
            accepted = False
        assert bool(step.match(text)) == accepted, text
