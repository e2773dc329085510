"""How much of a clause's cap is used: from the database, or from a ledger in bulk paths."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa

from contracts_app.db import db
from contracts_app.enums import CapUnit
from contracts_app.tasks.models import Task
from contracts_app.tasks.verdicts import ZERO, UsageLookup
from workflows.task_states import COUNTED_STATES


def _measure(unit: CapUnit) -> sa.ColumnElement:
    if unit == CapUnit.HOURS:
        return sa.func.coalesce(sa.func.sum(Task.hours), 0)
    if unit == CapUnit.AMOUNT:
        return sa.func.coalesce(sa.func.sum(Task.amount), 0)
    return sa.func.count(Task.id)


def database_usage(agreement_id: int, exclude_task_id: int | None = None) -> UsageLookup:
    """Usage read with one aggregate query per clause and period (single checks)."""

    def lookup(ref: str, unit: CapUnit, start: dt.date, end: dt.date | None) -> Decimal:
        query = sa.select(_measure(unit)).where(
            Task.agreement_id == agreement_id,
            Task.clause_ref == ref,
            Task.state.in_(COUNTED_STATES),
            Task.day >= start,
        )
        if end is not None:
            query = query.where(Task.day < end)
        if exclude_task_id is not None:
            query = query.where(Task.id != exclude_task_id)
        return Decimal(db.session.scalar(query) or 0)

    return lookup


class UsageLedger:
    """Usage for bulk checks: loaded once per agreement, then kept up to date in memory.

    ``days`` per clause hold (hours, amount, count) per day; totals per (clause, unit,
    period) are computed on first use and incremented as checked tasks are added.
    """

    def __init__(self, agreement_id: int, before: dt.date | None = None) -> None:
        query = (
            sa.select(
                Task.clause_ref,
                Task.day,
                sa.func.coalesce(sa.func.sum(Task.hours), 0),
                sa.func.coalesce(sa.func.sum(Task.amount), 0),
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
        self.days: dict[str, dict[dt.date, list[Decimal]]] = defaultdict(dict)
        for ref, day, hours, amount, count in db.session.execute(query):
            self.days[ref][day] = [Decimal(hours), Decimal(amount), Decimal(count)]
        self.totals: dict[tuple, Decimal] = {}
        self.keys_by_ref: dict[str, list[tuple]] = defaultdict(list)

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
        """Count a task that now counts against ``ref``."""
        values = (hours or ZERO, amount or ZERO, Decimal(1))
        slots = self.days[ref].setdefault(day, [ZERO, ZERO, ZERO])
        for i in range(3):
            slots[i] += values[i]
        for key in self.keys_by_ref.get(ref, ()):
            _ref, unit, start, end = key
            if day >= start and (end is None or day < end):
                self.totals[key] += values[self._slot(unit)]
