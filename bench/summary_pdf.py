"""The PDF summary of an agreement with 200 clauses, 30 annexes and 5,000 tasks.

    .venv/bin/python -m bench.summary_pdf [--database-url postgresql://...]

Prints the time to produce the PDF (gather the data, build the HTML, render in a
child process), its ratio to WeasyPrint rendering the already-built HTML alone (the
application's overhead, target <= 1.3), the SQL queries used to gather the data for
3 and for 30 annexes (no N+1: the same), the PDF's size and the render's peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import time

import sqlalchemy as sa

from bench.common import agree, scratch_app, staff_and_activate
from contracts_app.accounts.services import create_user
from contracts_app.agreements.services import AgreementInput, create_agreement
from contracts_app.annexes.services import AnnexInput, create_annex
from contracts_app.db import db
from contracts_app.documents import render, services
from contracts_app.documents.summary import gather_summary
from contracts_app.tasks.importing import import_tasks

START = dt.date(2026, 1, 1)


def clause(n: int) -> dict:
    return {
        "ref": f"{n // 20 + 1}.{n % 20 + 1}",
        "title": f"Service item {n}: support and maintenance of component {n}",
        "description": "Restore service, analyse the cause and report within the agreed times.",
        "kind": "excluded" if n % 13 == 0 else "included",
        "categories": [f"area{n // 20}.item{n}"],
        "systems": [f"sys{n % 5}"] if n % 4 == 0 else [],
        "cap": {"unit": "hours", "limit": "80", "period": "month"}
        if n % 13 and n % 2 == 0
        else None,
    }


def build(code: str, annexes: int, tasks: int, user) -> object:
    agreement = create_agreement(
        AgreementInput(
            code=code,
            title=f"{code} application management",
            customer=f"{code} Retail",
            provider="Kestrel IT Services",
            start_date=START,
            end_date=dt.date(2027, 12, 31),
            scope=[clause(n) for n in range(200)],
        ),
        user,
    )
    people = staff_and_activate(agreement, user)
    for n in range(annexes):
        annex = create_annex(
            agreement,
            None,
            AnnexInput(
                title=f"Annex change {n}",
                effective_date=START + dt.timedelta(days=7 * (n + 1)),
                changes=[
                    {"op": "add", "item": {**clause(300 + n), "ref": f"50.{n + 1}"}},
                    {
                        "op": "modify",
                        "ref": f"{n // 20 + 1}.{n % 20 + 1}",
                        "fields": {"title": f"Changed by annex {n}"},
                    },
                ],
            ),
            user,
        )
        agree(annex, people)
    if tasks:
        lines = ["ref,title,category,system,date,hours"]
        for n in range(tasks):
            item = n % 200
            day = START + dt.timedelta(days=n % 300)
            lines.append(
                f"T-{n},Ticket {n},area{item // 20}.item{item},sys{n % 5},{day},{1 + n % 4}"
            )
        import_tasks(agreement, None, "\n".join(lines) + "\n", user)
    return agreement


def count_queries(fn) -> int:
    statements = []

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not BEGIN or PRAGMA
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = scratch_app(args.database_url)
    as_of = dt.date(2026, 9, 15)
    with app.app_context():
        user = create_user("bench@example.com", "Bench", "bench password", admin=True)
        big = build("BIG", 30, 5000, user)
        small = build("SMALL", 3, 0, user)
        db.session.expire_all()
        queries = {
            n: count_queries(lambda a=a: gather_summary(a, as_of))
            for n, a in ((3, small), (30, big))
        }

        end_to_end, alone = [], []
        pdf = b""
        for _ in range(args.repeat):
            db.session.expire_all()
            started = time.perf_counter()
            pdf = services.live_summary_pdf(big, None, user, as_of)
            end_to_end.append(time.perf_counter() - started)
        html = services.summary_html(
            gather_summary(big, as_of),
            document_id="bench",
            issued_at=dt.datetime.now(dt.UTC),
            draft=True,
        )
        render.html_to_pdf(html)  # warm, as the application is
        for _ in range(args.repeat):
            started = time.perf_counter()
            render.html_to_pdf(html)
            alone.append(time.perf_counter() - started)
        child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        dialect = db.engine.dialect.name

    e2e, base = statistics.median(end_to_end), statistics.median(alone)
    print(
        f"summary PDF: 200 clauses, 30 annexes, 5,000 tasks ({dialect}, {platform.machine()}, "
        f"Python {platform.python_version()}, median of {args.repeat})"
    )
    print(f"  produce the PDF (gather, HTML, render in a child): {e2e:.2f} s")
    print(f"  WeasyPrint rendering the built HTML alone: {base:.2f} s")
    print(f"  ratio: {e2e / base:.2f}  (target <= 1.3)")
    print(f"  SQL queries to gather the data: {queries[3]} for 3 annexes, {queries[30]} for 30")
    print(
        f"  PDF size: {len(pdf) / 1024:.0f} KiB; "
        f"peak memory of the render (child RSS): {child_peak_mb:.0f} MiB"
    )


if __name__ == "__main__":
    main()
