"""How much of a clause's cap is used, for walks over many tasks in canonical order."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal

import sqlalchemy as sa

from contracts_app.db import db
from contracts_app.enums import CapUnit
from contracts_app.tasks.models import Task
from contracts_app.tasks.verdicts import ZERO
from workflows.task_states import COUNTED_STATES


class UsageLedger:
    """Use of caps for a walk: loaded once, then kept up to date in memory.

    It starts with the counted tasks dated before ``before`` (all of them when None),
    of the clauses ``refs`` (all when None); a walk in canonical order adds each task
    that counts as it passes, so a lookup always sums the tasks ordered before the one
    being checked. ``days`` per clause hold (hours, amount, count) per day; totals per
    (clause, unit, period) are computed on first use and incremented as tasks are added.
    An amount cap counts a task's amount, or the amount priced at the clause's rate.
    """

    def __init__(
        self,
        agreement_id: int,
        before: dt.date | None = None,
        refs: Collection[str] | None = None,
    ) -> None:
        self.days: dict[str, dict[dt.date, list[Decimal]]] = defaultdict(dict)
        self.totals: dict[tuple, Decimal] = {}
        self.keys_by_ref: dict[str, list[tuple]] = defaultdict(list)
        if refs is not None and not refs:
            return
        query = (
            sa.select(
                Task.clause_ref,
                Task.day,
                sa.func.coalesce(sa.func.sum(Task.hours), 0),
                sa.func.coalesce(sa.func.sum(sa.func.coalesce(Task.amount, Task.priced_amount)), 0),
                sa.func.count(Task.id),
            )
            .where(
                Task.agreement_id == agreement_id,
                Task.state.in_(COUNTED_STATES),
                Task.clause_ref.is_not(None),
            )
            .group_by(Task.clause_ref, Task.day)
        )
        if before is not None:
            query = query.where(Task.day < before)
        if refs is not None:
            query = query.where(Task.clause_ref.in_(list(refs)))
        for ref, day, hours, amount, count in db.session.execute(query):
            self.days[ref][day] = [Decimal(hours), Decimal(amount), Decimal(count)]

    @staticmethod
    def _slot(unit: CapUnit) -> int:
        return {CapUnit.HOURS: 0, CapUnit.AMOUNT: 1, CapUnit.COUNT: 2}[unit]

    def __call__(self, ref: str, unit: CapUnit, start: dt.date, end: dt.date | None) -> Decimal:
        key = (ref, unit, start, end)
        total = self.totals.get(key)
        if total is None:
            slot = self._slot(unit)
            total = sum(
                (
                    values[slot]
                    for day, values in self.days.get(ref, {}).items()
                    if day >= start and (end is None or day < end)
                ),
                ZERO,
            )
            self.totals[key] = total
            self.keys_by_ref[ref].append(key)
        return total

    def add(self, ref: str, day: dt.date, hours: Decimal | None, amount: Decimal | None) -> None:
        """Count a task that now counts against ``ref`` (``amount``: what it counts as)."""
        values = (hours or ZERO, amount or ZERO, Decimal(1))
        slots = self.days[ref].setdefault(day, [ZERO, ZERO, ZERO])
        for i in range(3):
            slots[i] += values[i]
        for key in self.keys_by_ref.get(ref, ()):
            _ref, unit, start, end = key
            if day >= start and (end is None or day < end):
                self.totals[key] += values[self._slot(unit)]
