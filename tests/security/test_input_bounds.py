"""Input that reached a 500 before: dates far away, deep JSON, huge fields, odd query strings."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.annexes.models import Annex
from contracts_app.db import db
from contracts_app.enums import CapPeriod
from contracts_app.errors import ValidationFailed
from contracts_app.tasks.importing import import_tasks
from contracts_app.tasks.models import Task
from contracts_app.tasks.services import TaskInput, record_task
from contracts_app.tasks.verdicts import Term, cap_period
from tests.factories import (
    PASSWORD,
    clause,
    make_agreement,
    make_annex,
    make_user,
    manager_of,
    member_user,
    signed_in,
    token_for,
)

AGREEMENT = {
    "code": "AMS-2026-01",
    "title": "Shop support",
    "customer": "Nordlicht Retail",
    "provider": "Kestrel IT",
    "start_date": "2026-01-01",
    "end_date": "2026-12-31",
}


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    if field is not None:
        assert field in response.json["errors"], response.json


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("start_date", "1899-12-31"), ("end_date", "2200-01-01"), ("end_date", "9999-12-31")],
)
def test_agreement_dates_outside_1900_to_2199_are_refused_naming_the_field(client, field, value):
    response = client.post(
        "/api/v1/agreements", json=AGREEMENT | {field: value}, headers=token_for(make_user())
    )
    assert_problem(response, 422, field)
    assert "1900-01-01" in response.json["errors"][field][0]


def test_the_bounds_themselves_are_accepted(client):
    response = client.post(
        "/api/v1/agreements",
        json=AGREEMENT | {"start_date": "1900-01-01", "end_date": "2199-12-31"},
        headers=token_for(make_user()),
    )
    assert response.status_code == 201, response.json


def test_a_task_dated_9999_is_refused_by_the_api(client):
    agreement = make_agreement(end=None)
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks",
        json={"ref": "T-1", "title": "Far away", "date": "9999-06-01", "hours": "1"},
        headers=token_for(manager_of(agreement)),
    )
    assert_problem(response, 422, "date")


def test_a_task_date_out_of_bounds_is_refused_beside_the_field_in_the_page(client):
    agreement = make_agreement(end=None)
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={"ref": "T-1", "title": "Far away", "date": "9999-06-01", "hours": "1"},
    )
    assert response.status_code == 200
    assert "1900-01-01" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Task.id).where(Task.ref == "T-1")) is None


@pytest.mark.parametrize("period", list(CapPeriod))
def test_cap_periods_of_the_last_representable_days_do_not_overflow(period):
    term = Term(dt.date(2026, 1, 1), None, "active")
    for day in (dt.date(9999, 6, 1), dt.date(9999, 12, 31)):
        start, end, _label = cap_period(period, day, term)
        assert start <= day
        assert end is None or end > day


def test_a_yearly_cap_annex_becomes_effective_despite_a_task_dated_9999(client):
    agreement = make_agreement(end=None, scope=[clause("1.1", ["support"])])
    manager = manager_of(agreement)
    task = record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(title="Support", day=dt.date(2026, 3, 1), category="support", ref="T-FAR"),
        manager,
    )
    # a row written before dates had bounds
    db.session.execute(sa.update(Task).where(Task.id == task.id).values(day=dt.date(9999, 6, 1)))
    db.session.commit()
    annex = make_annex(
        agreement,
        dt.date(2026, 2, 1),
        [
            {
                "op": "modify",
                "ref": "1.1",
                "fields": {"cap": {"unit": "count", "limit": "5", "period": "year"}},
            }
        ],
    )
    assert db.session.get(Annex, annex.id).state.value == "effective"


def test_live_summary_as_of_9999_is_a_problem_not_a_server_error(client):
    agreement = make_agreement(end=None)
    viewer = member_user(agreement)
    response = client.get(
        f"/api/v1/agreements/{agreement.code}/summary.pdf?as_of=9999-12-31",
        headers=token_for(viewer),
    )
    assert_problem(response, 422, "as_of")


def test_live_summary_page_as_of_9999_is_refused_not_a_server_error(client):
    agreement = make_agreement(end=None)
    signed_in(client, member_user(agreement))
    response = client.get(f"/agreements/{agreement.code}/summary.pdf?as_of=9999-12-31")
    assert response.status_code == 422
    assert "2199-12-31" in response.get_data(as_text=True)


# --- JSON nesting and field sizes -------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 100_000, "[" * 33 + "]" * 33])
def test_json_nested_deeper_than_32_levels_is_refused_before_parsing(client, body):
    response = client.post(
        "/api/v1/agreements",
        data=body,
        content_type="application/json",
        headers=token_for(make_user()),
    )
    assert_problem(response, 422)
    assert "32 levels" in response.json["detail"]


def test_json_nested_32_levels_is_parsed_as_usual(client):
    body = '{"code": "X", "scope": ' + "[" * 31 + "]" * 31 + "}"
    response = client.post(
        "/api/v1/agreements",
        data=body,
        content_type="application/json",
        headers=token_for(make_user()),
    )
    assert_problem(response, 422)
    assert "32 levels" not in (response.json.get("detail") or "")


def test_brackets_inside_strings_do_not_count_as_nesting(client):
    body = AGREEMENT | {"title": "[" * 100 + '"{' * 50}
    response = client.post("/api/v1/agreements", json=body, headers=token_for(make_user()))
    assert response.status_code == 201, response.json


def test_a_scope_of_more_than_2000_clauses_is_refused(client):
    scope = [clause(f"{n}", ["support"]) for n in range(1, 2002)]
    response = client.post(
        "/api/v1/agreements", json=AGREEMENT | {"scope": scope}, headers=token_for(make_user())
    )
    assert_problem(response, 422, "scope")
    assert "2000" in response.json["errors"]["scope"][0]


def test_a_clause_description_over_20000_characters_is_refused(client):
    scope = [clause("1.1", ["support"], description="x" * 20_001)]
    response = client.post(
        "/api/v1/agreements", json=AGREEMENT | {"scope": scope}, headers=token_for(make_user())
    )
    assert_problem(response, 422, "scope.0.description")


def test_a_clause_description_of_20000_characters_is_accepted(client):
    scope = [clause("1.1", ["support"], description="x" * 20_000)]
    response = client.post(
        "/api/v1/agreements", json=AGREEMENT | {"scope": scope}, headers=token_for(make_user())
    )
    assert response.status_code == 201, response.json


# --- CSV ----------------------------------------------------------------------------------


def test_a_csv_field_over_the_limit_is_a_line_numbered_error():
    agreement = make_agreement()
    manager = manager_of(agreement)
    text = (
        "ref,title,category,date,description\n"
        "T-1,Fine,support.incident,2026-03-02,\n"
        f'T-2,Huge,support.incident,2026-03-02,"{"x" * 200_000}"\n'
    )
    report = import_tasks(
        agreement, membership_of(manager, agreement.id), text, manager, skip_invalid=True
    )
    assert report.created == 1
    assert report.invalid[0]["line"] == 3
    assert "characters" in str(report.invalid[0]["errors"])


def test_a_csv_field_over_the_limit_through_the_api_is_not_a_server_error(client):
    agreement = make_agreement()
    text = f'ref,title,date,description\nT-2,Huge,2026-03-02,"{"x" * 200_000}"\n'
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import",
        data=text,
        content_type="text/csv",
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "line 2" in response.get_data(as_text=True)


# --- NUL characters (PostgreSQL's text cannot store them) ---------------------------------


def test_a_nul_character_in_a_json_body_is_refused_before_anything_runs(client):
    agreement = make_agreement()
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks",
        data='{"ref": "T-1", "title": "a\\u0000b", "date": "2026-03-02"}',
        content_type="application/json",
        headers=token_for(manager_of(agreement)),
    )
    assert_problem(response, 422)
    assert "NUL" in response.json["detail"]
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 0


def test_a_nul_character_in_a_form_or_a_query_is_refused(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    form = {"ref": "T-1", "title": "a\x00b", "category": "support.incident", "date": "2026-03-02"}
    # a page's form: sent back where it came from, with the reason
    response = client.post(f"/agreements/{agreement.code}/tasks/new", data=form)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert "NUL character" in page.get_data(as_text=True)
    assert client.get(f"/agreements/{agreement.code}?as_of=2026-03-02%00").status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 0


def test_a_nul_character_in_an_imported_file_refuses_its_row_naming_the_line():
    agreement = make_agreement()
    manager = manager_of(agreement)
    text = (
        "ref,title,category,date\n"
        "T-1,Fine,support.incident,2026-03-02\n"
        "T-2,Stray\x00byte,support.incident,2026-03-02\n"
    )
    report = import_tasks(
        agreement, membership_of(manager, agreement.id), text, manager, skip_invalid=True
    )
    assert report.created == 1
    assert report.invalid[0]["line"] == 3
    assert "NUL character" in str(report.invalid[0]["errors"])


# --- query strings and redirects ----------------------------------------------------------


def test_version_numbers_beyond_any_integer_in_the_agreement_page_are_not_a_server_error(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    response = client.get(f"/agreements/{agreement.code}?from=99999999999999999999&to=1")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "target", ["/%0d%0aSet-Cookie:x=y", "/\\evil.example", "/%09/evil.example", "/ok%0a"]
)
def test_login_next_with_control_characters_redirects_to_the_default_page(client, target):
    user = make_user()
    response = client.post(
        f"/login?next={target}", data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/work"  # My work, the default page
    assert "x=y" not in response.headers.get("Set-Cookie", "")
    again = client.get(f"/login?next={target}")  # signed in already
    assert again.status_code == 302
    assert again.headers["Location"] == "/work"


def test_login_next_to_a_page_of_this_site_is_followed(client):
    user = make_user()
    response = client.post(
        "/login?next=/account/tokens", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account/tokens"


def test_a_csv_with_a_column_given_twice_is_refused_naming_it():
    agreement = make_agreement()
    manager = manager_of(agreement)
    text = "ref,title,ref,date\nT-1,One,T-2,2026-03-02\n"
    with pytest.raises(ValidationFailed) as caught:
        import_tasks(agreement, membership_of(manager, agreement.id), text, manager)
    assert "Columns given twice: ref." in str(caught.value.errors)
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 0
