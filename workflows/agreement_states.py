"""The statuses of an agreement; the machine that moves between them is in
``workflows.agreement``."""

from __future__ import annotations

import enum


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    TERMINATED = "terminated"


# Statuses in which the agreement is running: annexes apply, tasks may be covered.
RUNNING_STATUSES = frozenset({AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED})
