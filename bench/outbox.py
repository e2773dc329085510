"""The outbox: what writing notifications with each event costs, and how fast the worker
delivers them to an SMTP server on loopback.

    .venv/bin/python -m bench.outbox [--database-url postgresql://...] [--cycles 300]
                                     [--emails 500]

Prints:
- annex events per second with their notifications (each writes its outbox rows and, after
  commit, enqueues their delivery) against the very same events with the notification
  trigger replaced by a no-op, measured in alternating blocks in the same run
  (target: at most 1.3 times the cost);
- the worker's delivery throughput: ``flask jobs worker`` in its own process emailing N
  pending notifications to an aiosmtpd server on loopback (emails per second from the first
  to the last received, and the wall time from the worker's start).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bench.common import scratch_app, staff_and_activate
from contracts_app.accounts.services import create_user
from contracts_app.agreements.access import membership_of
from contracts_app.agreements.services import (
    AgreementInput,
    create_agreement,
)
from contracts_app.annexes.services import AnnexInput, create_annex, fire_event
from contracts_app.db import db
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.models import EmailState, Notification
from contracts_app.notifications.services import notify

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 6, 1)
BLOCKS = 6


def setting_up():
    """An active agreement with each side's manager and approver, through the real path."""
    admin = create_user("admin@bench.example", "Admin", "bench password 123", admin=True)
    agreement = create_agreement(
        AgreementInput(
            code="BENCH-OUTBOX",
            title="Outbox",
            customer="Customer",
            provider="Provider",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
            scope=[
                {"ref": "1.1", "title": "Support", "kind": "included", "categories": ["support"]}
            ],
        ),
        admin,
    )
    people = staff_and_activate(agreement, admin)
    return agreement, {
        "manager": people["provider manager"],
        "customer-approver": people["customer approver"],
        "provider-approver": people["provider approver"],
    }


def annex_cycles(agreement, users, cycles: int) -> float:
    """Seconds for ``cycles`` x (submit, request changes) on fresh drafts."""
    manager = users["manager"]
    membership = membership_of(manager, agreement.id)
    drafts = [
        create_annex(
            agreement,
            membership,
            AnnexInput(
                title=f"Bench {i}",
                effective_date=dt.date(2026, 3, 1),
                changes=[{"op": "modify", "ref": "1.1", "fields": {"title": f"Support {i}"}}],
            ),
            manager,
        ).id
        for i in range(cycles)
    ]
    start = time.perf_counter()
    for annex_id in drafts:
        fire_event(annex_id, "submit", manager, today=TODAY)
        fire_event(
            annex_id, "request_changes", users["customer-approver"], comment="Again", today=TODAY
        )
    return time.perf_counter() - start


def events_with_and_without(agreement, users, cycles: int) -> tuple[float, float, int]:
    per_block = max(1, cycles // BLOCKS)
    with_time = without_time = 0.0
    for _ in range(BLOCKS):
        with_time += annex_cycles(agreement, users, per_block)
        with mock.patch("contracts_app.annexes.services.annex_changed", lambda *a, **k: None):
            without_time += annex_cycles(agreement, users, per_block)
    events = 2 * per_block * BLOCKS
    return with_time, without_time, events


class Received:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.times.append(time.perf_counter())
        await asyncio.sleep(0)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def delivery_throughput(app, users, emails: int) -> dict[str, float]:
    recipient = users["customer-approver"]
    for start in range(0, emails, 50):  # commits of 50: each enqueues one delivery task
        for _ in range(min(50, emails - start)):
            notify(
                [recipient.id],
                Kind.ANNEX_AWAITS_APPROVAL,
                "Bench notification",
                "/",
                agreement_id=None,
                object_type="bench",
                object_id=None,
            )
        db.session.commit()
    pending = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.email_state == EmailState.PENDING
        )
    )
    db.session.commit()
    handler = Received()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": app.instance_path,
        "HUEY_SQLITE_PATH": app.config["HUEY_SQLITE_PATH"],
        "SECRET_KEY": "bench",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
    }
    started = time.perf_counter()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while len(handler.times) < pending and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(30)
        controller.stop()
    times = sorted(handler.times)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    return {
        "emails": float(pending or 0),
        "received": float(len(times)),
        "per_second": (len(times) - 1) / span if span else float("nan"),
        "wall_from_start_s": times[-1] - started if times else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--emails", type=int, default=500)
    args = parser.parse_args()
    os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-outbox-"))
    app = scratch_app(args.database_url)
    with app.app_context():
        agreement, users = setting_up()
        annex_cycles(agreement, users, 20)  # warm-up: machines, caches, connections
        with_time, without_time, events = events_with_and_without(agreement, users, args.cycles)
        written = db.session.scalar(sa.select(sa.func.count(Notification.id)))
        db.session.execute(sa.delete(Notification))
        db.session.commit()
        delivery = delivery_throughput(app, users, args.emails)
    dialect = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{dialect}, {platform.machine()}, Python {platform.python_version()}")
    print(f"annex events: {events} with notifications, {events} without")
    print(f"  with notifications:    {events / with_time:8.1f} events/s")
    print(f"  without notifications: {events / without_time:8.1f} events/s")
    print(f"  cost ratio:            {with_time / without_time:8.2f} (target <= 1.3)")
    print(f"  notification rows written in the run: {written}")
    print(
        f"worker delivery: {delivery['received']:.0f} of {delivery['emails']:.0f} emails, "
        f"{delivery['per_second']:.1f} emails/s, "
        f"{delivery['wall_from_start_s']:.1f} s from the worker's start"
    )


if __name__ == "__main__":
    main()
