"""The scope check: an explained verdict for one task against one scope version.

Pure: the caller gives the scope (a compiled ``ScopeIndex``), the agreement's term
and status, and a function that tells how much of a clause's cap is already used.
The rules are documented with worked examples in docs/scope-rules.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts_app import formatting
from contracts_app.enums import CapPeriod, CapUnit, ClauseKind
from contracts_app.figures import currency_scale, decimal_text
from contracts_app.scope.clauses import ClauseSpec, per_task_unit, ref_sort_key
from workflows.task_states import Verdict

RELEVANCE_THRESHOLD = 0.25
TOP_CANDIDATES = 3
ZERO = Decimal("0")

# (clause ref, cap unit, period start, period end exclusive or None) -> amount used
UsageLookup = Callable[[str, CapUnit, dt.date, dt.date | None], Decimal]

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "that",
        "this",
        "are",
        "was",
        "were",
        "has",
        "have",
        "not",
        "all",
        "any",
        "our",
        "your",
        "their",
        "per",
        "via",
        "out",
        "off",
        "new",
        "old",
        "its",
    ]
)


@dataclasses.dataclass(frozen=True)
class TaskFacts:
    """What the check reads of a task (stored or not)."""

    title: str
    day: dt.date
    description: str = ""
    category: str | None = None
    system: str | None = None
    hours: Decimal | None = None
    amount: Decimal | None = None
    task_id: int | None = None
    # why an imported ticket waits for review whatever the scope says (unmapped values)
    unmapped: tuple[str, ...] = ()


@dataclasses.dataclass
class CheckResult:
    verdict: Verdict
    clause: str | None
    scope_version: int | None
    reasons: list[str]
    candidates: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    cap: dict[str, Any] | None = None
    # hours x the clause's rate, when an amount cap priced a task that gave no amount
    priced_amount: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "clause": self.clause,
            "scope_version": self.scope_version,
            "reasons": self.reasons,
            "candidates": self.candidates,
            "cap": self.cap,
            "priced_amount": decimal_text(self.priced_amount),
        }


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOPWORDS}


@dataclasses.dataclass(frozen=True)
class ClauseText:
    ref: str
    kind: ClauseKind
    words: frozenset[str]
    keywords: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ScopeIndex:
    """One scope version compiled for fast checks (built once per version and cached)."""

    version: int
    clauses: Mapping[str, ClauseSpec]
    by_category: Mapping[str, tuple[ClauseSpec, ...]]
    texts: tuple[ClauseText, ...]
    order: Mapping[str, int]  # natural order of refs, precomputed for ranking
    # systems of each clause, case-folded: ticket tools export "Shop-API" or "shop-api"
    systems: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)

    @classmethod
    def build(cls, version: int, clauses: Mapping[str, ClauseSpec]) -> ScopeIndex:
        by_category: dict[str, list[ClauseSpec]] = {}
        for spec in clauses.values():
            for code in spec.categories:
                by_category.setdefault(code.lower(), []).append(spec)
        texts = tuple(
            ClauseText(
                ref=spec.ref,
                kind=spec.kind,
                words=frozenset(_words(f"{spec.title} {spec.description}")),
                keywords=tuple(k.lower() for k in spec.keywords),
            )
            for spec in clauses.values()
        )
        ordered = sorted(clauses, key=ref_sort_key)
        return cls(
            version,
            dict(clauses),
            {k: tuple(v) for k, v in by_category.items()},
            texts,
            {ref: position for position, ref in enumerate(ordered)},
            {
                spec.ref: frozenset(system.casefold() for system in spec.systems)
                for spec in clauses.values()
            },
        )


@dataclasses.dataclass(frozen=True)
class Term:
    """The agreement's term, its status on the task's date, and its currency."""

    start: dt.date
    end: dt.date | None
    status: str
    currency: str = "EUR"


def cap_period(period: CapPeriod, day: dt.date, term: Term) -> tuple[dt.date, dt.date | None, str]:
    """The calendar period of ``day`` for a cap: [start, end) and a label."""
    if period == CapPeriod.MONTH:
        start = day.replace(day=1)
        end = _first_day(day.year + (day.month == 12), day.month % 12 + 1)
        return start, end, f"{day:%Y-%m}"
    if period == CapPeriod.QUARTER:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first_month, 1)
        end = _first_day(day.year + (first_month == 10), (first_month + 2) % 12 + 1)
        return start, end, f"{day.year}-Q{(first_month - 1) // 3 + 1}"
    if period == CapPeriod.YEAR:
        return dt.date(day.year, 1, 1), _first_day(day.year + 1, 1), str(day.year)
    end = term.end + dt.timedelta(days=1) if term.end and term.end < dt.date.max else None
    return term.start, end, "term"


def _first_day(year: int, month: int) -> dt.date | None:
    """The first day of a month; None (open-ended) past the last year a date can hold."""
    return dt.date(year, month, 1) if year <= dt.MAXYEAR else None


def quantity(unit: CapUnit, task: TaskFacts) -> Decimal | None:
    """What the task adds to a cap of ``unit``; None when the task does not say."""
    if unit == CapUnit.COUNT:
        return Decimal(1)
    if unit == CapUnit.HOURS:
        return task.hours
    return task.amount


def _money(value: Decimal) -> str:
    """A figure as exact text: never rounded for display either."""
    return decimal_text(value) or ""


def priced_reason(hours: Decimal, clause: ClauseSpec, term: Term, price: Decimal) -> str:
    """Why a task that gave hours only counts an amount: its hours at the clause's rate,
    with the exact product when rounding to the minor unit changed it."""
    exact = hours * clause.rate  # type: ignore[operator]
    with formatting.in_english():
        text = (
            f"No amount was given: {formatting.measure(hours, CapUnit.HOURS)} at "
            f"{formatting.money(clause.rate, term.currency)} an hour, the rate of clause "
            f"{clause.ref}, is priced {formatting.money(price, term.currency)}"
        )
        if exact != price:
            return f"{text} ({formatting.money(exact, term.currency)} exactly, rounded half up)."
    return f"{text}."


def _measure(value: Decimal, unit: CapUnit, clause: ClauseSpec, term: Term) -> str:
    """A figure of the clause's cap or per-task limit with its unit, as the pages write it
    ("9.50 h", "EUR 480.00", "4 releases"); in English, since a reason is stored once
    and read by everyone (and no request is needed to write it)."""
    with formatting.in_english():
        return formatting.measure(value, unit, term.currency, *formatting.unit_labels(clause.cap))


def covering_depth(spec: ClauseSpec, category: str) -> int:
    """How specific the clause's most specific covering code is (0 = does not cover)."""
    category = category.lower()
    depth = 0
    for code in spec.categories:
        if category == code or category.startswith(code + "."):
            depth = max(depth, code.count(".") + 1)
    return depth


