"""Schemathesis hooks: the rules of the API that a JSON schema cannot state, applied to
the bodies the fuzzer generates so that valid-looking data is valid and reaches the logic.

Each rule is one the services enforce across fields (an end after its start, refs unique
within a list, the provider not the customer...). Only the generated data is adjusted; the
API still refuses, with a 422, every body that breaks them (each is a test of its own).
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import schemathesis

from contracts_app.agreements.services import DRAFT_ONLY_FIELDS, GOVERNANCE_FIELDS

# The demo's running agreement (the config pins operations on an agreement to it): what
# changes only by annex once an agreement is in force is refused when edited in place.
_IN_FORCE = {"AMS-2026-01"}
FROZEN_ONCE_IN_FORCE = (*DRAFT_ONLY_FIELDS, *GOVERNANCE_FIELDS)

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_counter = itertools.count(1)
# The demo's agreements run in 2026 and 2027: effective dates and task dates inside them.
_TERM_START, _TERM_DAYS = dt.date(2026, 3, 1), 300
# Tasks recorded during the run and not yet decided: what a bulk decision decides.
_undecided: collections.deque[int] = collections.deque(maxlen=1000)
_VERDICT_STATES = {"in_scope", "over_cap", "out_of_scope", "needs_review"}
# Escalations as their last answer showed them to the provider's manager, who raises and
# answers them in the run: id -> the answer (state, level, task, allowed_events).
_escalations: dict[int, dict[str, Any]] = {}
_ESCALATION_EVENTS = "/api/v1/escalations/{escalation_id}/events"
# The demo accounts' password (contracts_app/demo.py): signing off asks for the signer's.
_DEMO_PASSWORD = "demo-password"


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
        seen: set[Decimal] = set()
        kept = []
        for tier in credits:  # one tier per threshold ("95" and "95.0" are one)
            below = tier.get("below_percent") if isinstance(tier, dict) else None
            try:
                number = Decimal(below) if isinstance(below, str) else None
            except ArithmeticError:
                number = None
            if number is None or number not in seen:
                kept.append(tier)
            if number is not None:
                seen.add(number)
        level["credits"] = kept


def _ladder(levels: Any) -> None:
    if isinstance(levels, list):
        for number, level in enumerate(levels, start=1):
            if isinstance(level, dict):
                level["level"] = number  # levels are numbered 1, 2, ...
                level["members"] = {}


def _agreement(body: dict[str, Any]) -> None:
    if isinstance(body.get("code"), str):  # an agreement's code is given once
        body["code"] = f"{body['code'][:32]}-{next(_counter)}"
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
        for change in changes:  # a modify's fields are a clause's
            if isinstance(change, dict):
                _clause(change.get("fields"))
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


def _whole_numbers(value: Any) -> Any:
    """1.0 as 1: a JSON schema's integer allows both, the API reads integers strictly."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    return value


def _decisions(body: dict[str, Any]) -> None:
    if isinstance(body.get("tasks"), list) and _undecided:
        body["tasks"] = [_undecided.popleft()]  # ids of tasks that exist and await a decision
    if body.get("event") == "escalate" and not str(body.get("comment") or "").strip():
        body["comment"] = "Not covered, we think: the managers decide."  # escalate says why


def _import(case: Any) -> None:
    """A file the import reads: a header row and one new ticket in the API's own columns.
    An import through a profile reads a ticketing tool's export (the tests cover those), and
    a preview (dry_run) is one of a profile's, so neither is asked for here."""
    if isinstance(case.query, dict):
        case.query.pop("profile", None)
        case.query["dry_run"] = False
    day = _in_term("2026-01-01")
    text = f"ref,title,date\nIMP-{next(_counter)},Imported ticket,{day}\n"
    if isinstance(case.body, dict):
        case.body["file"] = text.encode()
    else:
        case.body = text


def _escalation_event(case: Any, body: dict[str, Any]) -> None:
    """An event the escalation allows its answerer now, on one the run has seen: any other
    is a 409 or a 403 (the tests cover them). A decision goes only with a resolution
    proposed on a task's escalation; the level is the one seen; most events need a message."""
    if not str(body.get("message") or "").strip():
        body["message"] = "Our view, for the record."
    parameters = case.path_parameters if isinstance(case.path_parameters, dict) else {}
    seen = _escalations.get(parameters.get("escalation_id"))
    if seen is None or not seen.get("allowed_events"):
        candidates = [e for e in _escalations.values() if e.get("allowed_events")]
        if not candidates:
            return
        seen = candidates[next(_counter) % len(candidates)]
        parameters["escalation_id"] = seen["id"]
    allowed = seen["allowed_events"]
    if body.get("event") not in allowed:
        body["event"] = allowed[next(_counter) % len(allowed)]
    if body.get("event") != "propose_resolution" or seen.get("task") is None:
        body.pop("decision", None)
    if body.get("level") is not None:
        body["level"] = seen.get("level")


