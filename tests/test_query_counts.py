"""The busiest pages load what they show in a fixed number of queries, whatever the data."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from contracts_app.db import db
from tests.factories import clause, make_agreement, make_annex, manager_of, signed_in


def queries_for(client, url: str) -> int:
    statements = []

    def before(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return len(statements)


def agreement_with(annexes: int, tasks: int):
    agreement = make_agreement(scope=[clause(f"1.{n}", [f"c{n}"]) for n in range(1, 6)])
    for n in range(annexes):
        make_annex(
            agreement,
            dt.date(2026, 1, 2) + dt.timedelta(days=7 * n),
            [{"op": "add", "item": clause(f"5.{n}")}],
        )
    from contracts_app.agreements.access import membership_of
    from contracts_app.tasks.importing import import_tasks

    manager = manager_of(agreement)
    rows = "\n".join(f"T-{n},Task {n},c{n % 5 + 1},2026-0{n % 9 + 1}-10,1" for n in range(tasks))
    import_tasks(
        agreement,
        membership_of(manager, agreement.id),
        "ref,title,category,date,hours\n" + rows + "\n",
        manager,
    )
    # a retroactive annex that changes verdicts, so the re-check list is not empty
    make_annex(agreement, dt.date(2026, 1, 1), [{"op": "remove", "ref": "1.1"}])
    return agreement, manager


def test_agreement_and_task_pages_do_not_grow_with_annexes_or_tasks(app):
    counts = {}
    for size, (annexes, tasks) in {"small": (2, 3), "large": (12, 40)}.items():
        agreement, manager = agreement_with(annexes, tasks)
        client = signed_in(app.test_client(), manager)
        db.session.expire_all()
        counts[size] = (
            queries_for(client, f"/agreements/{agreement.code}"),
            queries_for(client, f"/agreements/{agreement.code}/tasks"),
            queries_for(client, f"/agreements/{agreement.code}/annexes"),
        )
    assert counts["small"] == counts["large"], counts


def test_sorted_lists_exports_and_search_do_not_grow_with_the_data(app):
    counts = {}
    for size, (annexes, tasks) in {"small": (2, 3), "large": (12, 40)}.items():
        agreement, manager = agreement_with(annexes, tasks)
        client = signed_in(app.test_client(), manager)
        db.session.expire_all()
        code = agreement.code
        counts[size] = (
            queries_for(client, f"/agreements/{code}/tasks?sort=-title"),
            queries_for(client, f"/agreements/{code}/annexes?sort=-effective_date"),
            queries_for(client, f"/agreements/{code}/tasks/export?format=csv&sort=hours"),
            queries_for(client, f"/agreements/{code}/annexes/export?format=xlsx"),
            queries_for(client, f"/agreements/{code}/scope/export?format=csv"),
            queries_for(client, "/search?q=task"),
        )
    assert counts["small"] == counts["large"], counts
