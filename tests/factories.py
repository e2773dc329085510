"""Test data built through the services, with cheap defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.accounts.passwords import hash_password
from contracts_app.accounts.services import issue_token
from contracts_app.agreements import status as agreement_status
from contracts_app.agreements.access import membership_of
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.agreements.services import AgreementInput, create_agreement
from contracts_app.annexes.models import Annex
from contracts_app.annexes.services import AnnexInput, create_annex, fire_event
from contracts_app.db import db
from contracts_app.enums import Role, Side
from workflows.annex_states import AnnexState

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: Argon2id is slow on purpose
_sequence = itertools.count(1)


def make_user(email: str | None = None, name: str = "Test User", admin: bool = False) -> User:
    n = next(_sequence)
    user = User(
        email=email or f"user{n}@example.com",
        name=name if name != "Test User" else f"Test User {n}",
        password_hash=_PASSWORD_HASH,
        is_admin=admin,
    )
    db.session.add(user)
    db.session.commit()
    return user


def clause(ref: str, categories: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "ref": ref,
        "title": fields.pop("title", f"Clause {ref}"),
        "kind": fields.pop("kind", "included"),
        "categories": categories if categories is not None else [f"cat{ref.replace('.', '')}"],
        **fields,
    }


def default_scope() -> list[dict[str, Any]]:
    return [
        clause(
            "1.1", ["support.incident"], cap={"unit": "hours", "limit": "120", "period": "month"}
        ),
        clause("1.2", ["support.request"], rate="60.00"),
        clause("2.1", ["maintenance"], systems=["shop-web"]),
        clause("9.1", ["development"], kind="excluded"),
    ]


def make_agreement(
    *,
    code: str | None = None,
    start: dt.date = dt.date(2026, 1, 1),
    end: dt.date | None = dt.date(2026, 12, 31),
    scope: list[dict[str, Any]] | None = None,
    status: str = "active",
    manager: User | None = None,
    customer: str = "Customer Ltd",
    provider: str = "Provider plc",
) -> Agreement:
    manager = manager or make_user(name="Manager")
    agreement = create_agreement(
        AgreementInput(
            code=code or f"AG-{next(_sequence):04d}",
            title="Application support",
            customer=customer,
            provider=provider,
            start_date=start,
            end_date=end,
            currency="EUR",
            value=Decimal("1000.00"),
            scope=default_scope() if scope is None else scope,
        ),
        manager,
    )
    if status != "draft":
        staff(agreement)
        set_status(agreement, status)
    return agreement


def staff(agreement: Agreement) -> None:
    """Give each side the manager and approver activation needs, where it has none."""
    held = {(m.side, m.role) for m in _memberships(agreement)}
    for side in Side:
        for role in (Role.MANAGER, Role.APPROVER):
            if (side, role) not in held:
                member_user(agreement, side.value, role.value)


def set_status(agreement: Agreement, status: str) -> None:
    """Bring the agreement to ``status`` through its events, each confirmed by the other side."""
    path = {
        "active": ["activate"],
        "suspended": ["activate", "suspend"],
        "terminated": ["activate", "terminate"],
    }[status]
    for event in path:
        if event == "activate" and agreement.status.value != "draft":
            continue
        asking, confirming = manager_of(agreement), manager_of(agreement, other_side=True)
        day = max(dt.date.today(), agreement.start_date)
        for user, name in ((asking, event), (confirming, "confirm")):
            agreement_status.fire_event(
                agreement,
                membership_of(user, agreement.id),
                name,
                user,
                reason=f"{event} in a test",
                today=day,
            )


def add_member(
    agreement: Agreement, user: User, side: str = "customer", role: str = "viewer"
) -> Membership:
    member = Membership(
        agreement_id=agreement.id, user_id=user.id, side=Side(side), role=Role(role)
    )
    db.session.add(member)
    db.session.commit()
    return member


def member_user(agreement: Agreement, side: str = "customer", role: str = "viewer") -> User:
    user = make_user(name=f"{side} {role}")
    add_member(agreement, user, side, role)
    return user


def _memberships(agreement: Agreement) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.agreement_id == agreement.id)
            .order_by(Membership.id)
        ).all()
    )


def manager_of(agreement: Agreement, *, other_side: bool = False) -> User:
    """The agreement's creator (a manager), or a manager of the creator's other side."""
    members = _memberships(agreement)
    creator = next((m for m in members if m.user_id == agreement.created_by_id), None)
    creator_side = creator.side if creator is not None else Side.PROVIDER
    if not other_side and creator is not None and creator.role == Role.MANAGER:
        return creator.user
    wanted = creator_side if not other_side else next(s for s in Side if s != creator_side)
    return next(m.user for m in members if m.role == Role.MANAGER and m.side == wanted)


def approver_of(agreement: Agreement, side: str) -> User:
    return next(
        m.user for m in _memberships(agreement) if m.role == Role.APPROVER and m.side == Side(side)
    )


def make_annex(
    agreement: Agreement,
    effective_date: dt.date,
    changes: list[dict[str, Any]],
    *,
    effective: bool = True,
    title: str = "Change",
) -> Annex:
    manager = manager_of(agreement)
    annex = create_annex(
        agreement,
        membership_of(manager, agreement.id),
        AnnexInput(title=title, effective_date=effective_date, changes=changes),
        manager,
    )
    if effective:
        agree_to(annex)
    return annex


def agree_to(annex: Annex, today: dt.date | None = None) -> Annex:
    """Take an annex through the real workflow: submitted by a manager, then approved and
    signed by an approver of every side the agreement requires. ``today`` defaults to the
    annex's date when that lies ahead, so that it becomes effective rather than scheduled."""
    agreement = annex.agreement
    today = today or max(dt.date.today(), annex.effective_date)
    fire_event(annex.id, "submit", manager_of(agreement), today=today)
    for event, extra in (("approve", {}), ("sign", {"password": PASSWORD})):
        for side in list(agreement.approval_sides):
            fire_event(annex.id, event, approver_of(agreement, side), today=today, **extra)
    db.session.refresh(annex)
    assert annex.state in (AnnexState.EFFECTIVE, AnnexState.SCHEDULED, AnnexState.CHANGES_REQUESTED)
    return annex


