"""Every route of the application, for every role and side, an outsider and an anonymous
client, against one table of who may do what. A new route without an entry fails here.

Reads (GET) are checked for every kind of user. For writes, this test checks that an
anonymous client is turned away before anything runs; who may write what is shown per
service in the domain tests (annex, task, document and agreement workflows).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.documents.services import issue_document
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import (
    make_agreement,
    make_annex,
    make_user,
    manager_of,
    member_user,
    signed_in,
    token_for,
)

PUBLIC, USER, ADMIN, MEMBER, MANAGER = "public", "user", "admin", "member", "manager"

# (endpoint, method) -> who may use it
ACCESS: dict[tuple[str, str], str] = {
    ("agreements.home", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("openapi.spec", "GET"): PUBLIC,
    ("accounts.login", "GET"): PUBLIC,
    ("accounts.login", "POST"): PUBLIC,
    ("documents.verify", "GET"): PUBLIC,
    ("documents.verify", "POST"): PUBLIC,
    ("documents_api.verify", "POST"): PUBLIC,
    ("accounts.logout", "POST"): USER,
    ("accounts.tokens", "GET"): USER,
    ("accounts.tokens", "POST"): USER,
    ("accounts.revoke_token", "POST"): USER,
    ("agreements.index", "GET"): USER,
    ("agreements.new", "GET"): USER,
    ("agreements.new", "POST"): USER,
    ("agreements_api.list_agreements", "GET"): USER,
    ("agreements_api.create_agreement", "POST"): USER,
    ("accounts_api.me", "GET"): USER,
    ("accounts.users", "GET"): ADMIN,
    ("accounts.users", "POST"): ADMIN,
    ("accounts.set_active", "POST"): ADMIN,
    ("audit.chains", "GET"): ADMIN,
    ("accounts_api.create_user", "POST"): ADMIN,
    # one agreement's pages and API: members read, managers edit
    ("agreements.show", "GET"): MEMBER,
    ("audit.activity", "GET"): MEMBER,
    ("annexes.index", "GET"): MEMBER,
    ("annexes.edit", "GET"): MANAGER,
    ("annexes.edit", "POST"): MANAGER,
    ("tasks.check", "GET"): MEMBER,
    ("tasks.check", "POST"): MEMBER,
    ("agreements.edit_clause", "GET"): MANAGER,
    ("agreements.edit_clause", "POST"): MANAGER,
    ("agreements.remove_clause", "GET"): MANAGER,
    ("agreements.remove_clause", "POST"): MANAGER,
    ("tasks.usage", "GET"): MEMBER,
    ("documents.index", "GET"): MEMBER,
    ("documents.index", "POST"): MANAGER,
    ("agreements.edit", "GET"): MANAGER,
    ("agreements.edit", "POST"): MANAGER,
    ("agreements.members", "GET"): MEMBER,
    ("agreements.members", "POST"): MANAGER,
    ("agreements.remove_member", "GET"): MANAGER,
    ("agreements.remove_member", "POST"): MANAGER,
    ("annexes.scope_json", "GET"): MEMBER,
    ("agreements.change_status", "POST"): MANAGER,
    ("documents.live_summary", "GET"): MEMBER,
    ("tasks.index", "GET"): MEMBER,
    ("tasks.import_csv", "GET"): MEMBER,
    ("tasks.import_csv", "POST"): "recorder",
    ("tasks.new", "GET"): MEMBER,
    ("tasks.new", "POST"): "recorder",
    ("annexes.show", "GET"): MEMBER,
    ("annexes.fire", "POST"): "by the workflow",
    ("tasks.show", "GET"): MEMBER,
    ("tasks.fire", "POST"): "by the workflow",
    ("documents.show", "GET"): MEMBER,
    ("documents.pdf", "GET"): MEMBER,
    ("documents.sign_off", "POST"): "approver",
    ("agreements_api.get_agreement", "GET"): MEMBER,
    ("agreements_api.update_agreement", "PATCH"): MANAGER,
    ("annexes_api.create_annex", "POST"): MANAGER,
    ("annexes_api.list_annexes", "GET"): MEMBER,
    ("audit_api.audit", "GET"): MEMBER,
    ("documents_api.issue", "POST"): MANAGER,
    ("agreements_api.list_members", "GET"): MEMBER,
    ("agreements_api.add_member", "POST"): MANAGER,
    ("agreements_api.remove_member", "DELETE"): MANAGER,
    ("tasks_api.rechecks", "GET"): MEMBER,
    ("scope_api.scope", "GET"): MEMBER,
    ("tasks_api.scope_check", "POST"): MEMBER,
    ("scope_api.diff", "GET"): MEMBER,
    ("scope_api.versions", "GET"): MEMBER,
    ("documents_api.live_summary", "GET"): MEMBER,
    ("tasks_api.create_task", "POST"): "recorder",
    ("tasks_api.list_tasks", "GET"): MEMBER,
    ("tasks_api.import_tasks", "POST"): "recorder",
    ("annexes_api.get_annex", "GET"): MEMBER,
    ("annexes_api.update_annex", "PATCH"): MANAGER,
    ("annexes_api.fire_event", "POST"): "by the workflow",
    ("documents_api.get_document", "GET"): MEMBER,
    ("documents_api.document_pdf", "GET"): MEMBER,
    ("documents_api.sign_off", "POST"): "approver",
    ("tasks_api.get_task", "GET"): MEMBER,
    ("tasks_api.task_event", "POST"): "by the workflow",
}

# Reads whose query arguments are required (validated before anything else).
QUERY = {"scope_api.diff": "?from=1&to=1"}

ROLES = [
    (side, role)
    for side in ("customer", "provider")
    for role in ("manager", "approver", "contributor", "viewer")
]


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_an_entry_in_the_access_table(app):
    missing = [(r.endpoint, m) for r, m in routes(app) if (r.endpoint, m) not in ACCESS]
    assert missing == [], f"add these routes to ACCESS: {missing}"
    stale = set(ACCESS) - {(r.endpoint, m) for r, m in routes(app)}
    assert stale == set(), f"routes that no longer exist: {stale}"


@pytest.fixture
def world(app):
    agreement = make_agreement(status="active")
    manager = manager_of(agreement)
    users = {"manager-of-record": manager}
    for side, role in ROLES:
        users[f"{side} {role}"] = member_user(agreement, side, role)
    users["outsider"] = make_user()
    users["admin"] = make_user(admin=True)
    annex = make_annex(
        agreement, dt.date(2026, 3, 1), [{"op": "remove", "ref": "1.2"}], effective=False
    )
    task = record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(
            ref="T-1",
            title="Task",
            day=dt.date(2026, 3, 2),
            category="support.request",
            hours=Decimal(1),
        ),
        manager,
    )
    document = issue_document(
        agreement, membership_of(manager, agreement.id), dt.date(2026, 3, 2), manager
    )
    member = agreement.memberships[0]
    values = {
        "code": agreement.code,
        "annex_id": annex.id,
        "task_id": task.id,
        "document_id": document.id,
        "member_id": member.id,
        "ref": "1.1",
        "event": "accept",
        "token_id": 1,
        "user_id": manager.id,
        "filename": "css/app.css",
    }
    return users, values


def url_for_rule(rule, values):
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def expected_get(access: str, who: str, agreement_scoped: bool) -> str:
    if access == PUBLIC:
        return "ok"
    if who == "anonymous":
        return "login"
    if access == USER:
        return "ok"
    if access == ADMIN:
        return "ok" if who == "admin" else "not found"
    if who == "outsider":
        return "not found" if agreement_scoped else "ok"
    if who == "admin":
        return "ok"
    role = who.split()[1] if " " in who else "manager"
    if access == MEMBER:
        return "ok"
    if access == MANAGER:
        return "ok" if role == "manager" else "forbidden"
    return "ok"


def outcome(response, api: bool) -> str:
    if response.status_code == 404:
        return "not found"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 401 or (
        response.status_code == 302 and "/login" in response.headers.get("Location", "")
    ):
        return "login"
    return "ok"


def test_reads_follow_the_access_table_for_every_kind_of_user(app, world):
    users, values = world
    checked = 0
    for who in ["anonymous", "outsider", "admin", *[f"{s} {r}" for s, r in ROLES]]:
        page_client = app.test_client()
        headers = {}
        if who != "anonymous":
            signed_in(page_client, users[who])
            headers = token_for(users[who])
        for rule, method in routes(app):
            if method != "GET":
                continue
            api = rule.rule.startswith("/api/")
            url = url_for_rule(rule, values) + QUERY.get(rule.endpoint, "")
            response = page_client.get(url, headers=headers if api else {})
            scoped = any(
                a in rule.arguments for a in ("code", "annex_id", "task_id", "document_id")
            )
            expected = expected_get(ACCESS[(rule.endpoint, method)], who, scoped)
            assert outcome(response, api) == expected, (who, method, url, response.status_code)
            checked += 1
    assert checked > 300


def test_writes_turn_anonymous_clients_away_before_anything_runs(app, world):
    _users, values = world
    client = app.test_client()
    for rule, method in routes(app):
        if method == "GET" or ACCESS[(rule.endpoint, method)] == PUBLIC:
            continue
        url = url_for_rule(rule, values)
        response = client.open(url, method=method, json={})
        assert outcome(response, rule.rule.startswith("/api/")) == "login", (
            method,
            url,
            response.status_code,
        )
