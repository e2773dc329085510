"""The states of an annex; the machine that moves between them is in ``workflows.annex``."""

from __future__ import annotations

import enum


class AnnexState(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    EFFECTIVE = "effective"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


EDITABLE_STATES = frozenset({AnnexState.DRAFT, AnnexState.CHANGES_REQUESTED})
FINAL_STATES = frozenset({AnnexState.EFFECTIVE, AnnexState.REJECTED, AnnexState.WITHDRAWN})
