"""Every route of the application, for every role and side, an outsider and an anonymous
client, against one table of who may do what. A new route without an entry fails here.

Reads (GET) and writes are both walked for every kind of user; an anonymous client is
turned away from every write before anything runs. Writes use valid requests, so that what
is checked is who may, not what is valid.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.agreements.members import invite_member
from contracts_app.documents.renders import request_summary_render
from contracts_app.documents.services import issue_document
from contracts_app.notifications.email import unsubscribe_token
from contracts_app.notifications.kinds import Kind
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import (
    PASSWORD,
    add_member,
    make_agreement,
    make_annex,
    make_user,
    manager_of,
    member_user,
    signed_in,
    token_for,
)

PUBLIC, USER, ADMIN, MEMBER, MANAGER = "public", "user", "admin", "member", "manager"
# Each side governs its own people: the walked member and invitations are on the customer side.
SIDE_MANAGER = "customer manager"

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
    ("accounts.change_password", "GET"): USER,
    ("accounts.change_password", "POST"): USER,
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
    ("agreements.members", "POST"): SIDE_MANAGER,
    ("agreements.remove_member", "GET"): SIDE_MANAGER,
    ("agreements.remove_member", "POST"): SIDE_MANAGER,
    ("agreements.change_role", "POST"): SIDE_MANAGER,
    ("agreements.invitations", "GET"): USER,
    ("agreements.decide_invitation", "POST"): "by the invitation",
    ("annexes.scope_json", "GET"): MEMBER,
    ("agreements.status_event", "POST"): "by the workflow",
    ("documents.live_summary", "GET"): MEMBER,
    ("tasks.index", "GET"): MEMBER,
    ("tasks.import_csv", "GET"): MEMBER,
    ("tasks.import_template", "GET"): MEMBER,
    ("tasks.decide", "GET"): MEMBER,
    ("tasks.decide", "POST"): "by the workflow",
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
    ("documents.retry_signing", "POST"): "approver",
    ("agreements_api.get_agreement", "GET"): MEMBER,
    ("agreements_api.update_agreement", "PATCH"): MANAGER,
    ("annexes_api.create_annex", "POST"): MANAGER,
    ("annexes_api.list_annexes", "GET"): MEMBER,
    ("audit_api.audit", "GET"): MEMBER,
    ("documents_api.issue", "POST"): MANAGER,
    ("agreements_api.list_members", "GET"): MEMBER,
    ("agreements_api.add_member", "POST"): SIDE_MANAGER,
    ("agreements_api.remove_member", "DELETE"): SIDE_MANAGER,
    ("agreements_api.change_role", "PATCH"): SIDE_MANAGER,
    ("agreements_api.list_invitations", "GET"): MEMBER,
    ("agreements_api.my_invitations", "GET"): USER,
    ("agreements_api.decide_invitation", "POST"): "by the invitation",
    ("agreements_api.get_status", "GET"): MEMBER,
    ("agreements_api.fire_status_event", "POST"): "by the workflow",
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
    ("documents.request_summary_render", "POST"): MEMBER,
    ("documents.request_document_render", "POST"): MEMBER,
    ("documents.render_show", "GET"): MEMBER,
    ("documents.render_download", "GET"): MEMBER,
    ("documents_api.request_summary_render", "POST"): MEMBER,
    ("documents_api.request_document_render", "POST"): MEMBER,
    ("documents_api.get_render", "GET"): MEMBER,
    ("documents_api.render_download", "GET"): MEMBER,
    ("documents_api.sign_off", "POST"): "approver",
    ("documents_api.retry_signing", "POST"): "approver",
    ("tasks_api.get_task", "GET"): MEMBER,
    ("tasks_api.task_event", "POST"): "by the workflow",
    ("tasks_api.decide_tasks", "POST"): "by the workflow",
    ("escalations.index", "GET"): MEMBER,
    ("escalations.new", "GET"): "participant",
    ("escalations.new", "POST"): "participant",
    ("escalations.show", "GET"): MEMBER,
    ("escalations.fire", "POST"): "by the workflow",
    ("escalations_api.raise_escalation", "POST"): "participant",
    ("escalations_api.list_escalations", "GET"): MEMBER,
    ("escalations_api.get_escalation", "GET"): MEMBER,
    ("escalations_api.fire_event", "POST"): "by the workflow",
    ("escalations_api.stats", "GET"): MEMBER,
    # my work and my notifications: every signed-in user, about themselves only
    ("work.index", "GET"): USER,
    ("work_api.work", "GET"): USER,
    ("notifications.index", "GET"): USER,
    ("notifications.mark_read", "POST"): USER,
    ("notifications.open_one", "POST"): USER,
    ("notifications.preferences", "GET"): USER,
    ("notifications.preferences", "POST"): USER,
    ("notifications_api.my_notifications", "GET"): USER,
    ("notifications_api.mark_read", "POST"): USER,
    ("notifications_api.get_preferences", "GET"): USER,
    ("notifications_api.put_preferences", "PUT"): USER,
    # the one-click unsubscribe link of an email: the signed token is the key (RFC 8058)
    ("notifications.unsubscribe", "GET"): PUBLIC,
    ("notifications.unsubscribe", "POST"): PUBLIC,
    ("notifications.failed", "GET"): ADMIN,
    ("service_levels.index", "GET"): MEMBER,
    ("service_levels.issue", "POST"): MANAGER,
    ("service_levels.times", "GET"): MEMBER,
    ("service_levels.times", "POST"): "recorder",
    ("service_levels_api.issue_report", "POST"): MANAGER,
    ("service_levels_api.record_outage", "POST"): "recorder",
    ("service_levels_api.outages", "GET"): MEMBER,
    ("service_levels_api.report", "GET"): MEMBER,
    ("service_levels_api.ticket_clocks", "GET"): MEMBER,
    ("service_levels_api.update_times", "PATCH"): "recorder",
    ("import_profiles.index", "GET"): MEMBER,
    ("import_profiles.index", "POST"): MANAGER,
    ("import_profiles.delete", "POST"): MANAGER,
    ("import_profiles.run", "GET"): MEMBER,
    ("import_profiles.run", "POST"): "recorder",
    ("import_profiles_api.put_profile", "PUT"): MANAGER,
    ("import_profiles_api.list_profiles", "GET"): MEMBER,
    ("import_profiles_api.get_profile", "GET"): MEMBER,
    ("import_profiles_api.delete_profile", "DELETE"): MANAGER,
    ("import_profiles_api.incoming_changes", "GET"): MEMBER,
    # exports of a list: whoever may read the list
    ("exports.export", "GET"): MEMBER,
    ("exports_api.export_scope", "GET"): MEMBER,
    ("exports_api.export_tasks", "GET"): MEMBER,
    ("exports_api.export_usage", "GET"): MEMBER,
    ("exports_api.export_annexes", "GET"): MEMBER,
    # search: every signed-in user, within the agreements they may see
    ("search.index", "GET"): USER,
    ("search_api.search", "GET"): USER,
}

# Reads whose query arguments are required (validated before anything else).
QUERY = {
    "scope_api.diff": "?from=1&to=1",
    "escalations_api.stats": "?from=2026-01-01&to=2026-12-31",
    "service_levels_api.report": "?period=2026-03",
    "search_api.search": "?q=task",
    "search.index": "?q=task",
}

# Path arguments that reach an agreement: outsiders get "not found" there.
SCOPED_ARGUMENTS = ("code", "annex_id", "task_id", "document_id", "escalation_id", "render_id")

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
    member = add_member(agreement, make_user(), "customer", "viewer")
    invitation = invite_member(
        agreement,
        membership_of(users["customer manager"], agreement.id),
        "invited@example.com",
        "customer",
        "viewer",
        users["customer manager"],
    )
    from contracts_app.escalations.services import EscalationInput, raise_escalation

    escalation = raise_escalation(
        agreement,
        membership_of(manager, agreement.id),
        EscalationInput(subject="Walked"),
        manager,
    )
    from contracts_app.tasks.profiles import put_profile

    put_profile(agreement, membership_of(manager, agreement.id), "walk", PROFILE, manager)
    render = request_summary_render(
        agreement, membership_of(manager, agreement.id), manager, dt.date(2026, 3, 2)
    )
    values = {
        "name": "walk",
        "escalation_id": escalation.id,
        "invitation_id": invitation.id,
        "decision": "accept",
        "code": agreement.code,
        "annex_id": annex.id,
        "task_id": task.id,
        "document_id": document.id,
        "render_id": render.id,
        "member_id": member.id,
        "ref": "1.1",
        "kind": "tasks",
        "event": "accept",
        "token_id": 1,
        "notification_id": 1,
        "user_id": manager.id,
        "filename": "css/app.css",
        "token": unsubscribe_token(manager.id, Kind.ANNEX_APPROVED),
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
    if who == "admin":  # administrators see everything; they act for no side, nor staff one
        return "forbidden" if access in ("participant", SIDE_MANAGER) else "ok"
    role = who.split()[1] if " " in who else "manager"
    if access == MEMBER:
        return "ok"
    if access == MANAGER:
        return "ok" if role == "manager" else "forbidden"
    if access == SIDE_MANAGER:
        return "ok" if who in (SIDE_MANAGER,) else "forbidden"
    if access == "participant":
        return "ok" if role in ("manager", "approver", "contributor") else "forbidden"
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
            scoped = any(a in rule.arguments for a in SCOPED_ARGUMENTS)
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


# --- writes, per role ---------------------------------------------------------------------

RECORDER, APPROVER, ACCEPTER, PARTICIPANT = "recorder", "approver", "accepter", "participant"
CSV = "ref,title,date\nW-2,Walk,2026-03-01\n"
PROFILE = {"source": "csv", "columns": {"ref": "ref", "title": "title", "date": "date"}}
# Deletions of a profile each get a profile of their own.
PROFILE_DELETES = {
    ("import_profiles.delete", "POST"),
    ("import_profiles_api.delete_profile", "DELETE"),
}

# (endpoint, method) -> (who may, how the request is sent)
WRITES: dict[tuple[str, str], tuple[str, dict]] = {
    ("agreements_api.update_agreement", "PATCH"): (MANAGER, {"json": {"title": "Renamed"}}),
    ("annexes_api.create_annex", "POST"): (
        MANAGER,
        {
            "json": {
                "title": "Walk",
                "effective_date": "2026-03-01",
                "changes": [{"op": "remove", "ref": "1.1"}],
            }
        },
    ),
    ("documents_api.issue", "POST"): (MANAGER, {"json": {}}),
    ("agreements_api.add_member", "POST"): (
        SIDE_MANAGER,
        {"json": {"email": "{newcomer}", "side": "customer", "role": "viewer"}},
    ),
    ("agreements_api.remove_member", "DELETE"): (SIDE_MANAGER, {}),
    ("agreements_api.change_role", "PATCH"): (SIDE_MANAGER, {"json": {"role": "contributor"}}),
    ("agreements_api.fire_status_event", "POST"): (
        MANAGER,
        {"json": {"event": "suspend", "reason": "walk"}},
    ),
    ("tasks_api.scope_check", "POST"): (MEMBER, {"json": {"title": "x", "date": "2026-03-01"}}),
    ("tasks_api.create_task", "POST"): (
        RECORDER,
        {"json": {"ref": "W-{n}", "title": "x", "date": "2026-03-01"}},
    ),
    ("tasks_api.import_tasks", "POST"): (RECORDER, {"data": CSV, "content_type": "text/csv"}),
    ("annexes_api.update_annex", "PATCH"): (MANAGER, {"json": {"version": 1, "title": "Walked"}}),
    ("annexes_api.fire_event", "POST"): (MANAGER, {"json": {"event": "submit"}}),
    ("documents_api.sign_off", "POST"): (APPROVER, {"json": {"password": PASSWORD}}),
    ("documents_api.retry_signing", "POST"): (APPROVER, {}),
    ("tasks_api.task_event", "POST"): (ACCEPTER, {"json": {"event": "accept"}}),
    ("tasks_api.decide_tasks", "POST"): (
        ACCEPTER,
        {"json": {"event": "accept", "tasks": ["{task_id:int}"]}},
    ),
    ("accounts_api.create_user", "POST"): (
        ADMIN,
        {
            "json": {
                "email": "walk{n}@example.com",
                "name": "Walk",
                "password": "long enough password",
            }
        },
    ),
    ("agreements_api.create_agreement", "POST"): (
        USER,
        {
            "json": {
                "code": "WALK-{n}",
                "title": "x",
                "customer": "A",
                "provider": "B",
                "start_date": "2026-01-01",
            }
        },
    ),
    ("accounts.tokens", "POST"): (USER, {"data": {"name": "walk"}}),
    ("accounts.users", "POST"): (
        ADMIN,
        {"data": {"email": "w{n}@example.com", "name": "W", "password": "long enough pw"}},
    ),
    ("agreements.new", "POST"): (
        USER,
        {
            "data": {
                "code": "WALKP-{n}",
                "title": "x",
                "customer": "A",
                "provider": "B",
                "start_date": "2026-01-01",
                "currency": "EUR",
                "value": "0",
            }
        },
    ),
    ("annexes.edit", "POST"): (
        MANAGER,
        {"data": {"title": "x", "effective_date": "2026-03-01", "action": "preview"}},
    ),
    ("tasks.check", "POST"): (MEMBER, {"data": {"title": "x", "date": "2026-03-01"}}),
    ("agreements.edit_clause", "POST"): (
        MANAGER,
        {
            "data": {
                "ref": "1.1",
                "title": "x",
                "kind": "included",
                "cap_unit": "",
                "cap_period": "",
            }
        },
    ),
    ("agreements.remove_clause", "POST"): (MANAGER, {"data": {}}),
    ("documents.index", "POST"): (MANAGER, {"data": {"as_of": "2026-03-01"}}),
    ("agreements.edit", "POST"): (
        MANAGER,
        {
            "data": {
                "code": "X",
                "title": "Renamed",
                "customer": "Customer Ltd",
                "provider": "Provider plc",
                "start_date": "2026-01-01",
                "currency": "EUR",
                "value": "1000",
            }
        },
    ),
    ("agreements.members", "POST"): (
        SIDE_MANAGER,
        {"data": {"email": "{newcomer}", "side": "customer", "role": "viewer"}},
    ),
    ("agreements.remove_member", "POST"): (SIDE_MANAGER, {"data": {}}),
    ("agreements.change_role", "POST"): (SIDE_MANAGER, {"data": {"role": "contributor"}}),
    ("agreements.status_event", "POST"): (
        MANAGER,
        {"data": {"event": "suspend", "reason": "walk"}},
    ),
    ("tasks.import_csv", "POST"): (RECORDER, {"csv_upload": True}),
    ("tasks.new", "POST"): (
        RECORDER,
        {"data": {"ref": "WP-{n}", "title": "x", "date": "2026-03-01"}},
    ),
    ("annexes.fire", "POST"): (MANAGER, {"data": {"event": "submit"}}),
    ("tasks.fire", "POST"): (ACCEPTER, {"data": {}}),
    ("tasks.decide", "POST"): (ACCEPTER, {"data": {"event": "accept", "task": "{task_id}"}}),
    ("documents.sign_off", "POST"): (APPROVER, {"data": {"password": PASSWORD}}),
    ("documents.retry_signing", "POST"): (APPROVER, {"data": {}}),
    ("escalations.new", "POST"): (PARTICIPANT, {"data": {"subject": "Walked {n}"}}),
    ("escalations.fire", "POST"): (PARTICIPANT, {"data": {"event": "answer", "message": "hi"}}),
    ("escalations_api.raise_escalation", "POST"): (PARTICIPANT, {"json": {"subject": "W{n}"}}),
    ("escalations_api.fire_event", "POST"): (
        PARTICIPANT,
        {"json": {"event": "answer", "message": "hi"}},
    ),
    ("notifications.mark_read", "POST"): (USER, {"data": {}}),
    ("notifications.preferences", "POST"): (
        USER,
        {"data": {"time_zone": "UTC", "annex_approved": "email", "cap_threshold": "digest"}},
    ),
    ("notifications_api.mark_read", "POST"): (USER, {"json": {}}),
    ("notifications_api.put_preferences", "PUT"): (
        USER,
        {"json": {"kinds": {"annex_approved": "email"}, "time_zone": "Europe/Paris"}},
    ),
    ("service_levels_api.record_outage", "POST"): (
        RECORDER,
        {
            "json": {
                "system": "CRM",
                "started_at": "2026-03-02T10:00:00Z",
                "ended_at": "2026-03-02T11:00:00Z",
            }
        },
    ),
    ("service_levels_api.update_times", "PATCH"): (RECORDER, {"json": {"priority": "P{n}"}}),
    ("service_levels_api.issue_report", "POST"): (MANAGER, {"json": {"period": "2026-03"}}),
    ("service_levels.issue", "POST"): (MANAGER, {"data": {"period": "2026-03"}}),
    ("service_levels.times", "POST"): (RECORDER, {"data": {"priority": "P{n}"}}),
    ("import_profiles_api.put_profile", "PUT"): (MANAGER, {"json": {"source": "jira"}}),
    ("import_profiles_api.delete_profile", "DELETE"): (MANAGER, {}),
    ("import_profiles.index", "POST"): (
        MANAGER,
        {"data": {"name": "walk{n}", "source": "glpi", "timezone": "UTC"}},
    ),
    ("import_profiles.delete", "POST"): (MANAGER, {"data": {}}),
    ("import_profiles.run", "POST"): (RECORDER, {"csv_upload": True}),
    ("documents_api.request_summary_render", "POST"): (MEMBER, {"json": {}}),
    ("documents_api.request_document_render", "POST"): (MEMBER, {"json": {}}),
    ("documents.request_summary_render", "POST"): (MEMBER, {"data": {}}),
    ("documents.request_document_render", "POST"): (MEMBER, {"data": {}}),
}
# Left to their own tests: signing out ends the walking client's session, and a token or
# an account's state is only ever changed by its owner or an admin (tests/accounts).
NOT_WALKED = {
    # an invitation is decided by the person invited or the inviting side: tests/agreements
    ("agreements.decide_invitation", "POST"),
    ("agreements_api.decide_invitation", "POST"),
    ("accounts.change_password", "POST"),  # ends the walking client's sessions
    ("accounts.logout", "POST"),
    ("accounts.revoke_token", "POST"),
    ("accounts.set_active", "POST"),
    # a notification is its addressee's alone: tests/notifications (another's is a 404)
    ("notifications.open_one", "POST"),
}

ALLOWED_ROLES = {
    MEMBER: {"manager", "approver", "contributor", "viewer"},
    MANAGER: {"manager"},
    RECORDER: {"manager", "contributor"},
    APPROVER: {"approver"},
    ACCEPTER: {"manager", "approver"},
    PARTICIPANT: {"manager", "approver", "contributor"},
}


# Workflow events check the state before the role (409 with the allowed events, then 403),
# so someone whose role may not fire an event can get either, depending on the state.
STATE_FIRST = {
    ("escalations.fire", "POST"),
    ("escalations_api.fire_event", "POST"),
    ("agreements_api.fire_status_event", "POST"),
    ("agreements.status_event", "POST"),
    ("annexes_api.fire_event", "POST"),
    ("annexes.fire", "POST"),
    ("tasks_api.task_event", "POST"),
    ("tasks.fire", "POST"),
    ("documents_api.sign_off", "POST"),
    ("documents.sign_off", "POST"),
    ("documents_api.retry_signing", "POST"),
    ("documents.retry_signing", "POST"),
}
# Status events are asked and confirmed by a side's manager; administrators are no side.
# Status events and escalations are given by a side; administrators are no side.
STATUS_EVENTS = {
    ("agreements_api.fire_status_event", "POST"),
    ("agreements.status_event", "POST"),
    ("escalations.new", "POST"),
    ("escalations.fire", "POST"),
    ("escalations_api.raise_escalation", "POST"),
    ("escalations_api.fire_event", "POST"),
}
ALLOWED = ("ok", "conflict")  # allowed through; the answer may still be a 409 or a 422


def expected_write(
    key: tuple[str, str], access: str, who: str, agreement_scoped: bool
) -> tuple[str, ...]:
    refused = ("forbidden", "conflict") if key in STATE_FIRST else ("forbidden",)
    if access == ADMIN:
        # administration pages answer "not found" to others, the API "forbidden"
        return ALLOWED if who == "admin" else ("forbidden", "not found")
    if access == USER:
        return ALLOWED
    if who == "outsider":
        return ("not found",) if agreement_scoped else ALLOWED
    if who == "admin":  # approvals, sign-offs, status events and staffing are for a side
        return refused if access in (APPROVER, SIDE_MANAGER) or key in STATUS_EVENTS else ALLOWED
    if access == SIDE_MANAGER:
        return ALLOWED if who == SIDE_MANAGER else refused
    return ALLOWED if who.split()[1] in ALLOWED_ROLES[access] else refused


def _filled(value, n: int, newcomer: str, task_id: int = 0):
    if isinstance(value, dict):
        return {k: _filled(v, n, newcomer, task_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, n, newcomer, task_id) for v in value]
    if value == "{task_id:int}":
        return task_id
    if isinstance(value, str):
        return (
            value.replace("{n}", str(n))
            .replace("{newcomer}", newcomer)
            .replace("{task_id}", str(task_id))
        )
    return value


def test_writes_follow_the_access_table_for_every_kind_of_user(app, world):
    import io

    from tests.factories import add_member

    users, values = world
    walked = {
        (r.endpoint, m) for r, m in routes(app) if m != "GET" and ACCESS[(r.endpoint, m)] != PUBLIC
    }
    assert walked == set(WRITES) | NOT_WALKED, walked ^ (set(WRITES) | NOT_WALKED)
    from contracts_app.agreements.models import Agreement
    from contracts_app.db import db

    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == values["code"]))
    n = 0
    for who in ["outsider", "admin", *[f"{s} {r}" for s, r in ROLES]]:
        page_client = signed_in(app.test_client(), users[who])
        headers = token_for(users[who])
        for rule, method in routes(app):
            key = (rule.endpoint, method)
            if key not in WRITES:
                continue
            n += 1
            access, how = WRITES[key]
            newcomer = make_user().email
            target = dict(values)
            if "member_id" in rule.arguments:  # each removal gets a member of its own
                target["member_id"] = add_member(agreement, make_user(), "customer", "viewer").id
            if key in PROFILE_DELETES:
                from contracts_app.agreements.access import membership_of
                from contracts_app.tasks.profiles import put_profile

                owner = users["manager-of-record"]
                target["name"] = f"gone{n}"
                put_profile(
                    agreement, membership_of(owner, agreement.id), f"gone{n}", PROFILE, owner
                )
            api = rule.rule.startswith("/api/")
            url = url_for_rule(rule, target)
            kwargs = {
                k: _filled(v, n, newcomer, values["task_id"])
                for k, v in how.items()
                if k in ("json", "data", "content_type")
            }
            if how.get("csv_upload"):
                kwargs = {
                    "data": {
                        "file": (io.BytesIO(CSV.replace("W-2", f"WU-{n}").encode()), "walk.csv")
                    },
                    "content_type": "multipart/form-data",
                }
            response = page_client.open(
                url, method=method, headers=headers if api else {}, **kwargs
            )
            scoped = any(a in rule.arguments for a in SCOPED_ARGUMENTS)
            got = "conflict" if response.status_code == 409 else outcome(response, api)
            if not api and key in STATE_FIRST and response.status_code == 302:
                # the page tells a refusal by the state in an error message, then redirects
                with page_client.session_transaction() as session:
                    flashes = session.pop("_flashes", [])
                if any(category == "error" for category, _message in flashes):
                    got = "conflict"
            assert got in expected_write(key, access, who, scoped), (
                who,
                method,
                url,
                response.status_code,
                response.get_data(as_text=True)[:300],
            )
