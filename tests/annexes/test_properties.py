"""Invariants of the annex life cycle under random sequences of events by random people.

After every step: an annex is effective only if every required side approved and signed
in its last review round, each by an approver who is a member of that side; and what the
machine offers a person is exactly what the service then accepts from them.
"""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contracts_app.agreements.access import membership_of
from contracts_app.agreements.models import Membership
from contracts_app.annexes.models import Annex, AnnexApproval, AnnexSignature
from contracts_app.annexes.services import events_for, fire_event
from contracts_app.db import db
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from tests.factories import PASSWORD, clause, make_agreement, make_annex, make_user, member_user
from workflows.annex import USER_EVENTS
from workflows.annex_states import AnnexState

PEOPLE = [
    (side, role, n)
    for side in ("customer", "provider")
    for role in ("manager", "approver", "contributor", "viewer")
    for n in (1, 2)
    if n == 1 or role in ("manager", "approver")
] + [("admin", None, 1)]

step = st.tuples(
    st.integers(min_value=0, max_value=len(PEOPLE) - 1),
    st.sampled_from([e.value for e in USER_EVENTS]),
    st.booleans(),  # right password (for sign)
    st.booleans(),  # a comment given
    st.integers(min_value=0, max_value=5),  # 1-2: a step forward; 3-5: any event offered
)
_refs = itertools.count(1)
TODAY = dt.date(2026, 6, 1)
FORWARD = ("submit", "approve", "sign")


def _cast():
    agreement = make_agreement()
    people = {}
    for side, role, n in PEOPLE:
        if side == "admin":
            people[(side, role, n)] = make_user(admin=True)
        elif role == "manager" and n == 1 and side == "provider":
            from tests.factories import manager_of

            people[(side, role, n)] = manager_of(agreement)
        else:
            people[(side, role, n)] = member_user(agreement, side, role)
    return agreement, people


def _assert_effective_only_with_every_side(annex: Annex) -> None:
    if annex.state != AnnexState.EFFECTIVE:
        return
    required = set(annex.agreement.approval_sides)
    for row_type in (AnnexApproval, AnnexSignature):
        rows = db.session.execute(
            sa.select(row_type.side, Membership.side, Membership.role)
            .join(
                Membership,
                sa.and_(
                    Membership.user_id == row_type.user_id,
                    Membership.agreement_id == annex.agreement_id,
                ),
            )
            .where(row_type.annex_id == annex.id, row_type.review_round == annex.review_round)
        ).all()
        assert {side.value for side, _member_side, _role in rows} >= required
        for side, member_side, role in rows:
            assert side == member_side, "given for the signer's own side"
            assert role.value == "approver"


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=16))
# Walks that surely reach the ends of the life cycle, beside the generated ones.
@example(steps=[(0, "submit", True, True, 1)] * 6)
@example(steps=[(0, "submit", True, True, 1), (2, "reject", True, True, 0)])
@example(steps=[(0, "submit", True, True, 1)] * 4 + [(8, "sign", False, False, 0)] * 2)
def test_random_events_by_random_people_keep_the_two_party_rule(app, steps):
    agreement, people = _cast()
    annex = make_annex(
        agreement,
        dt.date(2026, 3, 1),
        [{"op": "add", "item": clause(f"70.{next(_refs)}")}],
        effective=False,
    )
    for person_index, event, right_password, with_comment, pick in steps:
        db.session.expire_all()
        annex = db.session.get(Annex, annex.id)
        if pick:  # mostly someone who may act, firing what is offered: walks that go forward
            for shift in range(len(PEOPLE)):
                candidate = (person_index + shift) % len(PEOPLE)
                user = people[PEOPLE[candidate]]
                mine = events_for(annex, user, membership_of(user, agreement.id), TODAY)
                if pick < 3:  # a step forward, else anything offered
                    mine = [name for name in mine if name in FORWARD]
                if mine:
                    person_index = candidate
                    event = mine[pick % len(mine)]
                    break
        user = people[PEOPLE[person_index]]
        membership = membership_of(user, agreement.id)
        offered = events_for(annex, user, membership, TODAY)
        password = PASSWORD if right_password else "wrong password"
        comment = "Because." if with_comment else ""
        try:
            fire_event(annex.id, event, user, comment=comment, password=password, today=TODAY)
        except (Conflict, Forbidden):
            assert event not in offered, f"{event} was offered to {PEOPLE[person_index]}"
        except ValidationFailed as exc:
            # only what a form asks for: a comment, the password
            assert set(exc.errors) <= {"comment", "password"}, exc.errors
            assert event in offered
        else:
            assert event in offered, f"{event} fired though not offered"
        db.session.expire_all()
        _assert_effective_only_with_every_side(db.session.get(Annex, annex.id))
    REACHED.add(db.session.get(Annex, annex.id).state.value)


REACHED: set[str] = set()


def test_the_random_walks_reach_every_final_state():
    """Run after the property test (same module): the walks did explore the life cycle."""
    assert {"effective", "rejected", "withdrawn", "approved"} <= REACHED, REACHED
