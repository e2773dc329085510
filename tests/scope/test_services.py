from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import sqlalchemy as sa

from contracts_app.annexes.models import Annex
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db
from contracts_app.errors import Conflict, ScopeConflict, ValidationFailed
from contracts_app.scope import services
from contracts_app.scope.models import ScopeVersion
from tests.factories import clause, make_agreement, make_annex
from workflows.annex_states import AnnexState

D = dt.date


def refs_on(agreement, day, recorded_at=None):
    return list(services.clause_map(services.scope_on(agreement, day, recorded_at)))


def timeline(agreement):
    return [
        (v.valid_from, v.valid_to, v.annex.number if v.annex else None)
        for v in services.list_versions(agreement)
    ]


def test_base_scope_is_valid_from_the_start_date_and_open_ended():
    agreement = make_agreement(start=D(2026, 1, 1))
    assert timeline(agreement) == [(D(2026, 1, 1), None, None)]
    assert refs_on(agreement, D(2026, 1, 1)) == ["1.1", "1.2", "2.1", "9.1"]
    assert refs_on(agreement, D(2026, 12, 31)) == ["1.1", "1.2", "2.1", "9.1"]


def test_scope_outside_the_term_is_refused_with_the_field_named():
    agreement = make_agreement(start=D(2026, 1, 1), end=D(2026, 12, 31))
    for day in (D(2025, 12, 31), D(2027, 1, 1)):
        with pytest.raises(ValidationFailed) as caught:
            services.scope_on(agreement, day)
        assert "as_of" in caught.value.errors


def test_annex_splits_the_timeline_at_its_effective_date():
    agreement = make_agreement()
    make_annex(agreement, D(2026, 4, 1), [{"op": "add", "item": clause("3.1")}])
    assert timeline(agreement) == [(D(2026, 1, 1), D(2026, 4, 1), None), (D(2026, 4, 1), None, 1)]
    assert "3.1" not in refs_on(agreement, D(2026, 3, 31))
    assert "3.1" in refs_on(agreement, D(2026, 4, 1))


def test_retroactive_annex_rederives_later_versions_and_keeps_the_replaced_ones():
    agreement = make_agreement()
    make_annex(agreement, D(2026, 6, 1), [{"op": "modify", "ref": "1.2", "fields": {"rate": "70"}}])
    before_retro = services.list_versions(agreement)
    retro = make_annex(agreement, D(2026, 3, 1), [{"op": "add", "item": clause("3.1")}])

    assert timeline(agreement) == [
        (D(2026, 1, 1), D(2026, 3, 1), None),
        (D(2026, 3, 1), D(2026, 6, 1), retro.number),
        (D(2026, 6, 1), None, 1),
    ]
    june = services.clause_map(services.scope_on(agreement, D(2026, 6, 15)))
    assert "3.1" in june, "the later version now carries the retroactive addition"
    assert june["1.2"].rate == Decimal("70"), "and still the later annex's change"

    everything = services.list_versions(agreement, include_superseded=True)
    superseded = [v for v in everything if v.superseded_at is not None]
    replaced = {v.id for v in superseded if v.superseded_at == retro.effective_at}
    assert replaced == {v.id for v in before_retro}, "the versions it replaced are kept"
    assert all(v.superseded_at is None for v in services.list_versions(agreement))


def test_the_version_key_of_a_day_is_that_of_the_version_valid_on_it():
    """Scope checks find a version's clauses by its key row; it names the same version as
    ``version_on`` on every day, across a retroactive annex and outside the term."""
    agreement = make_agreement(start=D(2026, 1, 1), end=D(2026, 12, 31))
    make_annex(agreement, D(2026, 6, 1), [{"op": "remove", "ref": "1.2"}])
    make_annex(agreement, D(2026, 3, 1), [{"op": "add", "item": clause("3.1")}])
    for day in (
        D(2025, 12, 31),
        D(2026, 1, 1),
        D(2026, 2, 28),
        D(2026, 3, 1),
        D(2026, 5, 31),
        D(2026, 6, 1),
        D(2026, 12, 31),
    ):
        version = services.version_on(agreement, day, with_clauses=False)
        key = services.version_key_on(agreement.id, day)
        expected = None if version is None else (version.id, version.number, version.recorded_at)
        assert (None if key is None else (key.id, key.number, key.recorded_at)) == expected, day


def test_scope_as_recorded_before_a_retroactive_annex_is_still_answerable():
    agreement = make_agreement()
    make_annex(agreement, D(2026, 6, 1), [{"op": "remove", "ref": "1.2"}])
    first = db.session.scalar(sa.select(Annex).where(Annex.agreement_id == agreement.id))
    recorded_before = first.effective_at
    retro = make_annex(agreement, D(2026, 2, 1), [{"op": "add", "item": clause("3.1")}])

    assert "3.1" in refs_on(agreement, D(2026, 4, 1))
    assert "3.1" not in refs_on(agreement, D(2026, 4, 1), recorded_at=recorded_before)
    assert "3.1" in refs_on(agreement, D(2026, 4, 1), recorded_at=retro.effective_at)


