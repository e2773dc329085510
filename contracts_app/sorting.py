"""Sorting of lists: ``sort=<field>`` ascending, ``sort=-<field>`` descending.

Each list declares the fields a person may sort by (a whitelist, so a query string never
names a column the list did not offer) and its default order. The order always ends on a
unique column, so two rows that tie on the chosen field keep one order from page to page.
Nothing here reads the request: services take the ``sort`` text like any other filter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from contracts_app.errors import ValidationFailed


@dataclasses.dataclass(frozen=True)
class Sorting:
    """The sortable fields of one list, by the name used in ``sort=``."""

    columns: Mapping[str, Any]
    default: str
    tiebreaker: Any
    # The list's own order when ``sort`` is not given and ``default`` is empty, for orders
    # no single column gives (notifications: unread first, then newest).
    default_order: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        assert self.default.lstrip("-") in self.columns or self.default_order, self.default

    @property
    def fields(self) -> list[str]:
        return list(self.columns)

    @property
    def choices(self) -> list[str]:
        """Every accepted value of ``sort``: each field, ascending and descending."""
        return [f"{sign}{name}" for name in self.columns for sign in ("", "-")]

    @property
    def refusal(self) -> str:
        return f"Sort by one of: {', '.join(self.columns)}; put - before a field for descending."

    def is_valid(self, text: str | None) -> bool:
        return text in self.choices

    def chosen(self, text: str | None) -> str:
        """``text`` if it names a sortable field, otherwise the default (for pages; empty
        for a list whose default order is no single column)."""
        return text if text and self.is_valid(text) else self.default

    def order_by(self, text: str | None) -> list[Any]:
        """ORDER BY clauses for ``text`` (the default when empty).

        Refuses a field the list does not offer with a ``sort`` error naming the allowed ones.
        """
        text = text or self.default
        if not text:
            return list(self.default_order)
        if not self.is_valid(text):
            raise ValidationFailed({"sort": [self.refusal]})
        descending = text.startswith("-")
        column = self.columns[text.lstrip("-")]
        first = column.desc() if descending else column.asc()
        tie = self.tiebreaker.desc() if descending else self.tiebreaker.asc()
        return [first.nulls_last(), tie]


def lower(column: Any) -> Any:
    """Text sorted without regard to case, alike on SQLite and PostgreSQL."""
    return sa.func.lower(column)