def _covering(index: ScopeIndex, category: str) -> dict[str, tuple[ClauseSpec, int]]:
    """The clauses covering ``category``, each with its most specific covering depth."""
    parts = category.lower().split(".")
    found: dict[str, tuple[ClauseSpec, int]] = {}
    for n in range(1, len(parts) + 1):
        for spec in index.by_category.get(".".join(parts[:n]), ()):
            found[spec.ref] = (spec, n)  # later (deeper) prefixes overwrite shallower ones
    return found


def text_scores(index: ScopeIndex, task: TaskFacts) -> list[tuple[float, ClauseText, list[str]]]:
    """Relevance of each clause to the task's words: keyword phrases weigh most."""
    text = f" {' '.join(_WORD.findall(f'{task.title} {task.description}'.lower()))} "
    words = _words(text)
    scored = []
    for clause in index.texts:
        hits = [k for k in clause.keywords if f" {' '.join(_WORD.findall(k))} " in text]
        overlap = len(words & clause.words) / len(words) if words else 0.0
        score = min(1.0, 0.5 * len(hits) + 0.5 * overlap)
        if score > 0:
            scored.append((round(score, 2), clause, hits))
    scored.sort(key=lambda item: (-item[0], ref_sort_key(item[1].ref)))
    return scored


def check(
    task: TaskFacts,
    index: ScopeIndex | None,
    term: Term,
    usage: UsageLookup,
) -> CheckResult:
    """The verdict for ``task`` under the scope ``index`` (the one valid on its day)."""
    if task.day < term.start or (term.end is not None and task.day > term.end) or index is None:
        end = term.end.isoformat() if term.end else "open-ended"
        when = "before the start" if task.day < term.start else "after the end"
        return CheckResult(
            Verdict.OUT_OF_SCOPE,
            None,
            None,
            [
                f"The task's date {task.day} is {when} of the agreement's term "
                f"({term.start} to {end})."
            ],
        )
    # The status in force on the task's own date: a suspension does not reach back.
    if term.status != "active":
        return CheckResult(
            Verdict.OUT_OF_SCOPE,
            None,
            index.version,
            [
                f"On {task.day} the agreement is {term.status}, not active: "
                "no task of that day is covered."
            ],
        )
    if task.category:
        return _check_category(task, index, term, usage)
    return _check_text(task, index)