def token_for(user: User) -> dict[str, str]:
    _token, plain = issue_token(user, "test")
    return {"Authorization": f"Bearer {plain}"}


def signed_in(client: Any, user: User) -> Any:
    """Sign ``user`` in through the login form, as a browser would."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def service_level(ref: str = "SL-1", **fields: Any) -> dict[str, Any]:
    """A service level as JSON: P1 incident resolution in 4 business hours by default."""
    return {
        "ref": ref,
        "title": fields.pop("title", f"Service level {ref}"),
        "metric": fields.pop("metric", "resolution_time"),
        "applies_to": fields.pop(
            "applies_to", {"categories": ["support.incident"], "priorities": ["P1"], "systems": []}
        ),
        "target_hours": fields.pop("target_hours", "4"),
        "clock": fields.pop("clock", "business"),
        "objective_percent": fields.pop("objective_percent", "95.0"),
        "period": "month",
        "credits": fields.pop(
            "credits",
            [
                {"below_percent": "95.0", "credit_percent": "5"},
                {"below_percent": "90.0", "credit_percent": "10"},
            ],
        ),
        **fields,
    }


WARSAW_CALENDAR = {
    "timezone": "Europe/Warsaw",
    "working_days": ["mon", "tue", "wed", "thu", "fri"],
    "working_hours": ["08:00", "18:00"],
    "holidays": {"country": "PL", "subdivision": None},
    "closed_days": ["2026-12-24"],
}


def make_sla_agreement(
    service_levels: list[dict[str, Any]],
    *,
    calendar: dict[str, Any] | None = None,
    monthly_fee: str | None = "40000.00",
    currency: str = "EUR",
    **kwargs: Any,
) -> Agreement:
    """An active agreement whose base scope carries service levels, a calendar and a fee
    (set while it is a draft, through the edit service, then activated by its events)."""
    from contracts_app.agreements.services import update_agreement

    agreement = make_agreement(status="draft", **kwargs)
    manager = manager_of(agreement)
    update_agreement(
        agreement,
        membership_of(manager, agreement.id),
        {
            "service_levels": service_levels,
            "calendar": calendar,
            "monthly_fee": monthly_fee,
            "currency": currency,
        },
        manager,
    )
    staff(agreement)
    set_status(agreement, "active")
    return agreement
