"""The annex workflow on stored annexes: roles, sides, comments, passwords, transactions."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from contracts_app.annexes import services
from contracts_app.annexes.models import Annex, AnnexApproval, AnnexSignature
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.scope.models import ScopeVersion
from contracts_app.scope.services import clause_map, scope_on
from tests.factories import PASSWORD, clause
from workflows.annex import annex_workflow
from workflows.annex_states import AnnexState

TODAY = dt.date(2026, 6, 1)


def fire(annex, event, user, **kwargs):
    kwargs.setdefault("today", TODAY)
    return services.fire_event(annex.id, event, user, **kwargs)


def approve_and_sign(cast, annex):
    fire(annex, "submit", cast.manager)
    fire(annex, "approve", cast.customer_approver)
    fire(annex, "approve", cast.provider_approver)
    fire(annex, "sign", cast.customer_approver, password=PASSWORD)
    return fire(annex, "sign", cast.provider_approver, password=PASSWORD)


def reload(annex):
    db.session.expire_all()
    return db.session.get(Annex, annex.id)


def test_full_workflow_makes_the_scope_effective(cast):
    annex = cast.draft(effective_date=dt.date(2026, 3, 1))
    assert fire(annex, "submit", cast.manager).state == AnnexState.IN_REVIEW
    assert fire(annex, "approve", cast.customer_approver).state == AnnexState.IN_REVIEW
    assert fire(annex, "approve", cast.provider_approver).state == AnnexState.APPROVED
    assert (
        fire(annex, "sign", cast.customer_approver, password=PASSWORD).state == AnnexState.APPROVED
    )
    annex = fire(annex, "sign", cast.provider_approver, password=PASSWORD)
    assert annex.state == AnnexState.EFFECTIVE
    assert "3.1" in clause_map(scope_on(cast.agreement, dt.date(2026, 3, 1)))
    assert "3.1" not in clause_map(scope_on(cast.agreement, dt.date(2026, 2, 28)))


def test_an_annex_dated_in_the_future_is_scheduled_then_activated(cast):
    annex = approve_and_sign(cast, cast.draft(effective_date=dt.date(2026, 9, 1)))
    assert annex.state == AnnexState.SCHEDULED
    assert "3.1" not in clause_map(scope_on(cast.agreement, dt.date(2026, 9, 1)))
    assert services.activate_due(today=dt.date(2026, 8, 31)) == []
    activated = services.activate_due(today=dt.date(2026, 9, 1))
    assert [a.id for a in activated] == [annex.id]
    assert reload(annex).state == AnnexState.EFFECTIVE
    assert "3.1" in clause_map(scope_on(cast.agreement, dt.date(2026, 9, 1)))


def test_a_due_annex_is_shown_as_due_and_left_to_the_daily_job(cast):
    annex = approve_and_sign(cast, cast.draft(effective_date=dt.date(2026, 9, 1)))
    assert not services.is_due(annex, dt.date(2026, 8, 31))
    assert services.is_due(annex, dt.date(2026, 9, 2))
    assert reload(annex).state == AnnexState.SCHEDULED


def test_submit_is_refused_without_changes_or_when_a_change_does_not_apply(cast):
    empty = cast.draft()
    empty.changes = []
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        fire(empty, "submit", cast.manager)
    assert "changes" in caught.value.errors
    broken = cast.draft(changes=[{"op": "remove", "ref": "7.7"}])
    with pytest.raises(ValidationFailed) as caught:
        fire(broken, "submit", cast.manager)
    assert "7.7" in caught.value.message
    assert reload(broken).state == AnnexState.DRAFT


def test_a_second_approval_of_the_same_side_does_not_count(cast):
    annex = cast.draft()
    fire(annex, "submit", cast.manager)
    fire(annex, "approve", cast.customer_approver)
    second_customer = _member(cast, "customer", "approver")
    with pytest.raises(Conflict):
        fire(annex, "approve", second_customer)
    assert reload(annex).state == AnnexState.IN_REVIEW
    assert db.session.scalar(sa.select(sa.func.count(AnnexApproval.id))) == 1


def test_required_sides_are_configurable_per_agreement(cast):
    cast.agreement.approval_sides = ["provider"]
    db.session.commit()
    annex = cast.draft()
    fire(annex, "submit", cast.manager)
    with pytest.raises(Forbidden):
        fire(annex, "approve", cast.customer_approver)
    assert fire(annex, "approve", cast.provider_approver).state == AnnexState.APPROVED


def test_request_changes_needs_a_comment_and_starts_a_new_round(cast):
    annex = cast.draft()
    fire(annex, "submit", cast.manager)
    fire(annex, "approve", cast.customer_approver)
    with pytest.raises(ValidationFailed) as caught:
        fire(annex, "request_changes", cast.provider_approver)
    assert "comment" in caught.value.errors
    fire(annex, "request_changes", cast.provider_approver, comment="Cap too high")
    assert reload(annex).state == AnnexState.CHANGES_REQUESTED
    fire(annex, "submit", cast.manager)
    assert fire(annex, "approve", cast.provider_approver).state == AnnexState.IN_REVIEW, (
        "the customer's approval of the earlier round does not count"
    )
    assert fire(annex, "approve", cast.customer_approver).state == AnnexState.APPROVED


def test_reject_is_final_and_later_events_answer_409_with_no_allowed_events(cast):
    annex = cast.draft()
    fire(annex, "submit", cast.manager)
    fire(annex, "reject", cast.customer_approver, comment="Not needed")
    with pytest.raises(Conflict) as caught:
        fire(annex, "submit", cast.manager)
    assert caught.value.allowed == []


def test_event_not_allowed_by_the_state_is_409_listing_what_is_allowed(cast):
    annex = cast.draft()
    with pytest.raises(Conflict) as caught:
        fire(annex, "approve", cast.customer_approver)
    assert caught.value.allowed == [], "an approver may do nothing to a draft"
    with pytest.raises(Conflict) as caught:
        fire(annex, "sign", cast.manager, password=PASSWORD)
    assert caught.value.allowed == ["submit", "withdraw"]


@pytest.mark.parametrize(
    ("event", "who"),
    [("submit", "customer_approver"), ("approve", "manager"), ("approve", "contributor")],
)
def test_event_not_allowed_by_the_role_is_403(cast, event, who):
    annex = cast.draft()
    if event == "approve":
        fire(annex, "submit", cast.manager)
    with pytest.raises(Forbidden):
        fire(annex, event, getattr(cast, who))


def test_signing_needs_the_right_password(cast):
    annex = cast.draft()
    fire(annex, "submit", cast.manager)
    fire(annex, "approve", cast.customer_approver)
    fire(annex, "approve", cast.provider_approver)
    with pytest.raises(ValidationFailed) as caught:
        fire(annex, "sign", cast.customer_approver, password="wrong")
    assert "password" in caught.value.errors
    assert db.session.scalar(sa.select(sa.func.count(AnnexSignature.id))) == 0


def test_withdraw_by_the_author_before_signing_but_not_after(cast):
    annex = cast.draft()
    assert fire(annex, "withdraw", cast.manager).state == AnnexState.WITHDRAWN
    other = cast.draft(title="Other")
    fire(other, "submit", cast.manager)
    fire(other, "approve", cast.customer_approver)
    fire(other, "approve", cast.provider_approver)
    fire(other, "sign", cast.customer_approver, password=PASSWORD)
    with pytest.raises(Conflict):
        fire(other, "withdraw", cast.manager)
    with pytest.raises(Forbidden):
        fire(cast.draft(title="Third"), "withdraw", cast.customer_approver)


def test_a_conflict_on_becoming_effective_sends_the_annex_back_and_applies_nothing(cast):
    first = cast.draft(changes=[{"op": "remove", "ref": "1.2"}], effective_date=dt.date(2026, 3, 1))
    second = cast.draft(
        changes=[{"op": "modify", "ref": "1.2", "fields": {"rate": "99"}}],
        effective_date=dt.date(2026, 4, 1),
    )
    for annex in (first, second):  # both reviewed while 1.2 still existed
        fire(annex, "submit", cast.manager)
        fire(annex, "approve", cast.customer_approver)
        fire(annex, "approve", cast.provider_approver)
    fire(first, "sign", cast.customer_approver, password=PASSWORD)
    fire(first, "sign", cast.provider_approver, password=PASSWORD)
    versions_before = db.session.scalar(sa.select(sa.func.count(ScopeVersion.id)))

    fire(second, "sign", cast.customer_approver, password=PASSWORD)
    result = fire(second, "sign", cast.provider_approver, password=PASSWORD)

    assert result.state == AnnexState.CHANGES_REQUESTED
    assert db.session.scalar(sa.select(sa.func.count(ScopeVersion.id))) == versions_before
    conflict = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "annex.conflict", AuditEvent.object_id == second.id
        )
    )
    assert "1.2" in conflict.comment and "does not exist" in conflict.comment


def test_a_callback_that_raises_leaves_nothing_changed(cast, monkeypatch):
    annex = cast.draft()
    fire(annex, "submit", cast.manager)
    fire(annex, "approve", cast.customer_approver)
    fire(annex, "approve", cast.provider_approver)
    fire(annex, "sign", cast.customer_approver, password=PASSWORD)
    versions_before = db.session.scalar(sa.select(sa.func.count(ScopeVersion.id)))

    def failing_record(*_args, **_kwargs):
        raise RuntimeError("the audit store failed")

    monkeypatch.setattr(services, "record", failing_record)
    with pytest.raises(RuntimeError):
        fire(annex, "sign", cast.provider_approver, password=PASSWORD)

    stored = reload(annex)
    assert stored.state == AnnexState.APPROVED
    assert stored.activation_seq is None
    assert db.session.scalar(sa.select(sa.func.count(AnnexSignature.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(ScopeVersion.id))) == versions_before


def test_every_event_writes_an_audit_event_with_states_and_comment(cast):
    annex = cast.draft()
    fire(annex, "submit", cast.manager)
    fire(annex, "request_changes", cast.customer_approver, comment="Please split it")
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == "annex", AuditEvent.object_id == annex.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["annex.created", "annex.submit", "annex.request_changes"]
    last = events[-1]
    assert last.changes["state"] == {"before": "in_review", "after": "changes_requested"}
    assert last.comment == "Please split it" and last.actor_id == cast.customer_approver.id


def test_events_do_not_grow_the_machine(cast):
    before = len(annex_workflow().machine.models)
    approve_and_sign(cast, cast.draft())
    assert len(annex_workflow().machine.models) == before


def _member(cast, side, role):
    from tests.factories import member_user

    return member_user(cast.agreement, side, role)


def test_outsiders_cannot_reach_an_annex_by_id(cast):
    from contracts_app.errors import NotFound
    from tests.factories import make_user

    annex = cast.draft()
    with pytest.raises(NotFound):
        services.annex_for(make_user(), annex.id)


def test_a_clause_change_in_the_annex_appears_in_its_diff(cast):
    from contracts_app.annexes.diffs import annex_diff

    annex = cast.draft(changes=[{"op": "add", "item": clause("3.1", title="New")}])
    assert [c["ref"] for c in annex_diff(annex)["added"]] == ["3.1"]
    approve_and_sign(cast, annex)
    assert [c["ref"] for c in annex_diff(reload(annex))["added"]] == ["3.1"], (
        "an effective annex's diff is against the scope before it"
    )


def _through_review(cast, annex):
    fire(annex, "submit", cast.manager)
    fire(annex, "approve", cast.customer_approver)
    fire(annex, "approve", cast.provider_approver)


def sign_both(cast, annex):
    fire(annex, "sign", cast.customer_approver, password=PASSWORD)
    return fire(annex, "sign", cast.provider_approver, password=PASSWORD)


def test_an_annex_reviewed_before_another_changed_its_clause_goes_back_instead_of_undoing_it(
    cast,
):
    day = dt.date(2026, 3, 1)
    cap = {"unit": "hours", "limit": "170", "period": "month"}
    older = cast.draft(
        changes=[{"op": "modify", "ref": "1.2", "fields": {"cap": cap}}], effective_date=day
    )
    _through_review(cast, older)  # reviewed as "the cap from 10 h to 170 h"
    later = {**cap, "limit": "173"}
    newer = cast.draft(
        changes=[{"op": "modify", "ref": "1.2", "fields": {"cap": later}}], effective_date=day
    )
    _through_review(cast, newer)
    assert sign_both(cast, newer).state == AnnexState.EFFECTIVE
    assert clause_map(scope_on(cast.agreement, day))["1.2"].cap.limit == 173

    result = sign_both(cast, older)

    # applied now, it would take the cap from 173 h to 170 h: not what was signed
    assert result.state == AnnexState.CHANGES_REQUESTED
    assert clause_map(scope_on(cast.agreement, day))["1.2"].cap.limit == 173
    conflict = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "annex.conflict", AuditEvent.object_id == older.id
        )
    )
    assert "clause 1.2 changed since the annex was reviewed" in conflict.comment
    # reviewed again against today's scope, it applies
    _through_review(cast, older)
    assert sign_both(cast, older).state == AnnexState.EFFECTIVE
    assert clause_map(scope_on(cast.agreement, day))["1.2"].cap.limit == 170


def test_an_annex_whose_clause_nobody_else_touched_applies_as_reviewed(cast):
    day = dt.date(2026, 3, 1)
    first = cast.draft(
        changes=[{"op": "modify", "ref": "1.2", "fields": {"rate": "95"}}], effective_date=day
    )
    other = cast.draft(
        changes=[{"op": "modify", "ref": "1.1", "fields": {"title": "Renamed"}}],
        effective_date=day,
    )
    for annex in (first, other):
        _through_review(cast, annex)
    assert sign_both(cast, other).state == AnnexState.EFFECTIVE
    assert sign_both(cast, first).state == AnnexState.EFFECTIVE
