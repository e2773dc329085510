"""The monthly service report: a document of the kind ``service_report``.

Issued by a manager for a closed month, it freezes the month's service levels (met
and missed, breaches, credits), the use of each capped clause, the tasks out of scope
or escalated, and the changes of scope that month. It is signed off, signed and
verified like a summary (documents.services). Once issued it never changes; when
the month's data change later (a late import, a retroactive annex), gathering it
again gives other content, and the page says that a newer report would differ.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.access import MANAGERS, require_role
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.annexes.models import Annex
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.documents.models import Document
from contracts_app.documents.services import canonical_hash
from contracts_app.errors import ValidationFailed
from contracts_app.escalations.stats import escalation_stats
from contracts_app.scope.services import clause_map, version_on
from contracts_app.service_levels.services import Period, build_report
from contracts_app.service_levels.tickets import TermsTimeline
from contracts_app.tasks.models import Task
from contracts_app.tasks.timeline import term_of
from contracts_app.tasks.usage import UsageLedger
from contracts_app.tasks.verdicts import cap_period
from workflows.annex_states import AnnexState
from workflows.task_states import TaskState, Verdict

KIND = "service_report"


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def period_end(agreement: Agreement, period: Period) -> dt.datetime:
    found = TermsTimeline(agreement.id).on(period.last_day)
    return period.bounds(found[1].calendar if found else None)[1]


def _escalations(agreement: Agreement, period: Period, end: dt.datetime) -> dict[str, Any]:
    """The month's escalation figures, counted up to the end of the month (so that the
    same month gives the same figures whenever it is issued)."""
    stats = escalation_stats(agreement, period.first_day, period.last_day, now=end)
    return {**stats, "from": stats["from"].isoformat(), "to": stats["to"].isoformat()}


def gather_service_report(agreement: Agreement, period: Period) -> dict[str, Any]:
    """Everything the month's report shows; plain JSON, the same for the same data."""
    end = period_end(agreement, period)
    figures = build_report(agreement, period, end)
    last = min(period.last_day, agreement.end_date or period.last_day)
    version = version_on(agreement, last) if agreement.covers(last) else None
    term = term_of(agreement)
    ledger = UsageLedger(agreement.id)
    caps = []
    for spec in (clause_map(version) if version else {}).values():
        if spec.cap is None:
            continue
        start, stop, label = cap_period(spec.cap.period, last, term)
        caps.append(
            {
                "ref": spec.ref,
                "title": spec.title,
                "unit": spec.cap.unit.value,
                **spec.cap.labels(),
                "period": label,
                "used": _money(ledger(spec.ref, spec.cap.unit, start, stop)),
                "limit": _money(spec.cap.limit),
            }
        )
    flagged = db.session.execute(
        sa.select(Task.ref, Task.title, Task.day, Task.state, Task.verdict)
        .where(
            Task.agreement_id == agreement.id,
            Task.day >= period.first_day,
            Task.day <= period.last_day,
            sa.or_(Task.verdict == Verdict.OUT_OF_SCOPE, Task.state == TaskState.ESCALATED),
        )
        .order_by(Task.day, Task.ref)
    ).all()
    annexes = db.session.scalars(
        sa.select(Annex)
        .where(
            Annex.agreement_id == agreement.id,
            Annex.state == AnnexState.EFFECTIVE,
            Annex.effective_date >= period.first_day,
            Annex.effective_date <= period.last_day,
        )
        .order_by(Annex.effective_date, Annex.number)
    ).all()
    return {
        "kind": KIND,
        "period": str(period),
        "agreement": {
            "code": agreement.code,
            "title": agreement.title,
            "customer": agreement.customer.name,
            "provider": agreement.provider.name,
            "term": agreement.term_text,
            "currency": agreement.currency,
            "locale": agreement.document_locale,  # frozen: how its figures read
            "signoff_sides": list(agreement.signoff_sides),
        },
        "service_levels": figures,
        "caps": caps,
        "tasks": [
            {
                "ref": row.ref,
                "title": row.title,
                "date": row.day.isoformat(),
                "state": row.state.value,
                "verdict": row.verdict.value,
            }
            for row in flagged
        ],
        "escalations": _escalations(agreement, period, end),
        "scope_changes": [
            {
                "annex": annex.label,
                "title": annex.title,
                "effective_date": annex.effective_date.isoformat(),
                "diff": annex.applied_diff,
            }
            for annex in annexes
        ],
    }


def issue_service_report(
    agreement: Agreement,
    membership: Membership | None,
    period: Period,
    actor: User,
    now: dt.datetime | None = None,
) -> Document:
    """Freeze a closed month's service report for sign-off (managers).

    Refuses a month that has not ended yet in the calendar's time zone.
    """
    require_role(actor, agreement, membership, MANAGERS)
    now = now or utcnow()
    if period_end(agreement, period) > now:
        raise ValidationFailed({"period": [f"{period} has not ended yet."]})
    with unit_of_work():
        content = gather_service_report(agreement, period)
        document = Document(
            uid=str(uuid.uuid4()),
            agreement_id=agreement.id,
            as_of=period.last_day,
            kind=KIND,
            period=str(period),
            content=content,
            content_hash=canonical_hash(content),
            required_sides=list(agreement.signoff_sides),
            issued_by_id=actor.id,
            issued_at=now,
        )
        db.session.add(document)
        db.session.flush()
        record(
            "document.issued",
            document,
            actor,
            agreement_id=agreement.id,
            changes={
                "state": {"before": None, "after": document.state.value},
                "period": {"before": None, "after": str(period)},
            },
        )
    return document


def issued_reports(agreement: Agreement) -> list[dict[str, Any]]:
    """The issued service reports, newest first, each saying whether a report issued
    now would differ (the month's data changed since)."""
    documents = db.session.scalars(
        sa.select(Document)
        .where(Document.agreement_id == agreement.id, Document.kind == KIND)
        .order_by(Document.id.desc())
    ).all()
    fresh: dict[str, str] = {}
    rows = []
    for document in documents:
        assert document.period is not None
        if document.period not in fresh:
            fresh[document.period] = canonical_hash(
                gather_service_report(agreement, Period.parse(document.period))
            )
        rows.append(
            {"document": document, "newer_differs": fresh[document.period] != document.content_hash}
        )
    return rows
