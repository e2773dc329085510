"""Two people acting at once: real concurrent connections (threads), committed data.

On PostgreSQL the agreement row lock serialises annex events; on SQLite, BEGIN
IMMEDIATE does. Either way exactly one transition wins and nothing is counted twice.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.annexes import services
from contracts_app.annexes.models import Annex, AnnexApproval
from contracts_app.db import db
from contracts_app.errors import DomainError
from contracts_app.scope.services import assert_timeline_consistent, clause_map, scope_on
from tests.factories import (
    PASSWORD,
    approver_of,
    clause,
    make_agreement,
    manager_of,
    member_user,
)
from workflows.annex_states import AnnexState

pytestmark = pytest.mark.committed


@pytest.fixture(autouse=True)
def _clean(clean_database):
    yield


def race(app, *actions: Callable[[], object]) -> list[object]:
    """Run the actions at the same moment, each in its own thread, session and connection."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = action()
            except DomainError as exc:
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def setup_in_review():
    agreement = make_agreement()
    manager = manager_of(agreement)
    people = {
        "customer_a": member_user(agreement, "customer", "approver"),
        "customer_b": member_user(agreement, "customer", "approver"),
        "provider": member_user(agreement, "provider", "approver"),
    }
    annex = services.create_annex(
        agreement,
        membership_of(manager, agreement.id),
        services.AnnexInput(
            title="Raced",
            effective_date=dt.date(2026, 3, 1),
            changes=[{"op": "add", "item": clause("3.1")}],
        ),
        manager,
    )
    services.fire_event(annex.id, "submit", manager)
    return agreement, manager, annex, people


def fresh(annex_id: int) -> Annex:
    db.session.expire_all()
    return db.session.get(Annex, annex_id)


def approvals(annex_id: int) -> list[str]:
    return sorted(
        s.value
        for s in db.session.scalars(
            sa.select(AnnexApproval.side).where(AnnexApproval.annex_id == annex_id)
        )
    )


@pytest.mark.parametrize("attempt", range(3))
def test_two_approvers_of_one_side_at_once_count_once(app, attempt):
    _agreement, _manager, annex, people = setup_in_review()
    results = race(
        app,
        lambda: services.fire_event(annex.id, "approve", people["customer_a"]),
        lambda: services.fire_event(annex.id, "approve", people["customer_b"]),
    )
    failures = [r for r in results if isinstance(r, DomainError)]
    assert len(failures) == 1 and failures[0].status == 409
    assert approvals(annex.id) == ["customer"]
    assert fresh(annex.id).state == AnnexState.IN_REVIEW


@pytest.mark.parametrize("attempt", range(3))
def test_both_sides_approving_at_once_are_both_recorded_and_approve_it(app, attempt):
    _agreement, _manager, annex, people = setup_in_review()
    results = race(
        app,
        lambda: services.fire_event(annex.id, "approve", people["customer_a"]),
        lambda: services.fire_event(annex.id, "approve", people["provider"]),
    )
    assert not any(isinstance(r, DomainError) for r in results)
    assert approvals(annex.id) == ["customer", "provider"]
    assert fresh(annex.id).state == AnnexState.APPROVED


def test_reject_and_approve_at_once_make_exactly_one_transition(app):
    _agreement, _manager, annex, people = setup_in_review()
    results = race(
        app,
        lambda: services.fire_event(annex.id, "reject", people["customer_a"], comment="No"),
        lambda: services.fire_event(annex.id, "request_changes", people["provider"], comment="Fix"),
    )
    assert sum(isinstance(r, DomainError) for r in results) == 1
    assert fresh(annex.id).state in (AnnexState.REJECTED, AnnexState.CHANGES_REQUESTED)


def test_two_annexes_signed_into_effect_at_once_leave_a_consistent_timeline(app):
    agreement = make_agreement()
    manager = manager_of(agreement)
    membership = membership_of(manager, agreement.id)
    later = services.create_annex(
        agreement,
        membership,
        services.AnnexInput(
            title="Later",
            effective_date=dt.date(2026, 6, 1),
            changes=[{"op": "add", "item": clause("6.1")}],
        ),
        manager,
    )
    earlier = services.create_annex(
        agreement,
        membership,
        services.AnnexInput(
            title="Earlier",
            effective_date=dt.date(2026, 3, 1),
            changes=[{"op": "add", "item": clause("3.1")}],
        ),
        manager,
    )
    customer, provider = approver_of(agreement, "customer"), approver_of(agreement, "provider")
    for annex in (later, earlier):  # everything but the customer's signature
        services.fire_event(annex.id, "submit", manager)
        services.fire_event(annex.id, "approve", customer)
        services.fire_event(annex.id, "approve", provider)
        services.fire_event(annex.id, "sign", provider, password=PASSWORD)

    def last_signature(annex_id: int) -> Callable[[], object]:
        return lambda: services.fire_event(annex_id, "sign", customer, password=PASSWORD)

    results = race(app, last_signature(later.id), last_signature(earlier.id))
    assert not any(isinstance(r, Exception) for r in results), results
    db.session.expire_all()
    assert_timeline_consistent(agreement)
    assert "3.1" in clause_map(scope_on(agreement, dt.date(2026, 7, 1)))
    assert "6.1" in clause_map(scope_on(agreement, dt.date(2026, 7, 1)))
    assert "6.1" not in clause_map(scope_on(agreement, dt.date(2026, 4, 1)))


def test_two_edits_from_the_same_form_version_keep_exactly_one(app):
    agreement = make_agreement()
    manager = manager_of(agreement)
    membership = membership_of(manager, agreement.id)
    annex = services.create_annex(
        agreement,
        membership,
        services.AnnexInput(
            title="Original",
            effective_date=dt.date(2026, 3, 1),
            changes=[{"op": "remove", "ref": "1.2"}],
        ),
        manager,
    )

    def edit(title: str) -> Callable[[], object]:
        return lambda: services.update_annex(
            db.session.get(Annex, annex.id),
            membership_of(manager, agreement.id),
            {"title": title},
            1,
            manager,
        )

    results = race(app, edit("From Alice"), edit("From Bob"))
    failures = [r for r in results if isinstance(r, DomainError)]
    assert len(failures) == 1 and "changed by someone else" in failures[0].message
    assert fresh(annex.id).title in ("From Alice", "From Bob")
    assert fresh(annex.id).lock_version == 2