def test_annexes_on_the_same_date_apply_in_the_order_they_became_effective():
    agreement = make_agreement()
    make_annex(agreement, D(2026, 5, 1), [{"op": "add", "item": clause("3.1")}])
    make_annex(
        agreement, D(2026, 5, 1), [{"op": "modify", "ref": "3.1", "fields": {"title": "Second"}}]
    )
    assert timeline(agreement)[-1][:2] == (D(2026, 5, 1), None)
    assert services.clause_map(services.scope_on(agreement, D(2026, 5, 1)))["3.1"].title == "Second"


def test_annex_on_the_start_date_changes_the_base_from_day_one():
    agreement = make_agreement(start=D(2026, 1, 1))
    make_annex(agreement, D(2026, 1, 1), [{"op": "remove", "ref": "9.1"}])
    assert timeline(agreement) == [(D(2026, 1, 1), None, 1)]
    assert "9.1" not in refs_on(agreement, D(2026, 1, 1))
    assert "9.1" in services.base_scope(agreement.id), "the base scope itself is kept"


def test_change_that_does_not_apply_is_refused_and_nothing_is_stored():
    agreement = make_agreement()
    versions_before = db.session.scalar(sa.select(sa.func.count(ScopeVersion.id)))
    with pytest.raises(ScopeConflict) as caught:
        make_annex(
            agreement, D(2026, 3, 1), [{"op": "modify", "ref": "8.8", "fields": {"title": "x"}}]
        )
    assert "8.8" in caught.value.message and "Annex 1" in caught.value.message
    assert db.session.scalar(sa.select(sa.func.count(ScopeVersion.id))) == versions_before
    annex = db.session.scalar(sa.select(Annex).where(Annex.agreement_id == agreement.id))
    assert annex.state == AnnexState.DRAFT and annex.activation_seq is None


def test_retroactive_annex_that_breaks_a_later_annex_is_refused_naming_the_later_one():
    agreement = make_agreement()
    make_annex(agreement, D(2026, 6, 1), [{"op": "modify", "ref": "1.2", "fields": {"rate": "70"}}])
    timeline_before = timeline(agreement)
    rows_before = db.session.scalar(sa.select(sa.func.count(ScopeVersion.id)))
    retro = make_annex(agreement, D(2026, 3, 1), [{"op": "remove", "ref": "1.2"}], title="Retro")
    assert retro.state == AnnexState.CHANGES_REQUESTED, "sent back, not applied"
    conflict = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "annex.conflict", AuditEvent.object_id == retro.id
        )
    )
    assert "Annex 1: clause 1.2" in conflict.comment, "names the annex that no longer applies"
    assert timeline(agreement) == timeline_before
    assert db.session.scalar(sa.select(sa.func.count(ScopeVersion.id))) == rows_before


def test_annex_outside_the_term_or_on_a_draft_agreement_is_refused():
    agreement = make_agreement(end=D(2026, 12, 31))
    with pytest.raises(ValidationFailed) as caught:
        make_annex(agreement, D(2027, 1, 1), [{"op": "remove", "ref": "1.2"}])
    assert "effective_date" in caught.value.errors
    draft = make_agreement(status="draft")
    with pytest.raises(Conflict):
        make_annex(draft, D(2026, 3, 1), [{"op": "remove", "ref": "1.2"}])


def test_diff_between_versions_reports_field_level_changes():
    agreement = make_agreement()
    make_annex(
        agreement,
        D(2026, 4, 1),
        [
            {
                "op": "modify",
                "ref": "1.1",
                "fields": {"cap": {"unit": "hours", "limit": "160", "period": "month"}},
            },
            {"op": "remove", "ref": "2.1"},
            {"op": "add", "item": clause("3.1")},
        ],
    )
    first, last = services.list_versions(agreement)[0], services.list_versions(agreement)[-1]
    diff = services.diff_versions(agreement, first.number, last.number)
    assert [c["ref"] for c in diff["added"]] == ["3.1"]
    assert [c["ref"] for c in diff["removed"]] == ["2.1"]
    assert diff["modified"][0]["ref"] == "1.1"
    assert diff["modified"][0]["changes"]["cap"]["after"]["limit"] == "160.00"


def test_many_annexes_keep_the_timeline_tiled_without_gaps():
    agreement = make_agreement()
    for month in (11, 3, 7, 2, 9, 5):  # out of order: several are retroactive
        make_annex(agreement, D(2026, month, 1), [{"op": "add", "item": clause(f"5.{month}")}])
    versions = services.list_versions(agreement)
    assert [v.valid_from.month for v in versions] == [1, 2, 3, 5, 7, 9, 11]
    for earlier, later in itertools.pairwise(versions):
        assert earlier.valid_to == later.valid_from
    august = refs_on(agreement, D(2026, 8, 1))
    assert [ref for ref in august if ref.startswith("5.")] == ["5.2", "5.3", "5.5", "5.7"]


def test_postgres_refuses_overlapping_current_versions(dialect):
    if dialect != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL; SQLite checks in the service")
    agreement = make_agreement()
    db.session.add(ScopeVersion(agreement_id=agreement.id, number=99, valid_from=D(2026, 6, 1)))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_timeline_check_catches_an_overlap_on_any_database():
    agreement = make_agreement()
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL refuses the overlapping row before the check can run")
    db.session.add(ScopeVersion(agreement_id=agreement.id, number=99, valid_from=D(2026, 6, 1)))
    db.session.flush()
    with pytest.raises(Conflict):
        services.assert_timeline_consistent(agreement)
