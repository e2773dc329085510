"""Contract date alerts: each sent once per agreement, date and lead time, to both sides'
managers (the dates themselves are computed in ``agreements.terms``)."""

from __future__ import annotations

import datetime as dt

from contracts_app import formatting
from contracts_app.agreements.models import Agreement
from contracts_app.agreements.terms import DueAlert
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.services import mark_once, notify
from contracts_app.notifications.triggers import managers_of


def contract_date_near(agreement: Agreement, alert: DueAlert, today: dt.date) -> bool:
    """One alert per agreement, date and lead time, to both sides' managers."""
    if not mark_once(f"agreement:{agreement.id}", f"date:{alert.key}"):
        return False
    days = (alert.date.day - today).days
    with formatting.in_english():  # stored and mailed once, whoever reads it
        when = "today" if days == 0 else f"in {formatting.counted(days, 'day', 'days')}"
    notify(
        managers_of(agreement.id),
        Kind.CONTRACT_DATE,
        f"{agreement.code}: {alert.date.label.lower()} on {alert.date.day} ({when}).",
        f"/agreements/{agreement.code}",
        agreement_id=agreement.id,
        object_type="agreement",
        object_id=agreement.id,
    )
    return True
