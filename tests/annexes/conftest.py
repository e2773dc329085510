from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from contracts_app.accounts.models import User
from contracts_app.agreements.access import membership_of
from contracts_app.agreements.models import Agreement
from contracts_app.annexes.models import Annex
from contracts_app.annexes.services import AnnexInput, create_annex
from tests.factories import clause, make_agreement, manager_of, member_user


@dataclass
class Cast:
    agreement: Agreement
    manager: User
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


@pytest.fixture
def cast() -> Cast:
    agreement = make_agreement()
    return Cast(
        agreement=agreement,
        manager=manager_of(agreement),
        customer_approver=member_user(agreement, "customer", "approver"),
        provider_approver=member_user(agreement, "provider", "approver"),
        contributor=member_user(agreement, "provider", "contributor"),
    )
