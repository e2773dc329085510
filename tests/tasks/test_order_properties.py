"""Properties of the verdict pipeline (Hypothesis, fixed seed, bounded examples):
the same tasks recorded in any order, with or without an annex in between, get the
same verdicts; after any annex every stored verdict equals a fresh check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.tasks.importing import import_tasks
from contracts_app.tasks.models import Task
from contracts_app.tasks.services import TaskInput, check_stored, record_task
from tests.factories import clause, make_agreement, make_annex, manager_of

START = dt.date(2026, 3, 1)
SCOPE = [
    clause(
        "1.2",
        ["support.incident"],
        cap={"unit": "hours", "limit": "10", "period": "month"},
        per_task_limit="8",
    ),
    clause("1.3", ["support.incident"], systems=["SAP"], cap=None),
    clause("3.1", ["reporting"], cap={"unit": "count", "limit": "2", "period": "quarter"}),
    clause("4.1", ["change"], cap={"unit": "amount", "limit": "500", "period": "month"}, rate="60"),
]
ANNEXES = [
    [
        {
            "op": "modify",
            "ref": "1.2",
            "fields": {"cap": {"unit": "hours", "limit": "14", "period": "quarter"}},
        }
    ],
    [
        {
            "op": "modify",
            "ref": "1.2",
            "fields": {"cap": {"unit": "hours", "limit": "6", "period": "month"}},
        }
    ],
    [{"op": "modify", "ref": "4.1", "fields": {"rate": "90"}}],
    [{"op": "remove", "ref": "3.1"}],
]

task_strategy = st.fixed_dictionaries(
    {
        "offset": st.integers(0, 45),
        "kind": st.sampled_from(["incident", "sap", "reporting", "change", "change_hours"]),
        "halves": st.integers(1, 16),
    }
)


def task_input(n: int, spec: dict) -> TaskInput:
    day = START + dt.timedelta(days=spec["offset"])
    hours = Decimal(spec["halves"]) / 2
    kind = spec["kind"]
    fields: dict = {"ref": f"T-{n:02d}", "title": "Work", "day": day}
    if kind in ("incident", "sap"):
        fields.update(category="support.incident", hours=hours)
        fields["system"] = "SAP" if kind == "sap" else "shop-web"
    elif kind == "reporting":
        fields["category"] = "reporting"
    elif kind == "change":
        fields.update(category="change", amount=hours * 50)
    else:
        fields.update(category="change", hours=hours)
    return TaskInput(**fields)


def verdicts(agreement) -> dict[str, tuple]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Task).where(Task.agreement_id == agreement.id)).all()
    return {t.ref: (t.verdict.value, t.clause_ref, t.state.value) for t in rows}


def assert_fresh(agreement) -> None:
    db.session.expire_all()
    for task in db.session.scalars(sa.select(Task).where(Task.agreement_id == agreement.id)):
        result = check_stored(task)
        assert (result.verdict, result.clause) == (task.verdict, task.clause_ref), task.ref


def record_in_order(inputs, order, annex, annex_at):
    agreement = make_agreement(scope=SCOPE)
    manager = manager_of(agreement)
    membership = membership_of(manager, agreement.id)
    for position, index in enumerate(order):
        if annex is not None and position == annex_at:
            make_annex(agreement, annex[0], annex[1])
        record_task(agreement, membership, inputs[index], manager)
    if annex is not None and annex_at >= len(order):
        make_annex(agreement, annex[0], annex[1])
    return agreement


@settings(
    derandomize=True,
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(task_strategy, min_size=1, max_size=7),
    data=st.data(),
)
def test_the_same_tasks_in_any_order_get_the_same_verdicts(specs, data):
    inputs = [task_input(n, spec) for n, spec in enumerate(specs)]
    indices = list(range(len(inputs)))
    first = data.draw(st.permutations(indices), "first order")
    second = data.draw(st.permutations(indices), "second order")
    annex = None
    if data.draw(st.booleans(), "with an annex"):
        annex = (
            START + dt.timedelta(days=data.draw(st.integers(0, 75), "annex day")),
            data.draw(st.sampled_from(ANNEXES), "annex changes"),
        )
    a = record_in_order(inputs, first, annex, data.draw(st.integers(0, len(inputs)), "at"))
    b = record_in_order(inputs, second, annex, data.draw(st.integers(0, len(inputs)), "at"))
    assert verdicts(a) == verdicts(b)
    assert_fresh(a)
    assert_fresh(b)

    # an import of the same tasks, after the annex, agrees too
    c = make_agreement(scope=SCOPE)
    manager = manager_of(c)
    if annex is not None:
        make_annex(c, annex[0], annex[1])
    lines = ["ref,title,category,system,date,hours,amount"]
    for task in inputs:
        lines.append(
            f"{task.ref},{task.title},{task.category or ''},{task.system or ''},{task.day},"
            f"{task.hours if task.hours is not None else ''},"
            f"{task.amount if task.amount is not None else ''}"
        )
    import_tasks(c, membership_of(manager, c.id), "\n".join(lines) + "\n", manager)
    assert verdicts(c) == verdicts(a)


@settings(
    derandomize=True,
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(task_strategy, min_size=1, max_size=8),
    annex_offset=st.integers(0, 75),
    annex_changes=st.sampled_from(ANNEXES),
    accepted=st.sets(st.integers(0, 7), max_size=3),
)
def test_after_any_annex_every_stored_verdict_equals_a_fresh_check(
    specs, annex_offset, annex_changes, accepted
):
    agreement = make_agreement(scope=SCOPE)
    manager = manager_of(agreement)
    membership = membership_of(manager, agreement.id)
    tasks = [
        record_task(agreement, membership, task_input(n, spec), manager)
        for n, spec in enumerate(specs)
    ]
    from contracts_app.tasks.services import fire_task_event

    for index in sorted(accepted):
        if index < len(tasks) and tasks[index].state.value in ("in_scope", "over_cap"):
            fire_task_event(tasks[index].id, "accept", manager)
    make_annex(agreement, START + dt.timedelta(days=annex_offset), annex_changes)
    db.session.expire_all()
    for task in db.session.scalars(sa.select(Task).where(Task.agreement_id == agreement.id)):
        result = check_stored(task)
        if task.state.value == "accepted":
            # a person's decision stands; a verdict it would change is flagged instead
            changed = (result.verdict, result.clause) != (task.verdict, task.clause_ref)
            assert task.needs_attention or not changed, task.ref
        else:
            assert (result.verdict, result.clause) == (task.verdict, task.clause_ref), task.ref
