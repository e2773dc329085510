"""The data of an agreement summary, gathered in a fixed number of queries.

The result is plain JSON (strings, numbers, lists): it is what an issued document
freezes, and what the PDF template renders. The number of queries does not depend
on the number of clauses, annexes or tasks (no N+1).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from contracts_app.agreements.models import Agreement
from contracts_app.annexes.models import Annex
from contracts_app.db import db
from contracts_app.figures import decimal_text
from contracts_app.scope.services import clause_map, list_versions, version_on
from contracts_app.tasks.models import Task
from contracts_app.tasks.timeline import term_of
from contracts_app.tasks.usage import UsageLedger
from contracts_app.tasks.verdicts import cap_period
from workflows.task_states import TaskState, Verdict


def _money(value: Decimal | None) -> str | None:
    return decimal_text(value)  # exact: never rounded for print either


def _when(moment: dt.datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else None


def _acts(rows: Any, review_round: int, moment: str) -> list[dict[str, Any]]:
    """Approvals or signatures of the annex's current review round, for the register."""
    return [
        {
            "side": row.side.value,
            "name": row.user.name if row.user else "",
            "at": _when(getattr(row, moment)),
        }
        for row in rows
        if row.review_round == review_round
    ]


def gather_summary(agreement: Agreement, as_of: dt.date) -> dict[str, Any]:
    """Everything the summary shows about ``agreement`` as of ``as_of``."""
    day = min(max(as_of, agreement.start_date), agreement.end_date or as_of)
    version = version_on(agreement, day)
    clauses = clause_map(version) if version else {}
    term = term_of(agreement)
    ledger = UsageLedger(agreement.id)

    included, excluded, caps = [], [], []
    for spec in clauses.values():
        row = spec.to_json()
        if spec.cap is not None:
            start, end, label = cap_period(spec.cap.period, day, term)
            used = ledger(spec.ref, spec.cap.unit, start, end)
            row["use"] = {"period": label, "used": _money(used), "limit": _money(spec.cap.limit)}
            caps.append(
                {
                    "ref": spec.ref,
                    "title": spec.title,
                    "unit": spec.cap.unit.value,
                    **spec.cap.labels(),
                    "period": label,
                    "used": float(used),
                    "limit": float(spec.cap.limit),
                }
            )
        (excluded if spec.kind.value == "excluded" else included).append(row)

    annexes = db.session.scalars(
        sa.select(Annex)
        .where(Annex.agreement_id == agreement.id)
        .order_by(Annex.number)
        .options(selectinload(Annex.approvals), selectinload(Annex.signatures))
    ).all()
    counts = dict.fromkeys((v.value for v in Verdict), 0)
    for verdict, count in db.session.execute(
        sa.select(Task.verdict, sa.func.count(Task.id))
        .where(Task.agreement_id == agreement.id)
        .group_by(Task.verdict)
    ):
        counts[verdict.value] = count
    escalations = db.session.execute(
        sa.select(Task.ref, Task.title, Task.day, Task.clause_ref)
        .where(Task.agreement_id == agreement.id, Task.state == TaskState.ESCALATED)
        .order_by(Task.day)
    ).all()

    from contracts_app.audit.services import chain_head

    return {
        "audit_head": chain_head(agreement.id),
        "agreement": {
            "code": agreement.code,
            "title": agreement.title,
            "customer": agreement.customer.name,
            "provider": agreement.provider.name,
            "term": agreement.term_text,
            "start_date": agreement.start_date.isoformat(),
            "end_date": agreement.end_date.isoformat() if agreement.end_date else None,
            "currency": agreement.currency,
            "locale": agreement.document_locale,  # frozen: how its figures read
            "value": _money(agreement.value),
            "status": agreement.status.value,
            "sla_notes": agreement.sla_notes,
            "approval_sides": list(agreement.approval_sides),
            "signoff_sides": list(agreement.signoff_sides),
        },
        "as_of": as_of.isoformat(),
        "scope": {
            "version": version.number if version else None,
            "valid_from": version.valid_from.isoformat() if version else None,
            "valid_to": version.valid_to.isoformat() if version and version.valid_to else None,
            "included": included,
            "excluded": excluded,
        },
        "timeline": [
            {
                "version": v.number,
                "valid_from": v.valid_from.isoformat(),
                "valid_to": v.valid_to.isoformat() if v.valid_to else None,
                "made_by": f"{v.annex.label}: {v.annex.title}" if v.annex else "Base scope",
            }
            for v in list_versions(agreement)
        ],
        "annexes": [
            {
                "number": a.number,
                "name": a.full_label,  # "Annex 5 of AMS-2026-01", as people name it
                "title": a.title,
                "effective_date": a.effective_date.isoformat(),
                "state": a.state.value,
                "approvals": _acts(a.approvals, a.review_round, "created_at"),
                "signatures": _acts(a.signatures, a.review_round, "signed_at"),
                "diff": a.applied_diff if a.state.value == "effective" else None,
            }
            for a in annexes
        ],
        "verification": {
            "counts": counts,
            "total": sum(counts.values()),
            "caps": caps,
            "escalations": [
                {"ref": e.ref, "title": e.title, "date": e.day.isoformat(), "clause": e.clause_ref}
                for e in escalations
            ],
        },
    }
