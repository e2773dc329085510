"""The annex machine alone: transitions, conditions as the rules of the life cycle, the
events it offers to each person, and no objects kept."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from workflows.annex import (
    SYSTEM,
    Actor,
    AnnexEvent,
    AnnexFacts,
    annex_workflow,
    diagram_svg,
    refusal,
)
from workflows.annex_states import AnnexState

BOTH = frozenset({"customer", "provider"})
MANAGER = Actor(side="provider", role="manager", is_author=True)
CUSTOMER_APPROVER = Actor(side="customer", role="approver")
PROVIDER_APPROVER = Actor(side="provider", role="approver")
TODAY = dt.date(2026, 5, 1)


def annex(state: AnnexState) -> SimpleNamespace:
    return SimpleNamespace(state=state)


def facts(actor: Actor = MANAGER, **kwargs) -> AnnexFacts:
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("effective_date", TODAY)
    return AnnexFacts(actor=actor, required_sides=kwargs.pop("required_sides", BOTH), **kwargs)


def test_approval_waits_for_every_required_side():
    item = annex(AnnexState.IN_REVIEW)
    assert annex_workflow().fire(item, AnnexEvent.APPROVE, facts(CUSTOMER_APPROVER))
    assert item.state == AnnexState.IN_REVIEW
    annex_workflow().fire(
        item,
        AnnexEvent.APPROVE,
        facts(PROVIDER_APPROVER, approved_sides=frozenset({"customer"})),
    )
    assert item.state == AnnexState.APPROVED


@pytest.mark.parametrize(
    ("effective_date", "expected"),
    [(dt.date(2026, 5, 1), AnnexState.EFFECTIVE), (dt.date(2026, 5, 2), AnnexState.SCHEDULED)],
)
def test_signing_by_both_sides_makes_it_effective_or_scheduled_by_date(effective_date, expected):
    item = annex(AnnexState.APPROVED)
    annex_workflow().fire(
        item,
        AnnexEvent.SIGN,
        facts(
            PROVIDER_APPROVER,
            signed_sides=frozenset({"customer"}),
            effective_date=effective_date,
        ),
    )
    assert item.state == expected


def test_allowed_events_are_per_person_and_state():
    workflow = annex_workflow()
    assert workflow.allowed_events(AnnexState.DRAFT, facts(MANAGER)) == ["submit", "withdraw"]
    assert workflow.allowed_events(AnnexState.DRAFT, facts(CUSTOMER_APPROVER)) == []
    assert workflow.allowed_events(AnnexState.IN_REVIEW, facts(CUSTOMER_APPROVER)) == [
        "approve",
        "request_changes",
        "reject",
    ]
    assert workflow.allowed_events(AnnexState.APPROVED, facts(CUSTOMER_APPROVER)) == ["sign"]
    for final in (AnnexState.EFFECTIVE, AnnexState.REJECTED, AnnexState.WITHDRAWN):
        assert workflow.allowed_events(final, facts(MANAGER)) == []


def test_a_side_that_approved_or_signed_is_not_offered_the_event_again():
    workflow = annex_workflow()
    approved = facts(CUSTOMER_APPROVER, approved_sides=frozenset({"customer"}))
    assert "approve" not in workflow.allowed_events(AnnexState.IN_REVIEW, approved)
    signed = facts(CUSTOMER_APPROVER, signed_sides=frozenset({"customer"}))
    assert workflow.allowed_events(AnnexState.APPROVED, signed) == []


def test_withdraw_is_not_offered_after_a_signature():
    workflow = annex_workflow()
    assert "withdraw" in workflow.allowed_events(AnnexState.APPROVED, facts(MANAGER))
    signed = facts(MANAGER, signed_sides=frozenset({"provider"}))
    assert "withdraw" not in workflow.allowed_events(AnnexState.APPROVED, signed)


def test_nothing_is_offered_on_an_agreement_that_is_not_running():
    stopped = facts(MANAGER, agreement_running=False)
    assert annex_workflow().allowed_events(AnnexState.DRAFT, stopped) == ["withdraw"]
    approver = facts(CUSTOMER_APPROVER, agreement_running=False)
    assert annex_workflow().allowed_events(AnnexState.APPROVED, approver) == []


def test_an_approver_of_a_side_that_does_not_approve_is_offered_nothing():
    provider_only = facts(CUSTOMER_APPROVER, required_sides=frozenset({"provider"}))
    assert annex_workflow().allowed_events(AnnexState.IN_REVIEW, provider_only) == []


def test_administrators_may_submit_but_never_approve_for_a_side():
    admin = facts(Actor(is_admin=True))
    assert annex_workflow().allowed_events(AnnexState.DRAFT, admin) == ["submit", "withdraw"]
    assert annex_workflow().allowed_events(AnnexState.IN_REVIEW, admin) == ["withdraw"]


def test_refusals_say_whether_they_are_about_the_person():
    about_person, reason = refusal(AnnexState.IN_REVIEW, AnnexEvent.APPROVE, facts(MANAGER))
    assert about_person and "approver" in reason
    twice = facts(CUSTOMER_APPROVER, approved_sides=frozenset({"customer"}))
    about_person, reason = refusal(AnnexState.IN_REVIEW, AnnexEvent.APPROVE, twice)
    assert not about_person and "once per side" in reason


def test_only_the_system_activates_and_only_from_the_date():
    workflow = annex_workflow()
    assert not workflow.destination(AnnexState.SCHEDULED, AnnexEvent.ACTIVATE, facts(MANAGER))
    early = facts(SYSTEM, effective_date=TODAY + dt.timedelta(days=1))
    assert not workflow.destination(AnnexState.SCHEDULED, AnnexEvent.ACTIVATE, early)
    assert workflow.destination(AnnexState.SCHEDULED, AnnexEvent.ACTIVATE, facts(SYSTEM)) == (
        "effective"
    )


def test_an_event_the_state_does_not_allow_does_not_fire():
    from transitions import MachineError

    item = annex(AnnexState.DRAFT)
    with pytest.raises(MachineError):
        annex_workflow().fire(item, AnnexEvent.SIGN, facts(CUSTOMER_APPROVER))
    assert item.state == AnnexState.DRAFT


def test_the_machine_keeps_no_object_it_acted_on():
    workflow = annex_workflow()
    models_before = len(workflow.machine.models)
    for _ in range(200):
        item = annex(AnnexState.DRAFT)
        workflow.fire(item, AnnexEvent.SUBMIT, facts())
        assert item.state == AnnexState.IN_REVIEW
    assert len(workflow.machine.models) == models_before


def test_the_diagram_is_drawn_from_the_declaration_with_the_names_people_use():
    svg = diagram_svg()
    for state in AnnexState:
        assert f"<title>{state.value}</title>" in svg
    assert "Submit for approval" in svg and "every_side_signed" not in svg
