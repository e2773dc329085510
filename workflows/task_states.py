"""The states of a task; the verdict states come from the scope check."""

from __future__ import annotations

import enum


class Verdict(enum.StrEnum):
    IN_SCOPE = "in_scope"
    OVER_CAP = "over_cap"
    OUT_OF_SCOPE = "out_of_scope"
    NEEDS_REVIEW = "needs_review"


class TaskState(enum.StrEnum):
    IN_SCOPE = "in_scope"
    OVER_CAP = "over_cap"
    OUT_OF_SCOPE = "out_of_scope"
    NEEDS_REVIEW = "needs_review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ESCALATED = "escalated"
    ANNEX_PROPOSED = "annex_proposed"


VERDICT_STATES = frozenset(TaskState(v.value) for v in Verdict)
# States a re-check may move (a person's decision is never overridden silently).
RECHECKED_STATES = VERDICT_STATES | {TaskState.ANNEX_PROPOSED}
# Tasks that count against a clause's cap.
COUNTED_STATES = frozenset({TaskState.IN_SCOPE, TaskState.ACCEPTED})
