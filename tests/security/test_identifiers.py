"""Refs and names: NFC, no invisible or text-direction characters, unique by look."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.agreements.models import Party
from contracts_app.db import db
from contracts_app.identifiers import _refused, problem_with, skeleton
from contracts_app.tasks.importing import import_tasks
from contracts_app.tasks.models import Task
from tests.factories import clause, make_agreement, make_user, manager_of, signed_in, token_for

CYRILLIC_TE = "\u0422"
CYRILLIC_KA = "\u041a"
ZERO_WIDTH_SPACE = "\u200b"
RIGHT_TO_LEFT_OVERRIDE = "\u202e"

AGREEMENT = {
    "title": "Shop support",
    "start_date": "2026-01-01",
    "end_date": "2026-12-31",
}


def record(client, agreement, ref, **fields):
    return client.post(
        f"/api/v1/agreements/{agreement.code}/tasks",
        json={"ref": ref, "title": "Fix it", "date": "2026-03-02", "category": "x"} | fields,
        headers=token_for(manager_of(agreement)),
    )


def test_the_four_spellings_of_one_ticket_are_recorded_once(client):
    agreement = make_agreement()
    assert record(client, agreement, "T-HOMO").status_code == 201

    exact = record(client, agreement, "T-HOMO")
    assert exact.status_code == 422
    assert "already recorded" in exact.json["errors"]["ref"][0]

    lookalike = record(client, agreement, CYRILLIC_TE + "-HOMO")
    assert lookalike.status_code == 422
    assert "already recorded as 'T-HOMO'" in lookalike.json["errors"]["ref"][0]

    for ref in ("T-HOMO" + ZERO_WIDTH_SPACE, "T-" + RIGHT_TO_LEFT_OVERRIDE + "OMOH"):
        response = record(client, agreement, ref)
        assert response.status_code == 422
        assert "U+" in response.json["errors"]["ref"][0]

    count = db.session.scalar(
        sa.select(sa.func.count(Task.id)).where(Task.agreement_id == agreement.id)
    )
    assert count == 1


def test_a_ref_in_another_width_or_case_is_the_same_ticket(client):
    agreement = make_agreement()
    assert record(client, agreement, "NUL-1").status_code == 201
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "NUL") + "-1"
    for ref in (fullwidth, "nul-1", "Nul-1"):
        response = record(client, agreement, ref)
        assert response.status_code == 422, ref
        assert "already recorded as 'NUL-1'" in response.json["errors"]["ref"][0]
    manager = manager_of(agreement)
    report = import_tasks(
        agreement,
        membership_of(manager, agreement.id),
        f"ref,title,date\n{fullwidth},Again,2026-03-02\nnul-1,Again,2026-03-02\nLK-2,New,2026-03-02\n",
        manager,
        skip_invalid=True,
    )
    assert report.created == 1  # only LK-2: the others are NUL-1 again
    count = db.session.scalar(
        sa.select(sa.func.count(Task.id)).where(Task.agreement_id == agreement.id)
    )
    assert count == 2


def test_a_lookalike_ref_on_another_agreement_is_another_ticket(client):
    first, second = make_agreement(), make_agreement()
    assert record(client, first, "T-HOMO").status_code == 201
    assert record(client, second, CYRILLIC_TE + "-HOMO").status_code == 201


def test_refs_categories_and_systems_are_stored_in_nfc(client):
    agreement = make_agreement()
    decomposed = "CAFE\u0301-1"
    response = record(client, agreement, decomposed, system="cafe\u0301-web")
    assert response.status_code == 201, response.json
    task = db.session.get(Task, response.json["id"])
    assert task.ref == unicodedata.normalize("NFC", decomposed)
    assert task.system == "caf\u00e9-web"


def test_the_skeleton_column_is_unique_per_agreement_in_the_database():
    agreement = make_agreement()
    manager = manager_of(agreement)
    values = {
        "agreement_id": agreement.id,
        "title": "x",
        "day": dt.date(2026, 3, 2),
        "state": "in_scope",
        "verdict": "in_scope",
        "created_by_id": manager.id,
    }
    db.session.execute(sa.insert(Task), [values | {"ref": "T-1"}])
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.insert(Task), [values | {"ref": CYRILLIC_TE + "-1"}])


@pytest.mark.parametrize("field", ["customer", "provider"])
def test_party_names_refuse_text_direction_characters(client, field):
    body = AGREEMENT | {
        "code": "AMS-X",
        "customer": "Nordlicht Retail",
        "provider": "Kestrel IT Services",
    }
    body[field] = "Prov " + RIGHT_TO_LEFT_OVERRIDE + "evil"
    response = client.post("/api/v1/agreements", json=body, headers=token_for(make_user()))
    assert response.status_code == 422
    assert "RIGHT-TO-LEFT OVERRIDE" in response.json["errors"][field][0]


def test_a_lookalike_party_name_answers_with_the_recorded_one(client):
    make_agreement(provider="Kestrel IT Services")
    body = AGREEMENT | {
        "code": "AMS-Y",
        "customer": "Nordlicht Retail",
        "provider": CYRILLIC_KA + "estrel IT Services",
    }
    response = client.post("/api/v1/agreements", json=body, headers=token_for(make_user()))
    assert response.status_code == 422
    assert "'Kestrel IT Services'" in response.json["errors"]["provider"][0]
    names = db.session.scalars(sa.select(Party.name)).all()
    assert CYRILLIC_KA + "estrel IT Services" not in names


def test_the_same_party_name_is_the_same_party(client):
    first = make_agreement(provider="Kestrel IT Services")
    second = make_agreement(provider="Kestrel  IT Services")
    assert first.provider_id == second.provider_id


def test_a_clause_system_with_an_invisible_character_is_refused(client):
    body = AGREEMENT | {
        "code": "AMS-Z",
        "customer": "Nordlicht Retail",
        "provider": "Kestrel IT Services",
        "scope": [clause("1.1", ["support"], systems=["shop" + ZERO_WIDTH_SPACE + "web"])],
    }
    response = client.post("/api/v1/agreements", json=body, headers=token_for(make_user()))
    assert response.status_code == 422
    assert "scope.0.systems.0" in response.json["errors"]


def test_the_task_page_shows_the_lookalike_message_beside_the_ref(client):
    agreement = make_agreement()
    record(client, agreement, "T-HOMO")
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={"ref": CYRILLIC_TE + "-HOMO", "title": "Again", "date": "2026-03-02"},
    )
    assert response.status_code == 200
    assert "already recorded as" in response.get_data(as_text=True)


def test_skeletons_of_lookalikes_are_equal_and_of_different_refs_differ():
    assert skeleton(CYRILLIC_TE + "-HOMO") == skeleton("T-HOMO")
    assert skeleton("paypa1") == skeleton("paypal") == skeleton("PAYPAL")
    assert skeleton("inc-1") == skeleton("INC-1") == skeleton("Inc-1")
    assert skeleton("\uff2e\uff35\uff2c-1") == skeleton("NUL-1")  # fullwidth
    assert skeleton("T-HOMO") != skeleton("T-HOMA")
    assert skeleton("INC-1") != skeleton("INC-2")


def test_an_import_treats_a_lookalike_of_a_recorded_ref_as_the_same_ticket(client):
    agreement = make_agreement()
    assert record(client, agreement, "T-HOMO").status_code == 201
    text = (
        "ref,title,category,date\n"
        f"{CYRILLIC_TE}-HOMO,Again,support.incident,2026-03-02\n"
        "T-NEW,New,support.incident,2026-03-02\n"
    )
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import",
        data=text,
        content_type="text/csv",
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 200, response.json
    assert response.json["created"] == 1 and response.json["skipped_existing"] == 1


def test_an_import_refuses_two_lookalike_refs_in_one_file_on_their_lines(client):
    agreement = make_agreement()
    text = (
        "ref,title,category,date\n"
        "T-HOMO,First,support.incident,2026-03-02\n"
        f"{CYRILLIC_TE}-HOMO,Second,support.incident,2026-03-02\n"
    )
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import",
        data=text,
        content_type="text/csv",
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422
    assert "line 2" in str(response.json["errors"])


def test_the_printable_ascii_shortcut_agrees_with_the_character_check():
    # The shortcut skips the per-character check for printable ASCII: none of it refused.
    assert not any(_refused(chr(code)) for code in range(0x20, 0x7F))
    assert problem_with("T-1 ~ ok") is None
    for refused in ("T-1\t", "T-1\x7f", "T-1\x00", "T-\u200b1", "T-\u202e1"):
        assert problem_with(refused) is not None, repr(refused)
