"""Service levels: the monthly report over 200,000 tickets against a plain SQL aggregate of
the same stored figures, and the business-time computation per ticket.

    .venv/bin/python -m bench.service_levels [--database-url postgresql://...] [--rows 200000]

Prints:
- the elapsed business time of one ticket (Europe/Warsaw calendar, Polish holidays,
  pauses on some tickets), p50 and p99 over every ticket (target p99 < 50 us);
- storing the clocks of N tickets opened and resolved in one month;
- the report for that month (service_levels.services.build_report: counts, breaches,
  open tickets at risk, availability, credits), p50 of 5 runs, against the plain
  aggregate ``SELECT ref, count(*), sum(met) ... GROUP BY ref`` over the same rows
  (target ratio <= 3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import time
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa

from bench.common import scratch_app, staff_and_activate
from contracts_app.accounts.services import create_user
from contracts_app.agreements.services import AgreementInput, create_agreement
from contracts_app.db import db, utcnow
from contracts_app.service_levels.clock import Calendar, elapsed_seconds
from contracts_app.service_levels.demo import CALENDAR, SERVICE_LEVELS
from contracts_app.service_levels.models import TicketClock
from contracts_app.service_levels.services import Period, build_report
from contracts_app.service_levels.tickets import TermsTimeline, clocks_for
from contracts_app.tasks.models import Task
from workflows.task_states import TaskState, Verdict

PERIOD = Period(2026, 5)


def tickets(rng: random.Random, rows: int) -> list[dict]:
    start = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    out = []
    for n in range(rows):
        opened = start + dt.timedelta(minutes=rng.randrange(0, 29 * 24 * 60))
        priority = rng.choices(["P1", "P2", "P3"], weights=[2, 5, 3])[0]
        responded = opened + dt.timedelta(minutes=rng.choice([5, 10, 20, 45]))
        resolved = opened + dt.timedelta(minutes=rng.randrange(30, 30 * 60))
        pauses = []
        if rng.random() < 0.2:
            low = opened + dt.timedelta(minutes=20)
            pauses = [{"from": low.isoformat(), "to": (low + dt.timedelta(hours=2)).isoformat()}]
        out.append(
            {
                "ref": f"T-{n}",
                "title": "Incident",
                "description": "",
                "category": "support.incident",
                "system": "shop-web",
                "day": opened.date(),
                "state": TaskState.IN_SCOPE,
                "verdict": Verdict.IN_SCOPE,
                "verdict_detail": {},
                "needs_attention": False,
                "lock_version": 1,
                "priority": priority,
                "opened_at": opened,
                "responded_at": responded,
                "resolved_at": min(resolved, dt.datetime(2026, 5, 31, 20, tzinfo=dt.UTC)),
                "pauses": pauses,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    app = scratch_app(args.database_url)
    rng = random.Random(7)
    with app.app_context():
        admin = create_user("bench@example.com", "Bench", "bench password", admin=True)
        agreement = create_agreement(
            AgreementInput(
                code="SLA-BENCH",
                title="Service levels",
                customer="Customer",
                provider="Provider",
                start_date=dt.date(2026, 1, 1),
                service_levels=SERVICE_LEVELS,
                monthly_fee="20000.00",
                calendar=CALENDAR,
            ),
            admin,
        )
        staff_and_activate(agreement, admin)
        db.session.commit()
        rows = tickets(rng, args.rows)

        # 1. business time per ticket (the resolution clock of every ticket)
        calendar = Calendar.from_json(CALENDAR)
        samples = []
        parsed = [
            (
                row["opened_at"],
                row["resolved_at"],
                [
                    (dt.datetime.fromisoformat(p["from"]), dt.datetime.fromisoformat(p["to"]))
                    for p in row["pauses"]
                ],
            )
            for row in rows
        ]
        for opened, resolved, pauses in parsed[:1000]:  # warm the per-day windows once
            elapsed_seconds(calendar, True, opened, resolved, pauses)
        clock = time.perf_counter
        for opened, resolved, pauses in parsed:
            began = clock()
            elapsed_seconds(calendar, True, opened, resolved, pauses)
            samples.append(clock() - began)
        samples.sort()
        p50_us = statistics.median(samples) * 1e6
        p99_us = samples[int(len(samples) * 0.99)] * 1e6

        # 2. store the tickets and their clocks
        for chunk in range(0, len(rows), 5000):
            db.session.execute(
                sa.insert(Task.__table__),
                [{**row, "agreement_id": agreement.id} for row in rows[chunk : chunk + 5000]],
            )
        db.session.commit()
        started = time.perf_counter()
        timeline = TermsTimeline(agreement.id)
        now = utcnow()
        loaded = db.session.execute(
            sa.select(
                Task.id,
                Task.agreement_id,
                Task.category,
                Task.priority,
                Task.system,
                Task.opened_at,
                Task.responded_at,
                Task.resolved_at,
                Task.pauses,
            ).where(Task.agreement_id == agreement.id)
        ).all()
        clock_rows = [
            row
            for task in loaded
            for row in clocks_for(SimpleNamespace(**task._mapping), timeline, now)
        ]
        for chunk in range(0, len(clock_rows), 5000):
            db.session.execute(sa.insert(TicketClock), clock_rows[chunk : chunk + 5000])
        db.session.commit()
        store_seconds = time.perf_counter() - started

        # 3. the report against the plain aggregate
        def plain() -> list:
            return db.session.execute(
                sa.text(
                    "SELECT c.service_level_ref, count(*), "
                    "sum(CASE WHEN c.met THEN 1 ELSE 0 END) "
                    "FROM ticket_clocks c JOIN tasks t ON t.id = c.task_id "
                    "WHERE c.agreement_id = :a AND c.period = :p AND t.state != 'rejected' "
                    "GROUP BY c.service_level_ref"
                ),
                {"a": agreement.id, "p": str(PERIOD)},
            ).all()

        def timed(fn) -> float:
            runs = []
            for _ in range(5):
                began = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - began)
                db.session.rollback()
            return statistics.median(runs)

        report = build_report(agreement, PERIOD, now)
        plain_seconds = timed(plain)
        report_seconds = timed(lambda: build_report(agreement, PERIOD, now))
        breaches = sum(len(r["breaches"]) for r in report["service_levels"])
        dialect = db.engine.dialect.name
    print(f"service levels ({dialect}, {platform.machine()}, Python {platform.python_version()})")
    print(
        f"  business time per ticket: p50 {p50_us:.1f} us, p99 {p99_us:.1f} us"
        "  (target p99 < 50 us)"
    )
    print(
        f"  store the clocks of {args.rows} tickets ({len(clock_rows)} rows): {store_seconds:.2f} s"
    )
    print(f"  monthly report ({breaches} breaches listed): {report_seconds * 1000:.0f} ms")
    print(f"  plain SQL aggregate, same rows: {plain_seconds * 1000:.0f} ms")
    print(f"  ratio report / aggregate: {report_seconds / plain_seconds:.2f}  (target <= 3)")
    assert Decimal(report["total_credit_percent"]) >= 0


if __name__ == "__main__":
    main()