def _check_category(
    task: TaskFacts, index: ScopeIndex, term: Term, usage: UsageLookup
) -> CheckResult:
    category = task.category.lower()  # type: ignore[union-attr]
    system = task.system.casefold() if task.system else None
    # The most specific clause decides: the longer category path first; at equal depth
    # a clause written for the task's system beats one for every system; then an
    # exclusion beats an inclusion, because the contract lists exclusions as carve-outs
    # of what it otherwise covers. What is still tied is for a person to settle.
    ranked: list[tuple[tuple[int, int, int], int, ClauseSpec]] = []
    skipped: list[ClauseSpec] = []
    for spec, depth in _covering(index, category).values():
        named = index.systems.get(spec.ref)
        if not named or system is None:
            system_rank = 1
        elif system in named:
            system_rank = 0
        else:
            skipped.append(spec)  # written for other systems only
            continue
        excluded_first = 0 if spec.kind == ClauseKind.EXCLUDED else 1
        ranked.append(((-depth, system_rank, excluded_first), index.order[spec.ref], spec))
    if not ranked:
        reasons = [
            f"No clause covers {task.category}"
            + (f" on the system {task.system}." if task.system else ".")
        ]
        for clause in skipped:
            reasons.append(
                f"{clause_name(clause)} covers it, but only on {_and_list(list(clause.systems))}."
            )
        return CheckResult(
            Verdict.OUT_OF_SCOPE, None, index.version, reasons, _nearest(index, task)
        )

    ranked.sort(key=lambda item: (item[0], item[1]))
    best = ranked[0][0]
    winner = ranked[0][2]
    competing = [spec for _rank, _order, spec in ranked]
    if len(ranked) > 1 and ranked[1][0] == best:
        tied = [spec for rank, _order, spec in ranked if rank == best]
        reasons = [
            f"{_count_word(len(tied))} clauses fit {task.category} equally well: "
            f"{_and_list([clause_name(spec, short=True) for spec in tied])}; "
            "decide which applies (or amend the scope)."
        ]
        candidates = [
            {"ref": spec.ref, "score": 1.0, "title": spec.title} for spec in tied[:TOP_CANDIDATES]
        ]
        return CheckResult(Verdict.NEEDS_REVIEW, None, index.version, reasons, candidates)
    code = _covering_code(winner, category)
    reasons = [
        f"{clause_name(winner)} covers {task.category}"
        + (f" (it covers {code} and what falls under it)" if code != category else "")
        + (f" on the system {task.system}." if best[1] == 0 else ".")
    ]
    for rank, _order, other in ranked[1:]:
        reasons.append(
            f"{clause_name(other)} covers it too; {winner.ref} takes precedence "
            f"{_precedence(best, rank)}."
        )
    candidates = [
        {"ref": c.ref, "score": 1.0 if c is winner else 0.5, "title": c.title}
        for c in competing[:TOP_CANDIDATES]
    ]

    if winner.systems and not task.system:
        reasons.append(
            f"Clause {winner.ref} applies only on {_and_list(list(winner.systems))} "
            "and the task names no system: confirm that it was done on one of them."
        )
        return CheckResult(Verdict.NEEDS_REVIEW, winner.ref, index.version, reasons, candidates)
    if winner.kind == ClauseKind.EXCLUDED:
        reasons.append(f"Clause {winner.ref} is an exclusion: this work is not covered.")
        return CheckResult(Verdict.OUT_OF_SCOPE, winner.ref, index.version, reasons, candidates)
    return _check_limits(task, winner, index, term, usage, reasons, candidates)


