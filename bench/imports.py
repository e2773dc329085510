"""Importing through a Jira profile against the plain CSV import, on the same tasks.

    .venv/bin/python -m bench.imports [--database-url postgresql://...] [--rows 100000]

Two agreements with the same scope (1,000 clauses, 50 versions) each import the same N
tasks: one as the plain CSV (``ref,title,category,system,date,hours``), the other as a
Jira "Export CSV (all fields)" through an import profile (repeated Component/s and
Labels columns, ``24/Nov/26 3:15 PM`` dates in Europe/Warsaw, Time Spent in seconds,
the issue type, components and priority mapped). Where tasks keep ticket times, the plain
CSV carries the same priority, opening and resolution times. Prints both times and their
ratio (target <= 1.5).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import platform
import random
import time
from zoneinfo import ZoneInfo

from bench.common import scratch_app
from bench.task_checks import build, random_task
from contracts_app.accounts.services import create_user
from contracts_app.db import db
from contracts_app.tasks import importing
from contracts_app.tasks.importing import import_tasks
from contracts_app.tasks.profile_import import import_with_profile
from contracts_app.tasks.profiles import put_profile

WARSAW = ZoneInfo("Europe/Warsaw")
HEADER = [
    "Summary",
    "Issue key",
    "Issue id",
    "Issue Type",
    "Status",
    "Priority",
    "Created",
    "Resolved",
    "Component/s",
    "Component/s",
    "Labels",
    "Labels",
    "Description",
    "Time Spent",
]
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")


def jira_time(moment: dt.datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{moment:%d/%b/%y} {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--jira-first", action="store_true", help="run the profiled import first (the order costs)"
    )
    args = parser.parse_args()
    app = scratch_app(args.database_url)
    rng = random.Random(16)
    with app.app_context():
        user = create_user("bench@example.com", "Bench", "bench password", admin=True)
        plain = build("PLAIN", 1000, 50, user)
        jira = build("JIRA", 1000, 50, user)
        tasks = [random_task(rng, 1000, 50 * 7) for _ in range(args.rows)]
        # the same ticket times in the plain CSV, where it takes them (ISO 8601 in UTC)
        with_times = "opened_at" in importing.COLUMNS
        lines = [
            "ref,title,category,system,date,hours"
            + (",priority,opened_at,resolved_at" if with_times else "")
        ]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADER)
        categories: dict[str, str] = {}
        for n, t in enumerate(tasks):
            issue_type = f"Type {t.category}"
            categories[issue_type] = t.category  # type: ignore[assignment]
            opened = dt.datetime.combine(t.day, dt.time(9 + n % 8, n % 60), WARSAW)
            line = f"T-{n},{t.title},{t.category},{t.system},{t.day},{t.hours}"
            if with_times:
                line += (
                    f",P{n % 5 + 1},{opened.astimezone(dt.UTC).isoformat()},"
                    f"{(opened + dt.timedelta(hours=2)).astimezone(dt.UTC).isoformat()}"
                )
            lines.append(line)
            writer.writerow(
                [
                    t.title,
                    f"T-{n}",
                    str(10000 + n),
                    issue_type,
                    "Done",
                    PRIORITIES[n % 5],
                    jira_time(opened),
                    jira_time(opened + dt.timedelta(hours=2)),
                    f"Component {t.system}",
                    "Web",
                    "support",
                    "",
                    "",
                    str(int(t.hours * 3600)),  # type: ignore[operator]
                ]
            )
        plain_text = "\n".join(lines) + "\n"
        jira_raw = out.getvalue().encode("utf-8")
        put_profile(
            jira,
            None,
            "jira",
            {
                "source": "jira",
                "timezone": "Europe/Warsaw",
                "category": {"values": categories},
                "system": {"values": {f"Component sys{i}": f"sys{i}" for i in range(7)}},
                "priority": {"values": {p: f"P{i + 1}" for i, p in enumerate(PRIORITIES)}},
            },
            user,
        )
        db.session.commit()

        def run_plain() -> tuple[float, object]:
            started = time.perf_counter()
            report = import_tasks(plain, None, plain_text, user)
            return time.perf_counter() - started, report

        def run_jira() -> tuple[float, object]:
            started = time.perf_counter()
            report = import_with_profile(jira, None, "jira", jira_raw, user)
            return time.perf_counter() - started, report

        if args.jira_first:
            jira_seconds, profiled = run_jira()
            plain_seconds, report = run_plain()
        else:
            plain_seconds, report = run_plain()
            jira_seconds, profiled = run_jira()
        assert report.created == args.rows  # type: ignore[attr-defined]
        assert profiled.created == args.rows, profiled.invalid[:3]  # type: ignore[attr-defined]
        assert profiled.verdicts == report.verdicts, (profiled.verdicts, report.verdicts)
        dialect = db.engine.dialect.name

    order = "Jira first" if args.jira_first else "plain first"
    print(f"imports ({dialect}, {platform.machine()}, Python {platform.python_version()}, {order})")
    print(f"  plain CSV, {args.rows:,} tasks: {plain_seconds:.2f} s")
    print(f"  Jira export through a profile, same tasks: {jira_seconds:.2f} s")
    print(f"  ratio Jira / plain: {jira_seconds / plain_seconds:.2f}  (target <= 1.5)")
    print(f"  verdicts (equal in both): {report.verdicts}")


if __name__ == "__main__":
    main()
