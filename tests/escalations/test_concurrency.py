"""Both sides escalating at the same moment, on real concurrent connections."""

from __future__ import annotations

import pytest

from contracts_app.db import db
from contracts_app.errors import DomainError
from contracts_app.escalations import services
from contracts_app.escalations.models import Escalation, EscalationMessage
from tests.annexes.test_concurrency import race
from tests.escalations.test_services import laddered_agreement, raise_one
from tests.factories import approver_of, manager_of

pytestmark = pytest.mark.committed


@pytest.fixture(autouse=True)
def _clean(clean_database):
    yield


def test_two_sides_escalating_at_once_from_the_level_they_saw_give_one_climb(app):
    agreement = laddered_agreement()
    escalation = raise_one(agreement, now=None)
    customer, provider = approver_of(agreement, "customer"), manager_of(agreement)

    def escalate(user):
        return lambda: services.fire_event(escalation.id, "escalate", user, seen_level=1)

    db.session.commit()  # end the reads above: SQLite would hold its write lock
    results = race(app, escalate(customer), escalate(provider))
    assert not any(isinstance(r, DomainError) for r in results), results
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).level == 2
    climbs = db.session.query(EscalationMessage).filter_by(event="escalate").count()
    assert climbs == 1
