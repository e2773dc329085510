"""The verdict card speaks to a service manager: clauses by ref and title, no scores."""

from __future__ import annotations

from tests.factories import member_user, signed_in


def _check(client, agreement, **fields):
    signed_in(client, member_user(agreement, "provider", "contributor"))
    data = {"title": "Something broke", "date": "2026-03-20", **fields}
    page = client.post(f"/agreements/{agreement.code}/check", data=data).get_data(as_text=True)
    return " ".join(page.split())


def test_a_verdict_without_category_names_candidate_clauses_with_titles_and_no_scores(
    client, agreement
):
    page = _check(client, agreement, title="Checkout shows error 500 after outage")
    assert "Candidates:" not in page and "(1.00)" not in page
    assert "fits best" in page and "Incident resolution" in page


def test_an_out_of_scope_verdict_offers_the_nearest_clauses_with_a_hint(client, agreement):
    page = _check(
        client, agreement, category="maintenance.patch", system="crm", title="Patch the CRM"
    )
    assert "Nearest clauses: 2.1 “Maintenance of the shop”" in page
    assert "amend the scope by an annex" in page


def test_the_verdict_names_the_scope_by_its_validity_not_its_version_number(client, agreement):
    page = _check(client, agreement, category="support.request", hours="1")
    assert "under the scope valid 2026-01-01 \u2013 2026-12-31" in page or (
        "under the scope valid from 2026-01-01" in page
    )
    assert "scope version" not in page


def test_the_task_history_tells_each_decision_as_a_sentence(client, agreement, record):
    from contracts_app.tasks.services import fire_task_event
    from tests.factories import manager_of

    task = record(category="development", title="New page", hours=2)
    fire_task_event(task.id, "reject", manager_of(agreement), comment="Not ours")
    signed_in(client, manager_of(agreement))
    page = " ".join(client.get(f"/tasks/{task.id}").get_data(as_text=True).split())
    history = page[page.index("<h2>History</h2>") :]
    assert f"{manager_of(agreement).name} rejected Task {task.ref}." in history
    assert "→" not in history and "out_of_scope" not in history