def _valid_zone(zone: Any) -> bool:
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _profile(body: dict[str, Any]) -> None:
    """A profile names the ref, title and date (or opened_at) columns: a csv profile has no
    preset for them, and a null column drops the preset's."""
    if not isinstance(body.get("timezone"), str) or not _valid_zone(body["timezone"]):
        body["timezone"] = "Europe/Warsaw"
    columns = body.get("columns")
    if not isinstance(columns, dict):
        columns = body["columns"] = {}
    plain = body.get("source") == "csv"
    for field in ("ref", "title"):
        if columns.get(field) is None and (plain or field in columns):
            columns[field] = field.capitalize()
    dated = columns.get("date") is not None or columns.get("opened_at") is not None
    if not dated and (plain or "opened_at" in columns):
        columns["date"] = "Date"


def _positive(case: Any) -> bool:
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return mode is None or getattr(mode, "value", mode) == "positive"


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """Every generated case passes through here (the coverage phase's too; the examples
    phase's through ``before_add_examples``)."""
    operation = context.operation
    if operation is None or not _positive(case):
        return case  # a negative case breaks the schema on purpose: left as generated
    path, method = operation.path, operation.method.upper()
    # no text of the API holds a NUL character (refused before any handler, as PostgreSQL
    # cannot store it): a rule of every string, which the schemas do not repeat
    case.body = _without_nul(case.body)
    if isinstance(case.query, dict):
        case.query = _without_nul(case.query)
        _query(case.query)
    if path.endswith("/tasks/import"):
        _import(case)
        return case
    if isinstance(case.body, (dict, list)):
        case.body = _whole_numbers(case.body)
    body = case.body
    if not isinstance(body, dict):
        return case
    if path in ("/api/v1/agreements", "/api/v1/agreements/{code}"):
        _agreement(body)
        if method == "PATCH" and (case.path_parameters or {}).get("code") in _IN_FORCE:
            for field in FROZEN_ONCE_IN_FORCE:  # changed by annex only, once in force
                body.pop(field, None)
    elif path.endswith("/annexes") or path == "/api/v1/annexes/{annex_id}":
        _annex(body)
    elif path.endswith("/tasks") and method == "POST":
        _task(body)
    elif path.endswith("/tasks/decisions"):
        _decisions(body)
    elif path.endswith("/import-profiles/{name}") and method == "PUT":
        _profile(body)
    elif path.endswith("/outages"):
        _ordered_moments(body, "started_at", "ended_at")
    elif path.endswith("/sign-off"):
        body["password"] = _DEMO_PASSWORD
    elif path == _ESCALATION_EVENTS:
        _escalation_event(case, body)
    elif path in _NAMES_WHAT_IT_ANSWERS:
        events, field = _NAMES_WHAT_IT_ANSWERS[path]
        if body.get("event") in events and body.get(field) is None:
            body[field] = 1  # named, if not the open one: a 409, past the validation
    return case


# Answers that name what they answer: a status change's request, an annex's review round.
_NAMES_WHAT_IT_ANSWERS = {
    "/api/v1/agreements/{code}/events": (("confirm", "decline"), "change"),
    "/api/v1/annexes/{annex_id}/events": (("approve", "sign"), "review_round"),
}


@schemathesis.hook
def before_add_examples(context: Any, examples: list[Any]) -> None:
    """The examples phase's cases, built from the documented examples, follow the same rules."""
    for index, case in enumerate(examples):
        examples[index] = map_case(context, case)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    """Remember the tasks recorded that await a decision, and the escalations raised and
    answered with what they now allow."""
    operation = context.operation
    if operation is None or response.status_code not in (200, 201):
        return
    path, method = operation.path, operation.method.upper()
    recorded_task = path.endswith("/tasks") and response.status_code == 201
    escalation = path.endswith("/{code}/escalations") or path == _ESCALATION_EVENTS
    if method != "POST" or not (recorded_task or escalation):
        return
    try:
        answer = response.json()
    except ValueError:
        return
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), int):
        return
    if recorded_task and answer.get("state") in _VERDICT_STATES:
        _undecided.append(answer["id"])
    elif escalation:
        _escalations[answer["id"]] = answer
