from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.access import membership_of
from contracts_app.agreements.models import Agreement
from contracts_app.annexes import services as workflow
from contracts_app.annexes.models import Annex
from contracts_app.annexes.services import AnnexInput, create_annex
from contracts_app.db import db
from contracts_app.notifications.models import Notification
from tests.factories import approver_of, clause, make_agreement, manager_of, member_user

TODAY = dt.date(2026, 6, 1)


@dataclass
class Cast:
    agreement: Agreement
    manager: User
    customer_manager: User
    customer_approver: User
    provider_approver: User
    contributor: User

    def draft(self, changes=None, effective_date=dt.date(2026, 3, 1), title="Change") -> Annex:
        return create_annex(
            self.agreement,
            membership_of(self.manager, self.agreement.id),
            AnnexInput(
                title=title,
                effective_date=effective_date,
                changes=changes or [{"op": "add", "item": clause("3.1", title="New clause")}],
            ),
            self.manager,
        )

    def fire(self, annex, event, user, **kwargs):
        kwargs.setdefault("today", TODAY)
        return workflow.fire_event(annex.id, event, user, **kwargs)


def make_cast() -> Cast:
    """An active agreement with its staff: a manager and an approver on each side."""
    agreement = make_agreement()
    # Activating it asked the customer's manager to confirm: the set-up's own notice is
    # not what these tests look at.
    db.session.execute(sa.delete(Notification).where(Notification.kind == "status_change_awaits"))
    db.session.commit()
    return Cast(
        agreement=agreement,
        manager=manager_of(agreement),
        customer_manager=manager_of(agreement, other_side=True),
        customer_approver=approver_of(agreement, "customer"),
        provider_approver=approver_of(agreement, "provider"),
        contributor=member_user(agreement, "provider", "contributor"),
    )


@pytest.fixture
def cast() -> Cast:
    return make_cast()


def notes(user: User, kind: str | None = None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)).all())


def kinds(user: User) -> list[str]:
    return [n.kind.value for n in notes(user)]
