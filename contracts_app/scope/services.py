"""The scope timeline: materialised versions, as-of lookups, annexes applied, diffs.

Invariant: the current (not superseded) versions of an agreement tile its term
without overlap, from ``start_date`` on; the last one is open-ended. Looking up the
scope on a day is one indexed query whatever the number of versions.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from contracts_app.agreements.models import Agreement
from contracts_app.annexes.models import Annex
from contracts_app.db import db, utcnow
from contracts_app.errors import Conflict, NotFound, ValidationFailed
from contracts_app.scope.clauses import (
    Cap,
    ClauseSpec,
    apply_changes,
    changes_from_json,
    diff_scopes,
    ref_sort_key,
)
from contracts_app.scope.models import Clause, ScopeVersion
from contracts_app.scope.service_levels import (
    Terms,
    apply_terms_changes,
    diff_terms,
    terms_from_json,
)
from workflows.annex_states import AnnexState

ClauseMap = dict[str, ClauseSpec]


# --- converting between rows and values ----------------------------------------------


def spec_of(clause: Clause) -> ClauseSpec:
    return ClauseSpec(
        ref=clause.ref,
        title=clause.title,
        kind=clause.kind,
        description=clause.description,
        categories=tuple(clause.categories),
        systems=tuple(clause.systems),
        keywords=tuple(clause.keywords),
        cap=Cap(
            clause.cap_unit,
            clause.cap_limit,
            clause.cap_period,
            clause.cap_unit_label,
            clause.cap_unit_label_singular,
        )
        if clause.cap_unit is not None
        and clause.cap_limit is not None
        and clause.cap_period is not None
        else None,
        per_task_limit=clause.per_task_limit,
        rate=clause.rate,
    )


def clause_map(version: ScopeVersion) -> ClauseMap:
    return {clause.ref: spec_of(clause) for clause in version.clauses}


def terms_of(version: ScopeVersion) -> Terms:
    """The service levels, calendar and monthly fee in a version."""
    return terms_from_json(version.service_levels, version.calendar, version.monthly_fee)


def _clause_rows(specs: Iterable[ClauseSpec]) -> list[Clause]:
    ordered = sorted(specs, key=lambda spec: ref_sort_key(spec.ref))
    return [
        Clause(
            position=position,
            ref=spec.ref,
            title=spec.title,
            description=spec.description,
            kind=spec.kind,
            categories=list(spec.categories),
            systems=list(spec.systems),
            keywords=list(spec.keywords),
            cap_unit=spec.cap.unit if spec.cap else None,
            cap_limit=spec.cap.limit if spec.cap else None,
            cap_period=spec.cap.period if spec.cap else None,
            cap_unit_label=spec.cap.unit_label if spec.cap else None,
            cap_unit_label_singular=spec.cap.unit_label_singular if spec.cap else None,
            per_task_limit=spec.per_task_limit,
            rate=spec.rate,
        )
        for position, spec in enumerate(ordered)
    ]


def _next_version_number(agreement_id: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(ScopeVersion.number)).where(ScopeVersion.agreement_id == agreement_id)
    )
    return (highest or 0) + 1


def _new_version(
    agreement: Agreement,
    number: int,
    valid_from: dt.date,
    valid_to: dt.date | None,
    annex_id: int | None,
    specs: Iterable[ClauseSpec],
    now: dt.datetime,
    terms: Terms,
) -> ScopeVersion:
    stored_terms = terms.to_json()
    version = ScopeVersion(
        service_levels=stored_terms["service_levels"],
        calendar=stored_terms["calendar"],
        monthly_fee=terms.monthly_fee,
        agreement_id=agreement.id,
        number=number,
        valid_from=valid_from,
        valid_to=valid_to,
        annex_id=annex_id,
        recorded_at=now,
        clauses=_clause_rows(specs),
    )
    db.session.add(version)
    return version


# --- base scope -----------------------------------------------------------------------


def set_base_scope(
    agreement: Agreement, specs: Sequence[ClauseSpec], terms: Terms | None = None
) -> ScopeVersion:
    """Write the base scope (the contract as signed), valid from the start date.

    Only while the agreement is a draft: nothing can have been recorded against
    its scope yet, so the draft's base version is replaced rather than superseded.
    """
    if agreement.id is not None:
        existing = db.session.scalars(
            sa.select(ScopeVersion).where(ScopeVersion.agreement_id == agreement.id)
        ).all()
        if any(version.annex_id is not None for version in existing):
            raise Conflict("The base scope cannot change once annexes have applied to it.")
        for version in existing:
            db.session.delete(version)
        db.session.flush()
    return _new_version(
        agreement, 1, agreement.start_date, None, None, specs, utcnow(), terms or Terms()
    )


def base_scope(agreement_id: int) -> ClauseMap:
    """The base scope: any version not made by an annex carries it unchanged."""
    return clause_map(_base_version(agreement_id))


def base_terms(agreement_id: int) -> Terms:
    """The base scope's service levels, calendar and monthly fee."""
    return terms_of(_base_version(agreement_id))


