"""Pagination for page views."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from flask import current_app, request

from contracts_app.sorting import Sorting


@dataclasses.dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_args() -> tuple[int, int]:
    """The page number from the query string (bad values fall back to the first page)."""
    try:
        number = max(1, min(int(request.args.get("page", "1")), 1_000_000))
    except ValueError:
        number = 1
    return number, current_app.config["PAGE_SIZE"]


def sort_arg(sorting: Sorting, name: str = "sort") -> str:
    """The list's order from ``sort=`` (or ``name=``, for a page's second table) in the
    query string; an unknown field falls back to the default order (a page shows its list
    rather than an error for a stale bookmark)."""
    return sorting.chosen(request.args.get(name))


def url_with(**changes: Any) -> str:
    """The current page's URL with some query arguments changed (for links in templates);
    an argument changed to None is left out."""
    from flask import url_for

    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = str(value)
    return url_for(request.endpoint or "agreements.index", **(request.view_args or {}), **args)