def clause_name(spec: ClauseSpec, short: bool = False) -> str:
    """How a reason names a clause: its ref and title, as the contract does."""
    return f"{'' if short else 'Clause '}{spec.ref} “{spec.title}”"


def _and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


_COUNT_WORDS = ("Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")


def _count_word(count: int) -> str:
    return _COUNT_WORDS[count - 2] if 2 <= count <= 10 else str(count)


def _precedence(winner: tuple[int, int, int], other: tuple[int, int, int]) -> str:
    """Why the winning clause beats another, in the order the ranking applies."""
    if winner[0] != other[0]:
        return "because it is more specific"
    if winner[1] != other[1]:
        return "because it is written for the task's system"
    return "because an exclusion wins over an inclusion that covers the same"


def _covering_code(spec: ClauseSpec, category: str) -> str:
    codes = [c for c in spec.categories if category == c or category.startswith(c + ".")]
    return max(codes, key=lambda c: c.count("."))


def priced(hours: Decimal, rate: Decimal, currency: str) -> Decimal:
    """Hours at a rate, in the currency's minor unit (half up, as an invoice line)."""
    exponent = Decimal(1).scaleb(-currency_scale(currency))
    return (hours * rate).quantize(exponent, rounding=ROUND_HALF_UP)


def _check_limits(
    task: TaskFacts,
    clause: ClauseSpec,
    index: ScopeIndex,
    term: Term,
    usage: UsageLookup,
    reasons: list[str],
    candidates: list[dict[str, Any]],
) -> CheckResult:
    unit = per_task_unit(clause.cap)
    amount = quantity(unit, task)
    priced_amount = None
    if (
        amount is None
        and unit == CapUnit.AMOUNT
        and task.hours is not None
        and clause.rate is not None
    ):
        amount = priced_amount = priced(task.hours, clause.rate, term.currency)
        reasons.append(priced_reason(task.hours, clause, term, priced_amount))
    if clause.cap is not None and amount is None:
        if unit == CapUnit.AMOUNT and task.hours is not None:
            reasons.append(
                f"Clause {clause.ref} caps amount and has no rate; the task gives hours "
                "only, so its use of the cap cannot be counted."
            )
        else:
            reasons.append(
                f"Clause {clause.ref} caps {unit.value}; the task gives no {unit.value}, "
                "so its use of the cap cannot be counted."
            )
        return CheckResult(Verdict.NEEDS_REVIEW, clause.ref, index.version, reasons, candidates)
    amount = amount or ZERO
    result = functools.partial(
        CheckResult,
        clause=clause.ref,
        scope_version=index.version,
        reasons=reasons,
        candidates=candidates,
        priced_amount=priced_amount,
    )
    if (
        clause.per_task_limit is not None
        and unit != CapUnit.COUNT
        and amount > clause.per_task_limit
    ):
        reasons.append(
            f"The task's {_measure(amount, unit, clause, term)} exceed the per-task limit of "
            f"{_measure(clause.per_task_limit, unit, clause, term)} of clause {clause.ref}."
        )
        return result(Verdict.OVER_CAP)
    if clause.cap is None:
        reasons.append(f"Clause {clause.ref} has no cap.")
        return result(Verdict.IN_SCOPE)

    start, end, label = cap_period(clause.cap.period, task.day, term)
    used_before = usage(clause.ref, unit, start, end)
    used = used_before + amount
    remaining = clause.cap.limit - used
    figures = {
        "unit": unit.value,
        "limit": _money(clause.cap.limit),
        "used": _money(used),
        "remaining": _money(remaining),
        "period": label,
        "period_start": start.isoformat(),
        "period_end": (end - dt.timedelta(days=1)).isoformat() if end else None,
    }
    figures.update(clause.cap.labels())  # what a count cap counts, for every page showing it
    cap = functools.partial(_measure, unit=unit, clause=clause, term=term)
    if used > clause.cap.limit:
        reasons.append(
            f"Over the cap of clause {clause.ref}: {cap(used_before)} of "
            f"{cap(clause.cap.limit)} already used in {label} by the tasks "
            f"before this one, and this task adds {cap(amount)}."
        )
        return result(Verdict.OVER_CAP, cap=figures)
    reasons.append(
        f"Within the cap: {cap(used)} of {cap(clause.cap.limit)} used in {label} "
        f"up to and including this task, {cap(remaining)} left."
    )
    return result(Verdict.IN_SCOPE, cap=figures)


