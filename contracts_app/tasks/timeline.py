"""The compiled scope for any day of an agreement, for checks of many tasks at once."""

from __future__ import annotations

import bisect
import datetime as dt

import sqlalchemy as sa

from contracts_app.agreements.models import Agreement
from contracts_app.db import db
from contracts_app.scope.models import ScopeVersion
from contracts_app.tasks.scope_index import index_for
from contracts_app.tasks.verdicts import ScopeIndex, Term


def term_of(agreement: Agreement) -> Term:
    """The term with the agreement's present status (periods and charts; checks take
    the status on the task's date from the verdict pipeline)."""
    return Term(
        agreement.start_date, agreement.term_end(), agreement.status.value, agreement.currency
    )


class ScopeTimeline:
    """The current versions of one agreement, loaded once; ``on(day)`` bisects them."""

    def __init__(self, agreement: Agreement) -> None:
        self.versions = list(
            db.session.scalars(
                sa.select(ScopeVersion)
                .where(
                    ScopeVersion.agreement_id == agreement.id,
                    ScopeVersion.superseded_at.is_(None),
                )
                .order_by(ScopeVersion.valid_from)
            ).all()
        )
        self.starts = [v.valid_from for v in self.versions]
        self._compiled: dict[int, ScopeIndex] = {}  # per version, for walks over many days

    def on(self, day: dt.date) -> ScopeIndex | None:
        position = bisect.bisect_right(self.starts, day) - 1
        if position < 0:
            return None
        version = self.versions[position]
        if not version.contains(day):
            return None
        compiled = self._compiled.get(position)
        if compiled is None:
            compiled = self._compiled[position] = index_for(version)
        return compiled
