"""The daily activation: one agreement's failure never stops the others."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from contracts_app.annexes import services
from contracts_app.annexes.models import Annex
from contracts_app.db import db
from tests.factories import clause, make_agreement, make_annex
from workflows.annex_states import AnnexState


def scheduled_annex(agreement, day):
    annex = make_annex(
        agreement, day, [{"op": "add", "item": clause("3.1", ["extra"])}], effective=False
    )
    # as if both sides had signed before the date
    db.session.execute(
        sa.update(Annex).where(Annex.id == annex.id).values(state=AnnexState.SCHEDULED)
    )
    db.session.commit()
    return annex


def test_a_failing_annex_is_logged_and_reported_and_the_others_become_effective(
    monkeypatch, caplog
):
    first, second = make_agreement(), make_agreement()
    broken = scheduled_annex(first, dt.date(2026, 3, 1))
    later_of_broken = scheduled_annex(first, dt.date(2026, 4, 1))
    healthy = scheduled_annex(second, dt.date(2026, 3, 2))
    activate_one = services._activate_one

    def fail_for_broken(annex_id, today):
        if annex_id == broken.id:
            raise RuntimeError("disk full")
        return activate_one(annex_id, today)

    monkeypatch.setattr(services, "_activate_one", fail_for_broken)
    failures: list[tuple[int, str]] = []
    with caplog.at_level(logging.ERROR, logger="contracts_app.annexes.services"):
        activated = services.activate_due(dt.date(2026, 6, 1), failures=failures)

    assert [annex.id for annex in activated] == [healthy.id]
    assert failures == [(broken.id, "RuntimeError: disk full")]
    assert f"Annex {broken.id} could not become effective" in caplog.text
    db.session.expire_all()
    assert db.session.get(Annex, healthy.id).state == AnnexState.EFFECTIVE
    # the later annex of the same agreement builds on the failed one: it waits
    assert db.session.get(Annex, later_of_broken.id).state == AnnexState.SCHEDULED
    assert db.session.get(Annex, broken.id).state == AnnexState.SCHEDULED
