"""The annex machine alone: transitions, conditions, and no objects kept."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from workflows.annex import AnnexEvent, AnnexFacts, annex_workflow, diagram_svg
from workflows.annex_states import AnnexState

BOTH = frozenset({"customer", "provider"})


def annex(state: AnnexState) -> SimpleNamespace:
    return SimpleNamespace(state=state)


def facts(**kwargs) -> AnnexFacts:
    return AnnexFacts(required_sides=BOTH, **kwargs)


def test_approval_waits_for_every_required_side():
    item = annex(AnnexState.IN_REVIEW)
    assert annex_workflow().fire(
        item, AnnexEvent.APPROVE, facts(approved_sides=frozenset({"customer"}))
    )
    assert item.state == AnnexState.IN_REVIEW
    annex_workflow().fire(item, AnnexEvent.APPROVE, facts(approved_sides=BOTH))
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
        facts(signed_sides=BOTH, effective_date=effective_date, today=dt.date(2026, 5, 1)),
    )
    assert item.state == expected


def test_allowed_events_per_state():
    workflow = annex_workflow()
    assert workflow.allowed_events(AnnexState.DRAFT) == ["submit", "withdraw"]
    assert workflow.allowed_events(AnnexState.IN_REVIEW) == [
        "approve",
        "request_changes",
        "reject",
        "withdraw",
    ]
    assert workflow.allowed_events(AnnexState.APPROVED) == ["withdraw", "sign"]
    for final in (AnnexState.EFFECTIVE, AnnexState.REJECTED, AnnexState.WITHDRAWN):
        assert workflow.allowed_events(final) == []


def test_an_event_the_state_does_not_allow_raises():
    from transitions import MachineError

    with pytest.raises(MachineError):
        annex_workflow().fire(annex(AnnexState.DRAFT), AnnexEvent.APPROVE, facts())


def test_the_machine_keeps_no_object_it_acted_on():
    workflow = annex_workflow()
    models_before = len(workflow.machine.models)
    for _ in range(200):
        item = annex(AnnexState.DRAFT)
        workflow.fire(item, AnnexEvent.SUBMIT, facts())
    assert len(workflow.machine.models) == models_before


def test_the_diagram_is_drawn_from_the_declared_machine():
    svg = diagram_svg()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    for state in AnnexState:
        assert f"<title>{state.value}</title>" in svg
