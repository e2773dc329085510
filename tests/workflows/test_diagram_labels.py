"""Every machine's diagram speaks as people do: event names and short phrases for guards."""

from __future__ import annotations

import re

import pytest

from workflows import agreement, annex, escalation, task

MACHINES = [annex, agreement, escalation, task]


def edge_labels(svg: str) -> list[str]:
    return [
        text
        for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        if text[:1].isupper()  # states are drawn by their lower-case names
    ]


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.__name__)
def test_no_diagram_label_shows_a_condition_or_event_code(machine):
    labels = edge_labels(machine.diagram_svg())
    assert labels, "the diagram has labelled edges"
    text = " ".join(labels)
    assert "[" not in text and "&amp;" not in text and "&" not in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text


def test_the_annex_diagram_says_when_signing_makes_it_effective():
    labels = edge_labels(annex.diagram_svg())
    assert "Sign \u2014 when every side has signed and the effective date has come" in labels
    assert "Takes effect \u2014 once the effective date has come" in labels
    assert "Withdraw \u2014 before any signature" in labels


def test_the_agreement_diagram_names_confirmations_by_what_was_asked():
    text = " ".join(edge_labels(agreement.diagram_svg()))
    assert "Confirm \u2014 when the other side has asked to suspend" in text
    assert "Expires \u2014 after the end of the term" in text


def test_the_escalation_and_task_diagrams_use_the_buttons_names():
    assert "Reopen \u2014 within 30 days of its resolution" in edge_labels(escalation.diagram_svg())
    assert "Turn into a draft annex" in " ".join(edge_labels(task.diagram_svg()))
