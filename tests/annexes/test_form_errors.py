"""The annex form validates everything at once and puts each error beside its field."""

from __future__ import annotations

import re

from contracts_app.annexes.models import Annex
from contracts_app.db import db
from tests.factories import signed_in


def _row(index: int, **values: str) -> dict[str, str]:
    defaults = {"op": "add", "kind": "included", "cap_unit": "", "cap_period": ""}
    return {f"changes-{index}-{k}": v for k, v in {**defaults, **values}.items()}


def _field_errors(page: str, name: str) -> list[str]:
    """The error messages shown in the field block holding the input named ``name``."""
    blocks = re.split(r'<div class="field ', page)
    for block in blocks:
        if f'name="{name}"' in block:
            return re.findall(r'<small class="error">([^<]*)</small>', block)
    raise AssertionError(f"no field {name}")


SIX_MISTAKES = {
    "title": "",  # 1. no title
    "effective_date": "2030-02-01",  # 2. outside the term
    **_row(0, op="add", ref="1.2", title="Again"),  # 3. exists already
    **_row(1, op="modify", ref="7.7", title="Nowhere"),  # 4. no such clause
    **_row(2, op="add", ref="3.1", title="Capped", cap_unit="hours", cap_limit="lots"),  # 5.
    **_row(3, op="remove", ref="8.8"),  # 6. no such clause
}


def test_six_mistakes_are_all_shown_after_one_preview(client, cast):
    signed_in(client, cast.manager)
    response = client.post(
        f"/agreements/{cast.agreement.code}/annexes/new",
        data={**SIX_MISTAKES, "action": "preview"},
    )
    page = response.get_data(as_text=True)
    assert _field_errors(page, "title")
    assert any("outside the agreement" in e for e in _field_errors(page, "effective_date"))
    assert any("1.2 already exists" in e for e in _field_errors(page, "changes-0-ref"))
    assert any("7.7 does not exist" in e for e in _field_errors(page, "changes-1-ref"))
    assert _field_errors(page, "changes-2-cap_limit")
    assert any("8.8 does not exist" in e for e in _field_errors(page, "changes-3-ref"))
    assert "What this annex changes" not in page, "no preview while there are errors"


def test_a_preview_with_errors_lands_on_a_summary_of_them_at_the_top(client, cast):
    signed_in(client, cast.manager)
    page = client.post(
        f"/agreements/{cast.agreement.code}/annexes/new",
        data={**SIX_MISTAKES, "action": "preview"},
    ).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary[^"]*" id="([^"]*)"(.*?)</div>', page, re.S)
    assert summary, "a summary of the errors"
    assert summary.group(1) == "diff-preview", "the preview's anchor leads to the summary"
    assert page.index("error-summary") < page.index(
        '<form method="post" novalidate id="annex-form"'
    )
    assert "7 problems below:" in summary.group(2), "six mistakes, one of them on two fields"
    assert '<a href="#title">Title</a>' in summary.group(2)
    assert 'href="#changes-2-cap_limit"' in summary.group(2)


def test_six_mistakes_are_all_shown_after_one_save_and_nothing_typed_is_lost(client, cast):
    signed_in(client, cast.manager)
    response = client.post(
        f"/agreements/{cast.agreement.code}/annexes/new",
        data={**SIX_MISTAKES, "rationale": "Because", "action": "save"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(re.findall(r'<small class="error">', page)) >= 6
    for value in ("2030-02-01", "Because", "Again", "Nowhere", "lots", "8.8"):
        assert value in page
    assert db.session.query(Annex).count() == 0


def test_a_date_outside_the_term_errs_on_the_date_and_keeps_the_pick_list(client, cast):
    signed_in(client, cast.manager)
    response = client.post(
        f"/agreements/{cast.agreement.code}/annexes/new",
        data={
            "title": "Late",
            "effective_date": "2030-02-01",
            **_row(
                0,
                op="modify",
                ref="1.2",
                title="Clause 1.2 renamed",
                categories="support.request",
                rate="60.00",
            ),
            "action": "preview",
        },
    )
    page = response.get_data(as_text=True)
    assert any("outside the agreement" in e for e in _field_errors(page, "effective_date"))
    assert _field_errors(page, "changes-0-ref") == []
    picks = re.search(r'<datalist id="clause-refs">(.*?)</datalist>', page, re.S).group(1)
    assert 'value="1.2"' in picks and 'value="2.1"' in picks


def test_the_scope_lookup_names_a_date_outside_the_term(client, cast):
    signed_in(client, cast.manager)
    body = client.get(f"/agreements/{cast.agreement.code}/scope.json?as_of=2030-02-01").get_json()
    assert "outside the agreement" in body["error"]


def test_a_lookalike_category_in_a_row_asks_to_confirm_the_new_code(client, cast):
    signed_in(client, cast.manager)
    typed = {
        "title": "New clause",
        "effective_date": "2026-03-01",
        **_row(0, op="add", ref="3.1", title="Requests", categories="support.requests"),
        "action": "preview",
    }
    url = f"/agreements/{cast.agreement.code}/annexes/new"
    page = client.post(url, data=typed).get_data(as_text=True)
    assert any(
        "Did you mean support.request?" in e for e in _field_errors(page, "changes-0-categories")
    )
    assert 'name="confirm_new_codes"' in page
    assert '<datalist id="vocabulary-categories">' in page
    confirmed = client.post(url, data={**typed, "confirm_new_codes": "y"})
    assert 'id="diff-preview"' in confirmed.get_data(as_text=True)


def test_a_lookalike_code_confirmed_on_an_annex_is_not_asked_again_when_it_is_edited(client, cast):
    signed_in(client, cast.manager)
    typed = {
        "title": "New clause",
        "effective_date": "2026-03-01",
        **_row(0, op="add", ref="3.1", title="Requests", categories="support.requests"),
        "action": "save",
        "confirm_new_codes": "y",
    }
    saved = client.post(f"/agreements/{cast.agreement.code}/annexes/new", data=typed)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    annex = db.session.query(Annex).one()
    edited = {
        **{key: value for key, value in typed.items() if key != "confirm_new_codes"},
        "title": "New clause, renamed",
        "version": str(annex.lock_version),
    }
    again = client.post(f"/annexes/{annex.id}/edit", data=edited)
    page = again.get_data(as_text=True)
    assert again.status_code == 302, _field_errors(page, "changes-0-categories")
    db.session.refresh(annex)
    assert annex.title == "New clause, renamed"
