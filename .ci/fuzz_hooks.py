"""Schemathesis hooks: the rules of the API that a JSON schema cannot state, applied to
the bodies the fuzzer generates so that valid-looking data is valid and reaches the logic.

Each rule is one the services enforce across fields (an end after its start, refs unique
within a list, the provider not the customer...). Only the generated data is adjusted; the
API still refuses, with a 422, every body that breaks them (each is a test of its own).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import schemathesis

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_counter = itertools.count(1)
# The demo's agreements run in 2026 and 2027: effective dates and task dates inside them.
_TERM_START, _TERM_DAYS = dt.date(2026, 3, 1), 300


def _real_day(value: Any) -> Any:
    """A date string the pattern allows but the calendar does not (2023-02-31): the 28th."""
    if isinstance(value, str) and (match := _DAY.match(value)):
        year, month, day = (int(part) for part in match.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            return f"{year:04d}-{month:02d}-28"
    return value


def _in_term(value: Any) -> Any:
    """A date inside the demo agreements' terms, keeping the generated day's variety."""
    if isinstance(value, str) and _DAY.match(value):
        day = dt.date.fromisoformat(_real_day(value))
        return (_TERM_START + dt.timedelta(days=day.toordinal() % _TERM_DAYS)).isoformat()
    return value


def _ordered(body: dict[str, Any], first: str, then: str) -> None:
    if isinstance(body.get(first), str) and isinstance(body.get(then), str):
        if body[then] <= body[first]:
            body[first], body[then] = body[then], body[first]
        if body[then] == body[first]:
            body.pop(then)


def _unique_refs(items: Any) -> None:
    if isinstance(items, list):
        seen: set[str] = set()
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("ref"), str):
                while item["ref"].lower() in seen:  # room for the suffix within 40
                    item["ref"] = f"{item['ref'][:30]}{next(_counter)}"
                seen.add(item["ref"].lower())


def _clause(clause: Any) -> None:
    if isinstance(clause, dict) and clause.get("kind") == "excluded":
        clause.pop("cap", None)  # an exclusion has no cap


def _service_level(level: Any) -> None:
    if not isinstance(level, dict):
        return
    applies = level.get("applies_to")
    if level.get("metric") == "availability":
        level.pop("target_hours", None)
        if isinstance(applies, dict) and not applies.get("systems"):
            applies["systems"] = ["fuzz-system"]
        elif applies is None:
            level["applies_to"] = {"systems": ["fuzz-system"]}
    elif "metric" in level and level.get("target_hours") is None:
        level["target_hours"] = "8.00"
    credits = level.get("credits")
    if isinstance(credits, list):
        seen: set[str] = set()
        level["credits"] = [
            tier
            for tier in credits
            if not isinstance(tier, dict)
            or not isinstance(tier.get("below_percent"), str)
            or (tier["below_percent"] not in seen and not seen.add(tier["below_percent"]))
        ]


def _ladder(levels: Any) -> None:
    if isinstance(levels, list):
        for number, level in enumerate(levels, start=1):
            if isinstance(level, dict):
                level["level"] = number  # levels are numbered 1, 2, ...
                level["members"] = {}


def _agreement(body: dict[str, Any]) -> None:
    for key in ("start_date", "end_date"):
        if key in body:
            body[key] = _real_day(body[key])
    _ordered(body, "start_date", "end_date")
    customer, provider = body.get("customer"), body.get("provider")
    same = isinstance(customer, str) and isinstance(provider, str)
    if same and customer.strip().casefold() == provider.strip().casefold():
        body["provider"] = f"{provider.strip()[:180]} Services"
    scope = body.get("scope")
    _unique_refs(scope)
    for clause in scope if isinstance(scope, list) else ():
        _clause(clause)
    levels = body.get("service_levels")
    _unique_refs(levels)
    for level in levels if isinstance(levels, list) else ():
        _service_level(level)
    _ladder(body.get("escalation_ladder"))


def _annex(body: dict[str, Any]) -> None:
    if "effective_date" in body:
        body["effective_date"] = _in_term(body["effective_date"])
    changes = body.get("changes")
    if isinstance(changes, list):
        items = [change.get("item") for change in changes if isinstance(change, dict)]
        _unique_refs([item for item in items if isinstance(item, dict)])
        for item in items:
            _clause(item)
        touched: set[Any] = set()
        kept = []
        for change in changes:  # a clause is changed once in an annex
            ref = change.get("ref") if isinstance(change, dict) else None
            if not isinstance(ref, str) or ref not in touched:
                kept.append(change)
                touched.add(ref)
        body["changes"] = kept


def _task(body: dict[str, Any]) -> None:
    if isinstance(body.get("ref"), str):
        body["ref"] = f"{body['ref'][:60]}-{next(_counter)}"  # a ticket is recorded once
    if "date" in body:
        body["date"] = _in_term(body["date"])
    for first, then in (("opened_at", "responded_at"), ("responded_at", "resolved_at")):
        _ordered_moments(body, first, then)


def _moment(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _ordered_moments(body: dict[str, Any], first: str, then: str) -> None:
    start, end = _moment(body.get(first)), _moment(body.get(then))
    if start is not None and end is not None and end <= start:
        body[then] = (start + dt.timedelta(hours=1)).isoformat()


def _query(query: dict[str, Any]) -> None:
    for key in ("as_of", "from", "to", "day"):
        if isinstance(query.get(key), str):
            query[key] = _in_term(query[key])


def _positive(case: Any) -> bool:
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return mode is None or getattr(mode, "value", mode) == "positive"


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """Every phase's cases (the coverage phase's too) pass through here."""
    operation = context.operation
    if operation is None or not _positive(case):
        return case  # a negative case breaks the schema on purpose: left as generated
    path, method = operation.path, operation.method.upper()
    if isinstance(case.query, dict):
        _query(case.query)
    body = case.body
    if not isinstance(body, dict):
        return case
    if path in ("/api/v1/agreements", "/api/v1/agreements/{code}"):
        _agreement(body)
    elif path.endswith("/annexes") or path == "/api/v1/annexes/{annex_id}":
        _annex(body)
    elif path.endswith("/tasks") and method == "POST":
        _task(body)
    elif path.endswith("/outages"):
        _ordered_moments(body, "started_at", "ended_at")
    return case