def _check_text(task: TaskFacts, index: ScopeIndex) -> CheckResult:
    scored = text_scores(index, task)
    relevant = [item for item in scored if item[0] >= RELEVANCE_THRESHOLD][:TOP_CANDIDATES]
    candidates = [_candidate(index, clause.ref, score) for score, clause, _hits in relevant]
    if not relevant:
        return CheckResult(
            Verdict.OUT_OF_SCOPE,
            None,
            index.version,
            [
                "The task has no category, and no clause's title, description or keywords "
                "match its title and description."
            ],
            [_candidate(index, clause.ref, score) for score, clause, _ in scored[:TOP_CANDIDATES]],
        )
    _best_score, best, best_hits = relevant[0]
    reasons = [
        "The task has no category, so its title and description were compared with the "
        "clauses: confirm which clause applies.",
        f"{clause_name(index.clauses[best.ref])} fits best"
        + (f" (keywords {_and_list(list(best_hits))})." if best_hits else "."),
    ]
    for _score, clause, hits in relevant:
        if clause.kind == ClauseKind.EXCLUDED and hits:
            reasons.append(
                f"Warning: the task matches keywords of exclusion {clause.ref} ({', '.join(hits)})."
            )
    return CheckResult(Verdict.NEEDS_REVIEW, best.ref, index.version, reasons, candidates)


def _nearest(index: ScopeIndex, task: TaskFacts) -> list[dict[str, Any]]:
    """Clauses closest to an uncovered task: shared category prefix, then text relevance."""
    parts = (task.category or "").lower().split(".")
    text = {clause.ref: score for score, clause, _ in text_scores(index, task)}
    scored = []
    for spec in index.clauses.values():
        shared = max(
            (_shared_prefix(parts, code.split(".")) for code in spec.categories), default=0
        )
        score = round(0.6 * shared / len(parts) + 0.4 * text.get(spec.ref, 0.0), 2)
        if score > 0:
            scored.append((score, spec.ref))
    scored.sort(key=lambda item: (-item[0], ref_sort_key(item[1])))
    return [_candidate(index, ref, score) for score, ref in scored[:TOP_CANDIDATES]]


def _candidate(index: ScopeIndex, ref: str, score: float) -> dict[str, Any]:
    """A clause that may apply: ref and score for programs, title for people."""
    return {"ref": ref, "score": score, "title": index.clauses[ref].title}


def _shared_prefix(a: list[str], b: Iterable[str]) -> int:
    count = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        count += 1
    return count
