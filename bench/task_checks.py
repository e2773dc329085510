"""Task checks: one dry run, a 100,000-row import against its insert floor, and the
cost of a check as versions grow.

    .venv/bin/python -m bench.task_checks [--database-url postgresql://...] [--rows 100000]

Prints:
- a dry-run check in process, p50 and p99 (target p99 < 5 ms), on an agreement with
  1,000 clauses and 50 scope versions;
- importing and checking N tasks, against inserting the same N rows with SQLAlchemy
  Core executemany in the same run (target ratio <= 2.5);
- a check on 10 versions against 1,000 versions (target ratio <= 1.5).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import time
from decimal import Decimal

import sqlalchemy as sa

from bench.common import scratch_app, staff_and_activate, summary, timings
from contracts_app.accounts.services import create_user
from contracts_app.agreements.services import AgreementInput, create_agreement
from contracts_app.db import db, utcnow
from contracts_app.scope.models import Clause, ScopeVersion
from contracts_app.tasks.importing import import_tasks
from contracts_app.tasks.models import Task
from contracts_app.tasks.services import TaskInput, check_task

START = dt.date(2024, 1, 1)


def clause_rows(count: int) -> list[dict]:
    rows = []
    for i in range(count):
        rows.append(
            {
                "ref": f"{i // 100 + 1}.{i % 100 + 1}",
                "title": f"Service item {i}",
                "description": f"Support and maintenance for area {i // 10}",
                "kind": "excluded" if i % 17 == 0 else "included",
                "categories": [
                    f"svc{i // 100}.area{i // 10}.item{i}",
                    f"svc{i // 100}.area{i // 10}",
                ][: 1 + (i % 2)],
                "systems": [f"sys{i % 7}"] if i % 5 == 0 else [],
                "keywords": [f"kw{i}"],
                "cap": {"unit": "hours", "limit": "500", "period": "month"}
                if i % 17 and i % 3 == 0
                else None,
            }
        )
    return rows


def build(code: str, clauses: int, versions: int, user) -> object:
    """An active agreement whose timeline has ``versions`` current versions (one a week)."""
    agreement = create_agreement(
        AgreementInput(
            code=code,
            title=code,
            customer=f"{code} customer",
            provider="Provider",
            start_date=START,
            end_date=None,
            scope=clause_rows(clauses),
        ),
        user,
    )
    staff_and_activate(agreement, user)
    base = db.session.scalar(
        sa.select(ScopeVersion).where(ScopeVersion.agreement_id == agreement.id)
    )
    base_clauses = (
        db.session.execute(sa.select(Clause.__table__).where(Clause.scope_version_id == base.id))
        .mappings()
        .all()
    )
    step = dt.timedelta(days=7)
    if versions > 1:
        base.valid_to = START + step
        now = utcnow()
        db.session.execute(
            sa.insert(ScopeVersion),
            [
                {
                    "agreement_id": agreement.id,
                    "number": n + 1,
                    "valid_from": START + n * step,
                    "valid_to": None if n == versions - 1 else START + (n + 1) * step,
                    "recorded_at": now,
                }
                for n in range(1, versions)
            ],
        )
        ids = db.session.scalars(
            sa.select(ScopeVersion.id).where(
                ScopeVersion.agreement_id == agreement.id, ScopeVersion.number > 1
            )
        ).all()
        copies = []
        for vid in ids:
            for row in base_clauses:
                copy = dict(row)
                copy.pop("id")
                copy["scope_version_id"] = vid
                copies.append(copy)
        db.session.execute(sa.insert(Clause), copies)
    db.session.commit()
    return agreement


def random_task(rng: random.Random, clauses: int, days: int) -> TaskInput:
    i = rng.randrange(clauses)
    return TaskInput(
        title=f"Work on item {i}",
        category=f"svc{i // 100}.area{i // 10}.item{i}.sub",
        system=f"sys{rng.randrange(7)}",
        day=START + dt.timedelta(days=rng.randrange(days)),
        hours=Decimal(rng.randrange(1, 16)) / 2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=2000)
    args = parser.parse_args()
    app = scratch_app(args.database_url)
    rng = random.Random(11)
    with app.app_context():
        user = create_user("bench@example.com", "Bench", "bench password", admin=True)
        big = build("BIG", 1000, 50, user)
        days = 50 * 7

        # 1. dry-run checks, once the process has compiled the versions (as a running
        # server has); the first check on a version pays for compiling it, measured apart.
        started = time.perf_counter()
        for week in range(50):
            check_task(big, TaskInput(title="warm", day=START + dt.timedelta(days=7 * week)))
        cold_ms = (time.perf_counter() - started) * 1000 / 50
        tasks = [random_task(rng, 1000, days) for _ in range(args.checks + 50)]
        it = iter(tasks)
        dry = summary(timings(lambda: check_task(big, next(it)), args.checks))

        # 2. import N tasks against the Core executemany floor
        lines = ["ref,title,category,system,date,hours"]
        for n in range(args.rows):
            t = random_task(rng, 1000, days)
            lines.append(f"T-{n},{t.title},{t.category},{t.system},{t.day},{t.hours}")
        text = "\n".join(lines) + "\n"
        started = time.perf_counter()
        report = import_tasks(big, None, text, user)
        import_seconds = time.perf_counter() - started
        assert report.created == args.rows

        # The floor: the very rows the import wrote (verdicts included), inserted again
        # under another agreement with Core executemany and nothing else.
        floor_agreement = build("FLOOR", 10, 1, user)
        table = Task.__table__
        floor_rows = [
            {**row, "agreement_id": floor_agreement.id}
            for row in db.session.execute(
                sa.select(table).where(table.c.agreement_id == big.id)
            ).mappings()
        ]
        for row in floor_rows:
            row.pop("id")
        db.session.commit()  # the floor writes on a connection of its own
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for i in range(0, len(floor_rows), 2000):
                conn.execute(sa.insert(Task.__table__), floor_rows[i : i + 2000])
        floor_seconds = time.perf_counter() - started

        # 3. versions: 10 against 1,000
        few = build("FEW", 20, 10, user)
        many = build("MANY", 20, 1000, user)
        by_versions = {}
        for agreement, count in ((few, 10), (many, 1000)):
            for week in range(count):
                check_task(
                    agreement, TaskInput(title="warm", day=START + dt.timedelta(days=7 * week))
                )
            sample = [random_task(rng, 20, count * 7) for _ in range(args.checks + 50)]
            sample_it = iter(sample)
            by_versions[count] = summary(
                timings(lambda a=agreement, s=sample_it: check_task(a, next(s)), args.checks)
            )
        dialect = db.engine.dialect.name

    print(f"task checks ({dialect}, {platform.machine()}, Python {platform.python_version()})")
    print(
        f"  dry-run check, 1,000 clauses, 50 versions: p50 {dry['p50_ms']:.3f} ms  "
        f"p99 {dry['p99_ms']:.3f} ms  (target p99 < 5 ms)"
    )
    print(
        f"  first check on a version (compiles 1,000 clauses, once per process): {cold_ms:.1f} ms"
    )
    print(
        f"  import + check {args.rows:,} tasks: {import_seconds:.2f} s "
        f"({args.rows / import_seconds:,.0f} rows/s)"
    )
    print(f"  Core executemany floor, same rows: {floor_seconds:.2f} s")
    print(f"  ratio import / floor: {import_seconds / floor_seconds:.2f}  (target <= 2.5)")
    print(
        f"  check on 10 versions: p50 {by_versions[10]['p50_ms']:.3f} ms; "
        f"on 1,000: p50 {by_versions[1000]['p50_ms']:.3f} ms; "
        f"ratio {by_versions[1000]['p50_ms'] / by_versions[10]['p50_ms']:.2f}  (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