def _base_version(agreement_id: int) -> ScopeVersion:
    version = db.session.scalar(
        sa.select(ScopeVersion)
        .where(ScopeVersion.agreement_id == agreement_id, ScopeVersion.annex_id.is_(None))
        .order_by(ScopeVersion.number)
        .limit(1)
        .options(selectinload(ScopeVersion.clauses))
    )
    if version is None:
        raise NotFound("This agreement has no base scope.")
    return version


# --- lookups --------------------------------------------------------------------------


@functools.cache
def _version_query(as_recorded: bool, with_clauses: bool) -> sa.Select:
    """The statement of ``version_on``, built once per process (every scope check runs it)."""
    query = sa.select(ScopeVersion).where(
        ScopeVersion.agreement_id == sa.bindparam("agreement_id"),
        ScopeVersion.valid_from <= sa.bindparam("day", type_=sa.Date),
    )
    if not as_recorded:
        query = query.where(ScopeVersion.superseded_at.is_(None))
    else:
        recorded_at = sa.bindparam("recorded_at", type_=ScopeVersion.recorded_at.type)
        query = query.where(
            ScopeVersion.recorded_at <= recorded_at,
            sa.or_(ScopeVersion.superseded_at.is_(None), ScopeVersion.superseded_at > recorded_at),
        )
    query = query.order_by(ScopeVersion.valid_from.desc()).limit(1)
    if with_clauses:
        query = query.options(selectinload(ScopeVersion.clauses))
    return query


def version_on(
    agreement: Agreement,
    day: dt.date,
    recorded_at: dt.datetime | None = None,
    with_clauses: bool = True,
) -> ScopeVersion | None:
    """The scope version valid on ``day`` (as recorded at ``recorded_at``, if given).

    One indexed lookup: the latest version starting on or before the day.
    """
    query = _version_query(recorded_at is not None, with_clauses)
    params = {"agreement_id": agreement.id, "day": day, "recorded_at": recorded_at}
    version = db.session.scalar(query, params)
    if version is None or not version.contains(day):
        return None
    return version


@functools.cache
def _version_key_query() -> sa.Select:
    table = ScopeVersion.__table__
    return (
        sa.select(
            table.c.id,
            table.c.agreement_id,
            table.c.number,
            table.c.recorded_at,
            table.c.valid_from,
            table.c.valid_to,
        )
        .where(
            table.c.agreement_id == sa.bindparam("agreement_id"),
            table.c.valid_from <= sa.bindparam("day", type_=sa.Date),
            table.c.superseded_at.is_(None),
        )
        .order_by(table.c.valid_from.desc())
        .limit(1)
    )


def version_key_on(agreement_id: int, day: dt.date) -> sa.Row[Any] | None:
    """The current version valid on ``day`` as a plain row of what identifies it (id,
    number, recorded_at, validity): enough to find its cached clauses, without loading
    the version, its annex and their JSON as objects (every scope check runs this)."""
    row = db.session.execute(
        _version_key_query(), {"agreement_id": agreement_id, "day": day}
    ).first()
    if row is None or (row.valid_to is not None and day >= row.valid_to):
        return None
    return row


def scope_on(
    agreement: Agreement, day: dt.date, recorded_at: dt.datetime | None = None
) -> ScopeVersion:
    """Like ``version_on``, but refuses a day outside the term or before any record."""
    if not agreement.covers(day):
        raise ValidationFailed(
            {"as_of": [f"{day} is outside the agreement's term ({agreement.term_text})."]}
        )
    version = version_on(agreement, day, recorded_at)
    if version is None:
        raise NotFound(f"No scope was recorded for {day} at that time.")
    return version


def list_versions(agreement: Agreement, include_superseded: bool = False) -> list[ScopeVersion]:
    """Versions oldest first (by validity, then by when they were recorded)."""
    query = sa.select(ScopeVersion).where(ScopeVersion.agreement_id == agreement.id)
    if not include_superseded:
        query = query.where(ScopeVersion.superseded_at.is_(None))
    return list(
        db.session.scalars(query.order_by(ScopeVersion.valid_from, ScopeVersion.number)).all()
    )


def version_by_number(agreement: Agreement, number: int, field: str = "version") -> ScopeVersion:
    version = db.session.scalar(
        sa.select(ScopeVersion)
        .where(ScopeVersion.agreement_id == agreement.id, ScopeVersion.number == number)
        .options(selectinload(ScopeVersion.clauses))
    )
    if version is None:
        raise ValidationFailed({field: [f"Version {number} does not exist."]})
    return version


