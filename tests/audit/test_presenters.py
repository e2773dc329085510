"""Audit events read as sentences: every event type the code writes, and the activity page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from contracts_app.agreements.models import InvitationState
from contracts_app.annexes.services import fire_event
from contracts_app.audit.models import AuditEvent
from contracts_app.audit.presenters import present
from contracts_app.db import utcnow
from tests.factories import approver_of, make_agreement, manager_of, signed_in
from workflows.agreement import AgreementEvent
from workflows.annex import AnnexEvent
from workflows.escalation import EscalationEvent
from workflows.task import TaskEvent

ROOT = Path(__file__).resolve().parents[2] / "contracts_app"
# The events a code like f"annex.{event.value}" stands for.
EXPANSIONS = {
    "annex": [e.value for e in AnnexEvent],
    "task": [e.value for e in TaskEvent],
    "agreement": [e.value for e in AgreementEvent],
    "escalation": [e.value for e in EscalationEvent],
    "invitation": [s.value for s in InvitationState if s != InvitationState.PENDING],
}
LEAKS = re.compile(r"[{}\[\]<>]|'\w+'|\b[a-z]+_[a-z_]+\b|\b[a-z_]+\.[a-z_]+\b|None|True|False")


def emitted_actions() -> set[str]:
    """Every event code passed to ``record(...)`` anywhere in the application."""
    actions: set[str] = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text()
        for match in re.finditer(r"\brecord\(\s*([^,]+),", text):
            for literal in re.findall(r'f?"([a-z_]+\.[a-z_{}.]+)"', match.group(1)):
                domain, _, verb = literal.partition(".")
                if "{" in verb:
                    actions.update(f"{domain}.{value}" for value in EXPANSIONS[domain])
                else:
                    actions.add(literal)
    return actions


def test_the_walk_finds_the_event_types_of_every_domain():
    actions = emitted_actions()
    for expected in ("annex.approve", "document.signed_off", "task.recorded", "user.created"):
        assert expected in actions
    assert len(actions) > 50


SAMPLE_CHANGES = {
    "state": {"before": "in_review", "after": "approved"},
    "status": {"before": "active", "after": "suspended"},
    "title": {"before": "Old title", "after": "New title"},
    "effective_date": {"before": None, "after": "2026-11-25"},
    "governance_rule": {"before": ["customer", "provider"], "after": ["provider"]},
    "escalation_ladder": {"before": None, "after": [{"level": 1, "name": "Leads"}]},
    "verdicts": {"before": {"INC-1": "in_scope"}, "after": {"INC-1": "over_cap"}},
    "is_active": {"before": True, "after": False},
}


@pytest.mark.parametrize("action", sorted(emitted_actions()))
def test_every_event_type_reads_as_a_sentence_without_codes_or_dicts(app, action):
    event = AuditEvent(
        action=action,
        object_type=action.split(".")[0],
        object_id=None,
        agreement_id=None,
        actor_id=None,
        occurred_at=utcnow(),
        changes=SAMPLE_CHANGES,
        comment="",
    )
    (line,) = present([event])
    text = " ".join([line.sentence, *line.details])
    assert "made a change to" not in line.sentence, f"{action} has no sentence of its own"
    assert not LEAKS.search(text.replace("“Old title”", "").replace("“New title”", "")), text
    assert line.sentence.endswith(".")


def test_an_unknown_event_type_falls_back_to_a_readable_sentence(app):
    event = AuditEvent(
        action="widget.frobnicated",
        object_type="widget",
        object_id=7,
        agreement_id=None,
        actor_id=None,
        occurred_at=utcnow(),
        changes={"colour": {"before": "red", "after": "blue"}},
        comment="",
    )
    (line,) = present([event])
    assert line.sentence == "The system made a change to something."
    assert line.details == ("changed the colour from red to blue",)


def test_the_activity_page_names_the_annex_by_number_and_agreement_not_by_id(client):
    agreement = make_agreement(code="AMS-2026-01")
    manager = manager_of(agreement)
    from contracts_app.agreements.access import membership_of
    from contracts_app.annexes.services import AnnexInput, create_annex
    from tests.factories import clause

    for number in range(1, 4):  # the annex's number and its id differ
        annex = create_annex(
            agreement,
            membership_of(manager, agreement.id),
            AnnexInput(
                title=f"Change {number}",
                effective_date=dt.date(2026, 3, 1),
                changes=[{"op": "add", "item": clause(f"5.{number}", title="New clause")}],
            ),
            manager,
        )
    today = dt.date(2026, 3, 1)
    fire_event(annex.id, "submit", manager, today=today)
    customer = approver_of(agreement, "customer")
    fire_event(annex.id, "approve", customer, today=today)
    signed_in(client, manager)
    page = " ".join(
        client.get(f"/agreements/{agreement.code}/activity").get_data(as_text=True).split()
    )
    assert (
        f"{customer.name} approved Annex 3 of AMS-2026-01 for the customer; "
        "still waiting for the provider to approve." in page
    )
    assert "annex.approve" not in page and "{&#39;" not in page and "{'" not in page
    assert f"annex {annex.id}" not in page


def test_a_changed_title_reads_as_from_and_to_in_quotes(app):
    event = AuditEvent(
        action="annex.updated",
        object_type="annex",
        object_id=None,
        agreement_id=None,
        actor_id=None,
        occurred_at=utcnow(),
        changes={
            "title": {"before": "X", "after": "Y"},
            "effective_date": {"before": "2026-10-01", "after": "2026-11-01"},
        },
        comment="",
    )
    (line,) = present([event])
    assert line.sentence == "The system edited the draft an annex."
    assert line.details == (
        "changed the title from \u201cX\u201d to \u201cY\u201d",
        "changed the effective date from 2026-10-01 to 2026-11-01",
    )
