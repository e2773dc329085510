"""Each agreement's vocabulary: the categories and systems its scope and its tasks use.

Built by query from what is recorded (no table of its own): every clause of the
agreement's current scope versions, and every task. Forms offer these codes, and a new
code that looks like one of them (``ops.backup`` beside ``operations.backup``) is taken
only once the person or the API client confirms it is meant to be new.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

import sqlalchemy as sa

from contracts_app.agreements.models import Agreement
from contracts_app.db import db
from contracts_app.scope.models import Clause, ScopeVersion
from contracts_app.tasks.models import Task


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    categories: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()


def vocabulary_of(agreement: Agreement) -> Vocabulary:
    """The categories and systems of the agreement's clauses (every version still in
    force as recorded) and of its tasks, sorted, in two queries."""
    categories: set[str] = set()
    systems: set[str] = set()
    clause_rows = db.session.execute(
        sa.select(Clause.categories, Clause.systems)
        .join(ScopeVersion, Clause.scope_version_id == ScopeVersion.id)
        .where(ScopeVersion.agreement_id == agreement.id, ScopeVersion.superseded_at.is_(None))
    ).all()
    for clause_categories, clause_systems in clause_rows:
        categories.update(c for c in clause_categories or () if c)
        systems.update(s for s in clause_systems or () if s)
    task_rows = db.session.execute(
        sa.select(Task.category, Task.system).where(Task.agreement_id == agreement.id).distinct()
    ).all()
    for category, system in task_rows:
        if category:
            categories.add(category)
        if system:
            systems.add(system)
    return Vocabulary(
        tuple(sorted(categories, key=str.lower)), tuple(sorted(systems, key=str.lower))
    )


# --- lookalikes ----------------------------------------------------------------------------

_WORD = re.compile(r"[\W_]+")


def _words(code: str) -> list[str]:
    return [word for word in _WORD.split(code.lower()) if word]


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance of ``a`` and ``b``, counted up to ``limit`` (more is ``limit``)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) >= limit:
            return limit
        previous = current
    return min(previous[-1], limit)


def _is_ancestor(a: str, b: str) -> bool:
    """``a`` is ``b``'s parent on dot boundaries (``support`` of ``support.incident``)."""
    return b.startswith(a + ".")


def _abbreviates(short: str, long: str) -> bool:
    """``short`` is ``long`` cut short or with letters left out, from the same first
    letter (``ops`` of ``operations``, ``oper`` of ``operations``)."""
    if not short or not long or short[0] != long[0] or len(short) > len(long):
        return False
    letters = iter(long)
    return all(letter in letters for letter in short)


def looks_like(new: str, known: str) -> bool:
    """Whether ``new`` resembles ``known`` without being it, case-insensitively.

    Alike: the same but for case; within an edit distance of 2 (1 for codes under five
    characters, where two edits make another word); or the same words, word for word,
    where each differing one abbreviates the other (``ops.backup`` beside
    ``operations.backup``). A code below or above another on its dot path (``support``
    and ``support.incident``) is a deliberate narrowing, and a sibling with other words
    (``shop-api``, ``shop-web``) another thing: neither is alike.
    """
    a, b = new.strip().lower(), known.strip().lower()
    if new.strip() == known.strip():
        return False
    if a == b:
        return True
    if _is_ancestor(a, b) or _is_ancestor(b, a):
        return False
    allowed = 2 if min(len(a), len(b)) >= 5 else 1
    if edit_distance(a, b) <= allowed:
        return True
    words_a, words_b = _words(a), _words(b)
    if not words_a or len(words_a) != len(words_b):
        return False
    return all(
        x == y or _abbreviates(x, y) or _abbreviates(y, x)
        for x, y in zip(words_a, words_b, strict=True)
    )


def lookalike_of(new: str, known: Iterable[str]) -> str | None:
    """The known code ``new`` most resembles (fewest edits first), or None when ``new`` is
    itself known or resembles none."""
    candidates = list(known)
    if not new or new in candidates:
        return None
    alike = [code for code in candidates if looks_like(new, code)]
    if not alike:
        return None
    return min(alike, key=lambda code: (edit_distance(new.lower(), code.lower(), 99), code))


def confirm_message(new: str, existing: str) -> str:
    return f"Did you mean {existing}? Tick “use the new code” to keep {new}."


def lookalike_errors(
    fields: dict[str, Iterable[str]], vocabulary: Vocabulary
) -> dict[str, list[str]]:
    """For each field (``category``, ``systems`` ...), a message per new code that looks
    like a known one. Field names ending in ``categor...`` are held to the categories, the
    rest to the systems."""
    errors: dict[str, list[str]] = {}
    for field, codes in fields.items():
        known = vocabulary.categories if "categor" in field else vocabulary.systems
        for code in codes:
            existing = lookalike_of(code, known)
            if existing is not None:
                errors.setdefault(field, []).append(confirm_message(code, existing))
    return errors


def change_lookalikes(changes: list[dict], vocabulary: Vocabulary) -> dict[str, list[str]]:
    """Lookalike codes in an annex's clause changes, at each change's path
    (``changes.2.item.categories``, ``changes.0.fields.systems``)."""
    errors: dict[str, list[str]] = {}
    for index, change in enumerate(changes):
        key = "item" if isinstance(change.get("item"), dict) else "fields"
        clause = change.get(key)
        if not isinstance(clause, dict):
            continue
        for name in ("categories", "systems"):
            codes = [code for code in clause.get(name) or () if isinstance(code, str)]
            for message in lookalike_errors({name: codes}, vocabulary).get(name, []):
                errors.setdefault(f"changes.{index}.{key}.{name}", []).append(message)
    return errors


def scope_lookalikes(clauses: Iterable[object], vocabulary: Vocabulary) -> dict[str, list[str]]:
    """Lookalike codes in a whole scope (a list of ``ClauseSpec``), at each clause's path
    (``scope.0.categories``, ``scope.3.systems``)."""
    errors: dict[str, list[str]] = {}
    for index, clause in enumerate(clauses):
        for name in ("categories", "systems"):
            codes = [code for code in getattr(clause, name, ()) or () if isinstance(code, str)]
            for message in lookalike_errors({name: codes}, vocabulary).get(name, []):
                errors.setdefault(f"scope.{index}.{name}", []).append(message)
    return errors


def codes_in_changes(changes: Iterable[dict]) -> tuple[set[str], set[str]]:
    """The categories and the systems an annex's clause changes bring."""
    categories: set[str] = set()
    systems: set[str] = set()
    for change in changes:
        clause = (
            change.get("item") if isinstance(change.get("item"), dict) else change.get("fields")
        )
        if not isinstance(clause, dict):
            continue
        categories.update(c for c in clause.get("categories") or () if isinstance(c, str))
        systems.update(c for c in clause.get("systems") or () if isinstance(c, str))
    return categories, systems
