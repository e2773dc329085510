from __future__ import annotations

import datetime as dt

from tests.factories import clause, make_agreement, make_annex, manager_of, token_for

D = dt.date


def test_scope_as_of_reflects_annexes_and_names_the_version(client):
    agreement = make_agreement()
    make_annex(agreement, D(2026, 4, 1), [{"op": "add", "item": clause("3.1")}], title="Add 3.1")
    headers = token_for(manager_of(agreement))
    before = client.get(
        f"/api/v1/agreements/{agreement.code}/scope?as_of=2026-03-31", headers=headers
    ).json
    after = client.get(
        f"/api/v1/agreements/{agreement.code}/scope?as_of=2026-04-01", headers=headers
    ).json
    assert before["valid_to"] == "2026-04-01"
    assert after["valid_from"] == "2026-04-01" and after["valid_to"] is None
    assert after["annex"]["number"] == 1 and after["annex"]["title"] == "Add 3.1"
    assert "3.1" in [i["ref"] for i in after["items"]]
    assert "3.1" not in [i["ref"] for i in before["items"]]


def test_scope_as_recorded_at_a_time_before_a_retroactive_annex(client):
    agreement = make_agreement()
    first = make_annex(agreement, D(2026, 6, 1), [{"op": "remove", "ref": "1.2"}])
    make_annex(agreement, D(2026, 2, 1), [{"op": "add", "item": clause("3.1")}])
    headers = token_for(manager_of(agreement))
    stamp = first.effective_at.isoformat()
    url = f"/api/v1/agreements/{agreement.code}/scope"
    then = client.get(
        url, query_string={"as_of": "2026-03-01", "recorded_at": stamp}, headers=headers
    ).json
    now = client.get(url, query_string={"as_of": "2026-03-01"}, headers=headers).json
    assert "3.1" not in [i["ref"] for i in then["items"]]
    assert "3.1" in [i["ref"] for i in now["items"]]


def test_scope_outside_the_term_or_with_a_bad_date_is_422(client):
    agreement = make_agreement(end=D(2026, 12, 31))
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/scope"
    outside = client.get(url + "?as_of=2027-01-01", headers=headers)
    assert outside.status_code == 422 and "as_of" in outside.json["errors"]
    assert client.get(url + "?as_of=yesterday", headers=headers).status_code == 422


def test_versions_list_oldest_first_with_superseded_on_request(client):
    agreement = make_agreement()
    make_annex(agreement, D(2026, 6, 1), [{"op": "remove", "ref": "1.2"}])
    make_annex(agreement, D(2026, 3, 1), [{"op": "add", "item": clause("3.1")}])
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/scope/versions"
    current = client.get(url, headers=headers).json
    assert [v["valid_from"] for v in current] == ["2026-01-01", "2026-03-01", "2026-06-01"]
    assert [v["annex"]["number"] if v["annex"] else None for v in current] == [None, 2, 1]
    everything = client.get(url + "?include_superseded=true", headers=headers).json
    assert len(everything) > len(current)
    assert any(v["superseded_at"] for v in everything)


def test_diff_endpoint_and_its_bad_input(client):
    agreement = make_agreement()
    make_annex(agreement, D(2026, 4, 1), [{"op": "modify", "ref": "1.2", "fields": {"rate": "75"}}])
    headers = token_for(manager_of(agreement))
    versions = client.get(
        f"/api/v1/agreements/{agreement.code}/scope/versions", headers=headers
    ).json
    url = f"/api/v1/agreements/{agreement.code}/scope/diff"
    diff = client.get(
        url,
        query_string={"from": versions[0]["version"], "to": versions[-1]["version"]},
        headers=headers,
    ).json
    assert diff["modified"] == [
        {
            "ref": "1.2",
            "title": "Clause 1.2",
            "changes": {"rate": {"before": "60.00", "after": "75.00"}},
        }
    ]
    missing = client.get(url, query_string={"from": 1, "to": 999}, headers=headers)
    assert missing.status_code == 422 and "to" in missing.json["errors"]
    assert client.get(url, headers=headers).status_code == 422
