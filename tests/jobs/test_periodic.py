"""The periodic jobs: idempotent for a day; a read shows a due annex as due and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.annexes.models import Annex
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db
from contracts_app.jobs.periodic import run_due
from contracts_app.notifications.models import AlertMark, Notification
from contracts_app.tasks.models import Task
from contracts_app.tasks.services import TaskInput
from tests.factories import PASSWORD, make_agreement, manager_of, member_user, signed_in
from workflows.annex_states import AnnexState

DUE = dt.date(2026, 9, 1)


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Notification, AlertMark, AuditEvent, Annex, Task)
    )


def _scheduled(agreement):
    from contracts_app.annexes.services import AnnexInput, create_annex, fire_event

    manager = manager_of(agreement)
    approvers = [member_user(agreement, side, "approver") for side in ("customer", "provider")]
    annex = create_annex(
        agreement,
        membership_of(manager, agreement.id),
        AnnexInput(
            title="From September",
            effective_date=DUE,
            changes=[{"op": "modify", "ref": "1.1", "fields": {"title": "Incidents"}}],
        ),
        manager,
    )
    today = dt.date(2026, 6, 1)
    fire_event(annex.id, "submit", manager, today=today)
    for approver in approvers:
        fire_event(annex.id, "approve", approver, today=today)
    for approver in approvers:
        fire_event(annex.id, "sign", approver, password=PASSWORD, today=today)
    assert annex.state == AnnexState.SCHEDULED
    return annex


def test_run_due_twice_for_the_same_day_changes_nothing_the_second_time(app):
    agreement = make_agreement()
    agreement.notice_days = 120  # deadline 2 September 2026
    db.session.commit()
    annex = _scheduled(agreement)
    from contracts_app.tasks.services import record_task

    manager = manager_of(agreement)
    record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(ref="T-1", title="x", day=DUE, category="support.incident", hours=Decimal(100)),
        manager,
    )
    first = run_due(DUE)
    assert first.activated == 1 and first.contract_alerts == 1  # the deadline, tomorrow
    assert db.session.get(Annex, annex.id).state == AnnexState.EFFECTIVE
    after_first = _counts()
    second = run_due(DUE)
    assert (second.activated, second.contract_alerts, second.sent) == (0, 0, 0)
    assert _counts() == after_first


def test_a_read_shows_a_due_annex_as_due_and_changes_nothing(app):
    agreement = make_agreement()
    annex = _scheduled(agreement)
    before = _counts()
    client = signed_in(app.test_client(), manager_of(agreement))
    for url in (
        f"/agreements/{agreement.code}",
        f"/agreements/{agreement.code}/annexes",
        f"/annexes/{annex.id}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert 'class="badge badge-due">due</span>' in page, url
    db.session.expire_all()
    assert db.session.get(Annex, annex.id).state == AnnexState.SCHEDULED
    assert _counts() == before


def test_the_run_due_command_prints_what_it_did(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run-due", "--today", "2026-09-01"])
    assert result.exit_code == 0, result.output
    assert "activated: 0" in result.output and "contract alerts:" in result.output


def test_a_tacitly_renewing_agreement_does_not_expire_at_its_first_end(app):
    renewing = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    ending = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    renewing.renewal, renewing.renewal_months = "tacit", 1
    db.session.commit()
    report = run_due(dt.date(2026, 3, 1))
    assert report.status_changes == 1
    db.session.expire_all()
    assert renewing.status.value == "active"
    assert ending.status.value == "expired"
