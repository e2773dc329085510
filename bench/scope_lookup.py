"""As-of scope lookup on an agreement with 10 versions against one with 1,000.

The lookup is one indexed query (plus loading the version's clauses), so its cost
should not grow with the number of versions: target ratio at most 1.5.

    .venv/bin/python -m bench.scope_lookup [--database-url postgresql://...]
"""

from __future__ import annotations

import datetime as dt
import platform
import random

import sqlalchemy as sa

from bench.common import parse_args, scratch_app, summary, timings
from contracts_app.accounts.services import create_user
from contracts_app.agreements.models import Agreement
from contracts_app.agreements.services import AgreementInput, create_agreement
from contracts_app.db import db, utcnow
from contracts_app.scope.models import Clause, ScopeVersion
from contracts_app.scope.services import scope_on

CLAUSES = 15
START = dt.date(2020, 1, 1)


def clause_json(ref: str) -> dict:
    return {
        "ref": ref,
        "title": f"Clause {ref}",
        "kind": "included",
        "categories": [f"cat.{ref}"],
        "cap": {"unit": "hours", "limit": "100", "period": "month"},
    }


def build(code: str, versions: int, user) -> Agreement:
    """An agreement whose timeline has ``versions`` current versions, one per day."""
    agreement = create_agreement(
        AgreementInput(
            code=code,
            title=code,
            customer=f"{code} customer",
            provider="Provider",
            start_date=START,
            end_date=None,
            scope=[clause_json(f"1.{n}") for n in range(CLAUSES)],
        ),
        user,
    )
    base = db.session.scalar(
        sa.select(ScopeVersion).where(ScopeVersion.agreement_id == agreement.id)
    )
    base.valid_to = START + dt.timedelta(days=1)
    now = utcnow()
    version_rows = [
        {
            "agreement_id": agreement.id,
            "number": n + 1,
            "valid_from": START + dt.timedelta(days=n),
            "valid_to": None if n == versions - 1 else START + dt.timedelta(days=n + 1),
            "recorded_at": now,
        }
        for n in range(1, versions)
    ]
    if version_rows:
        db.session.execute(sa.insert(ScopeVersion), version_rows)
    ids = db.session.scalars(
        sa.select(ScopeVersion.id).where(
            ScopeVersion.agreement_id == agreement.id, ScopeVersion.number > 1
        )
    ).all()
    clause_rows = [
        {
            "scope_version_id": vid,
            "position": n,
            "ref": f"1.{n}",
            "title": f"Clause 1.{n}",
            "description": "",
            "kind": "included",
            "categories": [f"cat.1.{n}"],
            "systems": [],
            "keywords": [],
            "cap_unit": "hours",
            "cap_limit": 100,
            "cap_period": "month",
        }
        for vid in ids
        for n in range(CLAUSES)
    ]
    if clause_rows:
        db.session.execute(sa.insert(Clause), clause_rows)
    db.session.commit()
    return agreement


def main() -> None:
    args = parse_args(__doc__ or "")
    app = scratch_app(args.database_url)
    with app.app_context():
        user = create_user("bench@example.com", "Bench", "bench password")
        small = build("SMALL", 10, user)
        large = build("LARGE", 1000, user)
        rng = random.Random(7)
        results = {}
        for agreement, count in ((small, 10), (large, 1000)):
            days = [
                START + dt.timedelta(days=rng.randrange(count)) for _ in range(args.repeat + 50)
            ]
            it = iter(days)

            def lookup(agreement=agreement, it=it) -> None:
                version = scope_on(agreement, next(it))
                assert len(version.clauses) == CLAUSES
                db.session.expunge_all()

            results[count] = summary(timings(lookup, args.repeat))
        dialect = db.engine.dialect.name
    print(
        f"as-of scope lookup ({dialect}, {CLAUSES} clauses per version, {args.repeat} lookups, "
        f"{platform.machine()}, Python {platform.python_version()})"
    )
    for count, figures in results.items():
        print(
            f"  {count:>5} versions: p50 {figures['p50_ms']:.3f} ms  "
            f"p99 {figures['p99_ms']:.3f} ms  mean {figures['mean_ms']:.3f} ms"
        )
    ratio = results[1000]["p50_ms"] / results[10]["p50_ms"]
    print(f"  ratio 1000/10 (p50): {ratio:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
