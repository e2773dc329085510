"""The audit chain catches edits, deletions and reorderings made behind the application's back."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from contracts_app.audit.models import AuditEvent
from contracts_app.audit.services import chain_of, verify_chain
from contracts_app.db import db
from tests.factories import clause, make_agreement, make_annex, manager_of, token_for


@pytest.fixture
def agreement():
    agreement = make_agreement()
    for month in (3, 5, 7):
        make_annex(
            agreement, dt.date(2026, month, 1), [{"op": "add", "item": clause(f"{month}.1")}]
        )
    return agreement


def _sql(statement: str, **params) -> None:
    """Change rows directly, as someone with database access but without the key would."""
    db.session.execute(sa.text(statement), params)
    db.session.flush()
    db.session.expire_all()


def _event(agreement, seq):
    return db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.chain == chain_of(agreement.id), AuditEvent.seq == seq
        )
    )


def test_an_untouched_chain_is_intact(agreement):
    report = verify_chain(chain_of(agreement.id))
    assert report.intact and report.events >= 8 and report.head


def test_an_edited_event_is_caught(agreement):
    target = _event(agreement, 4)
    _sql("UPDATE audit_events SET comment = 'nothing to see' WHERE id = :id", id=target.id)
    report = verify_chain(chain_of(agreement.id))
    assert (report.intact, report.broken_at) == (False, 4)
    assert "changed" in report.reason


def test_an_edit_with_a_recomputed_plain_hash_is_still_caught(agreement):
    import hashlib

    target = _event(agreement, 3)
    forged = hashlib.sha256(b"attacker has no key").hexdigest()
    _sql(
        "UPDATE audit_events SET action = 'annex.withdraw', mac = :mac WHERE id = :id",
        mac=forged,
        id=target.id,
    )
    report = verify_chain(chain_of(agreement.id))
    assert not report.intact and report.broken_at == 3


def test_a_deleted_event_is_caught(agreement):
    target = _event(agreement, 5)
    _sql("DELETE FROM audit_events WHERE id = :id", id=target.id)
    report = verify_chain(chain_of(agreement.id))
    assert not report.intact and report.broken_at == 6


def test_reordered_events_are_caught(agreement):
    a, b = _event(agreement, 2), _event(agreement, 6)
    _sql("UPDATE audit_events SET seq = -1 WHERE id = :id", id=a.id)
    _sql("UPDATE audit_events SET seq = 2 WHERE id = :id", id=b.id)
    _sql("UPDATE audit_events SET seq = 6 WHERE id = :id", id=a.id)
    report = verify_chain(chain_of(agreement.id))
    assert not report.intact and report.broken_at == 2


def test_the_cli_reports_intact_and_broken_chains(app, agreement):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify", agreement.code])
    assert ok.exit_code == 0 and "intact" in ok.output
    _sql("UPDATE audit_events SET comment = 'x' WHERE id = :id", id=_event(agreement, 2).id)
    broken = runner.invoke(args=["audit", "verify", agreement.code])
    assert broken.exit_code == 1 and "BROKEN at event 2" in broken.output


def test_the_api_lists_events_newest_first_with_the_chain_state(client, agreement):
    body = client.get(
        f"/api/v1/agreements/{agreement.code}/audit?per_page=5",
        headers=token_for(manager_of(agreement)),
    ).json
    seqs = [e["seq"] for e in body["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == 5
    assert body["chain"]["intact"] is True and body["total"] >= 8


def test_every_kind_of_change_is_in_the_trail(agreement):
    actions = set(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.agreement_id == agreement.id)
        )
    )
    assert {
        "agreement.created",
        "agreement.activate",
        "agreement.confirm",
        "annex.created",
        "annex.submit",
        "annex.approve",
        "annex.sign",
        "annex.applied",
    } <= actions