def version_validity(agreement_id: int, number: int | None) -> str | None:
    """How pages name the version a verdict was given under ("valid from 2026-10-01"):
    verdicts store the version's number, which means nothing to a person."""
    if number is None:
        return None
    version = db.session.scalar(
        sa.select(ScopeVersion).where(
            ScopeVersion.agreement_id == agreement_id, ScopeVersion.number == number
        )
    )
    return version.validity if version is not None else None


def diff_versions(agreement: Agreement, from_number: int, to_number: int) -> dict[str, Any]:
    before = version_by_number(agreement, from_number, "from")
    after = version_by_number(agreement, to_number, "to")
    return {
        **diff_scopes(clause_map(before), clause_map(after)),
        **diff_terms(terms_of(before), terms_of(after)),
    }


# --- annexes applied to the timeline ---------------------------------------------------


def apply_annex(agreement: Agreement, annex: Annex, now: dt.datetime) -> list[ScopeVersion]:
    """Re-derive the timeline from the annex's effective date with the annex in it.

    The caller holds the agreement lock and has given the annex its activation
    sequence. The versions from that date on are superseded (kept, with ``now`` as
    the time they stopped being current) and derived again by replaying every
    effective annex in order of effective date, then of activation. A change that
    cannot apply, this annex's or a later annex's, raises ``ScopeConflict`` naming
    the ref and the annex; the caller's transaction then rolls back, so nothing is
    half-applied. Returns the new versions.
    """
    start = annex.effective_date
    if not agreement.covers(start):
        raise ValidationFailed(
            {
                "effective_date": [
                    f"{start} is outside the agreement's term ({agreement.term_text})."
                ]
            }
        )
    current = list(
        db.session.scalars(
            sa.select(ScopeVersion)
            .where(
                ScopeVersion.agreement_id == agreement.id,
                ScopeVersion.superseded_at.is_(None),
                sa.or_(ScopeVersion.valid_to.is_(None), ScopeVersion.valid_to > start),
            )
            .order_by(ScopeVersion.valid_from)
            .options(selectinload(ScopeVersion.clauses))
        ).all()
    )
    if not current or current[0].valid_from > start:
        raise Conflict("The scope timeline has no version at the annex's effective date.")

    if start == agreement.start_date:
        state = base_scope(agreement.id)
        terms = base_terms(agreement.id)
    else:
        previous = version_on(agreement, start - dt.timedelta(days=1))
        if previous is None:
            raise Conflict("The scope timeline has a gap before the annex's effective date.")
        state = clause_map(previous)
        terms = terms_of(previous)

    annexes = db.session.scalars(
        sa.select(Annex)
        .where(
            Annex.agreement_id == agreement.id,
            Annex.effective_date >= start,
            sa.or_(Annex.state == AnnexState.EFFECTIVE, Annex.id == annex.id),
        )
        .order_by(Annex.effective_date, Annex.activation_seq)
    ).all()

    number = _next_version_number(agreement.id)
    for version in current:
        version.superseded_at = now
    db.session.flush()  # retire the old rows before the new ones can overlap them

    created: list[ScopeVersion] = []
    first = current[0]
    if first.valid_from < start:
        created.append(
            _new_version(
                agreement,
                number,
                first.valid_from,
                start,
                first.annex_id,
                clause_map(first).values(),
                now,
                terms_of(first),
            )
        )
        number += 1

    groups = [
        (day, list(group))
        for day, group in itertools.groupby(annexes, key=lambda item: item.effective_date)
    ]
    for index, (day, group) in enumerate(groups):
        for member in group:
            state = apply_changes(
                state, changes_from_json(member.changes), member.label, on=day.isoformat()
            )
            terms = apply_terms_changes(terms, member.changes, member.label, day.isoformat())
        valid_to = groups[index + 1][0] if index + 1 < len(groups) else None
        created.append(
            _new_version(agreement, number, day, valid_to, group[-1].id, state.values(), now, terms)
        )
        number += 1
    db.session.flush()
    assert_timeline_consistent(agreement)
    return created


def assert_timeline_consistent(agreement: Agreement) -> None:
    """Check, before commit, that the current versions tile the term without overlap.

    PostgreSQL enforces the no-overlap rule with an exclusion constraint; this check
    is what guards SQLite (inside its immediate transaction), and catches gaps on both.
    """
    rows = db.session.execute(
        sa.select(ScopeVersion.valid_from, ScopeVersion.valid_to)
        .where(ScopeVersion.agreement_id == agreement.id, ScopeVersion.superseded_at.is_(None))
        .order_by(ScopeVersion.valid_from)
    ).all()
    if not rows or rows[0].valid_from != agreement.start_date:
        raise Conflict("The scope timeline does not start at the agreement's start date.")
    for earlier, later in itertools.pairwise(rows):
        if earlier.valid_to != later.valid_from:
            raise Conflict(
                f"The scope timeline would overlap or leave a gap at {later.valid_from}."
            )
    if rows[-1].valid_to is not None:
        raise Conflict("The last scope version must stay open-ended.")
