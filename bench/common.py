"""Shared set-up for benchmarks: a migrated scratch database and an app context."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

from contracts_app import create_app
from contracts_app.db import make_engine, normalise_database_url
from contracts_app.schema_migrations import upgrade


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL URL whose public schema may be wiped (default: a scratch SQLite file)",
    )
    parser.add_argument("--repeat", type=int, default=2000)
    return parser.parse_args()


def scratch_app(database_url: str | None):
    if database_url:
        url = normalise_database_url(database_url)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.db"
    upgrade(url)
    os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-instance-"))
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})


def timings(fn: Callable[[], object], repeat: int, warmup: int = 50) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


BENCH_PASSWORD = "bench password, not for production"


def staff_and_activate(agreement, admin) -> dict[str, object]:
    """Through the real workflow: each side's manager and approver invited and accepted,
    then the agreement activated by one side and confirmed by the other."""
    import datetime as dt

    from contracts_app.accounts.services import create_user
    from contracts_app.agreements import status as agreement_status
    from contracts_app.agreements.access import membership_of
    from contracts_app.agreements.members import accept_invitation, invite_member

    people = {}
    for side in ("customer", "provider"):
        for role in ("manager", "approver"):
            email = f"{side}.{role}.{agreement.code.lower()}@bench.example.com"
            people[f"{side} {role}"] = create_user(email, f"{side} {role}", BENCH_PASSWORD)
    for side in ("customer", "provider"):
        manager = people[f"{side} manager"]
        invitation = invite_member(agreement, None, manager.email, side, "manager", admin)
        accept_invitation(invitation.id, manager)
        approver = people[f"{side} approver"]
        invitation = invite_member(
            agreement,
            membership_of(manager, agreement.id),
            approver.email,
            side,
            "approver",
            manager,
        )
        accept_invitation(invitation.id, approver)
    today = max(dt.date.today(), agreement.start_date)
    for who, event in (("provider manager", "activate"), ("customer manager", "confirm")):
        user = people[who]
        agreement_status.fire_event(
            agreement, membership_of(user, agreement.id), event, user, today=today
        )
    return people


def agree(annex, people) -> None:
    """Submitted, approved and signed by both sides: the annex's real path to effect."""
    import datetime as dt

    from contracts_app.annexes.services import fire_event

    today = max(dt.date.today(), annex.effective_date)
    fire_event(annex.id, "submit", people["provider manager"], today=today)
    for event, extra in (("approve", {}), ("sign", {"password": BENCH_PASSWORD})):
        for side in ("customer", "provider"):
            fire_event(annex.id, event, people[f"{side} approver"], today=today, **extra)
