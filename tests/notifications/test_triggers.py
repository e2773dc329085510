"""Who is told what: each kind is written with its event, in its transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.db import db, unit_of_work
from contracts_app.documents.services import issue_document, sign_off
from contracts_app.jobs.periodic import contract_alerts
from contracts_app.notifications.models import AlertMark, EmailState, Notification
from contracts_app.notifications.services import notify
from contracts_app.tasks.services import TaskInput, fire_task_event, record_task
from tests.factories import PASSWORD, make_annex
from tests.notifications.conftest import kinds, notes


def test_submitting_an_annex_asks_both_sides_approvers_and_nobody_else(cast):
    annex = cast.draft()
    cast.fire(annex, "submit", cast.manager)
    for approver in (cast.customer_approver, cast.provider_approver):
        [note] = notes(approver)
        assert note.kind == "annex_awaits_approval"
        assert note.link == f"/annexes/{annex.id}"
        assert note.email_state == EmailState.PENDING  # needs action: email at once
        assert cast.agreement.code in note.text
    assert notes(cast.manager) == []  # who fired the event is not told about it
    assert notes(cast.contributor) == []


def test_the_whole_annex_life_tells_approvers_and_the_author_once_per_step(cast):
    annex = cast.draft()
    cast.fire(annex, "submit", cast.manager)
    cast.fire(annex, "approve", cast.customer_approver)
    assert len(notes(cast.provider_approver)) == 1  # a first approval tells nobody new
    cast.fire(annex, "approve", cast.provider_approver)
    assert kinds(cast.customer_approver) == ["annex_awaits_approval", "annex_awaits_signature"]
    assert kinds(cast.provider_approver) == ["annex_awaits_approval", "annex_awaits_signature"]
    assert kinds(cast.manager) == ["annex_approved"]
    assert notes(cast.manager)[0].email_state == EmailState.NONE  # news: in the app only
    cast.fire(annex, "sign", cast.customer_approver, password=PASSWORD)
    cast.fire(annex, "sign", cast.provider_approver, password=PASSWORD)
    assert kinds(cast.manager) == ["annex_approved", "annex_effective"]


def test_a_rejected_or_sent_back_annex_tells_its_author(cast):
    first, second = cast.draft(title="One"), cast.draft(title="Two")
    for annex in (first, second):
        cast.fire(annex, "submit", cast.manager)
    cast.fire(first, "reject", cast.customer_approver, comment="No")
    cast.fire(second, "request_changes", cast.provider_approver, comment="Fix it")
    assert kinds(cast.manager) == ["annex_rejected", "annex_sent_back"]


def test_a_rolled_back_event_notifies_nobody(cast):
    with pytest.raises(RuntimeError), unit_of_work():
        notify(
            [cast.customer_approver.id],
            "annex_awaits_approval",
            "x",
            "/x",
            agreement_id=cast.agreement.id,
            object_type="annex",
            object_id=None,
        )
        raise RuntimeError("the event fails after writing its notification")
    assert notes(cast.customer_approver) == []


def test_a_summary_asks_approvers_and_its_sign_off_tells_managers(cast):
    document = issue_document(
        cast.agreement,
        membership_of(cast.manager, cast.agreement.id),
        dt.date(2026, 3, 1),
        cast.manager,
    )
    assert kinds(cast.customer_approver) == ["summary_awaits_sign_off"]
    assert kinds(cast.provider_approver) == ["summary_awaits_sign_off"]
    sign_off(document.id, cast.customer_approver, PASSWORD)
    assert kinds(cast.manager) == []
    sign_off(document.id, cast.provider_approver, PASSWORD)
    assert kinds(cast.manager) == ["summary_signed_off"]
    assert kinds(cast.customer_manager) == ["summary_signed_off"]


def _task(cast, ref, hours, user=None, day=dt.date(2026, 3, 2), category="support.incident"):
    user = user or cast.manager
    return record_task(
        cast.agreement,
        membership_of(user, cast.agreement.id),
        TaskInput(ref=ref, title=ref, day=day, category=category, hours=Decimal(hours)),
        user,
    )


def test_cap_thresholds_are_told_to_both_sides_managers_once_per_period(cast):
    # clause 1.1: 120 hours a month; thresholds 80 % and 100 %
    _task(cast, "T-1", "90")
    assert notes(cast.manager, "cap_threshold") == []
    _task(cast, "T-2", "6")  # 96 h = 80 %
    [note] = notes(cast.manager, "cap_threshold")
    assert "80 %" in note.text and "1.1" in note.text
    assert "clause 1.1: 96 h of 120 h used in 2026-03" in note.text
    assert len(notes(cast.customer_manager, "cap_threshold")) == 1
    _task(cast, "T-3", "4")  # still between the thresholds: nothing new
    assert len(notes(cast.manager, "cap_threshold")) == 1
    over = _task(cast, "T-4", "30")  # over the cap: needs a decision
    assert len(notes(cast.manager, "cap_threshold")) == 1
    fire_task_event(over.id, "accept", cast.manager)  # accepted work counts: 130 h
    texts = [n.text for n in notes(cast.customer_manager, "cap_threshold")]
    assert len(texts) == 2 and "threshold 100 %" in texts[1]
    _task(cast, "T-5", "10", day=dt.date(2026, 4, 1))  # another month starts again
    assert len(notes(cast.manager, "cap_threshold")) == 2


def test_a_recheck_tells_the_recorder_of_changed_and_flagged_tasks(cast):
    recorded = _task(cast, "T-1", "1", user=cast.contributor, category="support.request")
    accepted = _task(cast, "T-2", "1", user=cast.contributor, category="support.request")
    fire_task_event(accepted.id, "accept", cast.manager)
    make_annex(cast.agreement, dt.date(2026, 3, 1), [{"op": "remove", "ref": "1.2"}])
    assert sorted(kinds(cast.contributor)) == ["task_needs_attention", "task_verdict_changed"]
    by_kind = {n.kind.value: n for n in notes(cast.contributor)}
    assert by_kind["task_verdict_changed"].link == f"/tasks/{recorded.id}"
    assert by_kind["task_needs_attention"].link == f"/tasks/{accepted.id}"


def test_contract_alerts_go_once_per_date_and_lead_time_to_both_sides_managers(cast):
    cast.agreement.notice_days = 60  # deadline 1 November 2026
    db.session.commit()
    assert contract_alerts(dt.date(2026, 7, 1)) == 0
    assert contract_alerts(dt.date(2026, 8, 10)) == 1  # 83 days before the deadline
    assert contract_alerts(dt.date(2026, 8, 10)) == 0
    assert contract_alerts(dt.date(2026, 8, 20)) == 0  # the same lead time
    assert contract_alerts(dt.date(2026, 10, 3)) == 2  # 29 days: deadline, and 89: the end
    for manager in (cast.manager, cast.customer_manager):
        texts = [n.text for n in notes(manager, "contract_date")]
        assert len(texts) == 3
        assert "notice deadline on 2026-11-01" in texts[0]
    marks = db.session.scalar(sa.select(sa.func.count(AlertMark.id)))
    assert marks == 3
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) >= 6
