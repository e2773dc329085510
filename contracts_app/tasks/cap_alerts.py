"""Cap thresholds: when recorded or accepted work brings a clause's use in its period to a
threshold of the agreement (80 % and 100 % by default), both sides' managers are told,
once per clause, period and threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from contracts_app import formatting
from contracts_app.agreements.models import Agreement
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.services import mark_once, notify
from contracts_app.notifications.triggers import managers_of
from contracts_app.scope.services import clause_map, version_on
from contracts_app.tasks.timeline import term_of
from contracts_app.tasks.usage import UsageLedger
from contracts_app.tasks.verdicts import cap_period


def cap_use_changed(agreement: Agreement, clause_ref: str | None, day: dt.date) -> None:
    """After work was recorded or accepted: tell both sides' managers of each threshold the
    clause's use in that period has reached, once per clause, period and threshold."""
    if clause_ref is None:
        return
    version = version_on(agreement, day)
    if version is None:
        return
    clause = clause_map(version).get(clause_ref)
    if clause is None or clause.cap is None or not clause.cap.limit:
        return
    start, end, label = cap_period(clause.cap.period, day, term_of(agreement))
    used = UsageLedger(agreement.id, refs=[clause_ref])(clause_ref, clause.cap.unit, start, end)
    percent = used * 100 / Decimal(clause.cap.limit)
    with formatting.in_english():  # stored and mailed once, whoever reads it
        used_text, limit_text = [
            formatting.measure(
                figure, clause.cap.unit, agreement.currency, *formatting.unit_labels(clause.cap)
            )
            for figure in (used, clause.cap.limit)
        ]
    for threshold in sorted(agreement.cap_alert_percents or []):
        if percent < threshold:
            continue
        if not mark_once(f"agreement:{agreement.id}", f"cap:{clause_ref}:{start}:{threshold}"):
            continue
        notify(
            managers_of(agreement.id),
            Kind.CAP_THRESHOLD,
            f"{agreement.code} clause {clause_ref}: {used_text} of {limit_text} used in "
            f"{label} ({percent:.0f} %, threshold {threshold} %).",
            f"/agreements/{agreement.code}/clauses/{clause_ref}/usage",
            agreement_id=agreement.id,
            object_type="clause",
            object_id=None,
        )
