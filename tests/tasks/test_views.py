from __future__ import annotations

import datetime as dt
import io
import re

from contracts_app.db import db
from contracts_app.tasks.models import Task
from tests.factories import make_annex, manager_of, member_user, signed_in, token_for


def test_check_page_shows_a_verdict_card_with_the_cap_meter(client, agreement, record):
    record(category="support.incident", system="shop-web", hours=6)
    signed_in(client, member_user(agreement, "provider", "contributor"))
    page = client.post(
        f"/agreements/{agreement.code}/check",
        data={
            "title": "Outage",
            "category": "support.incident",
            "system": "shop-web",
            "date": "2026-03-20",
            "hours": "3",
        },
    ).get_data(as_text=True)
    assert (
        "verdict-in_scope" in page
        and "Within the cap: 9 h of 10 h used in 2026-03" in page
        and "<meter" in page
    )


def test_what_was_checked_is_recorded_without_typing_it_again(client, agreement):
    signed_in(client, member_user(agreement, "provider", "contributor"))
    checked = {
        "title": "Checkout outage",
        "description": "Error 500 on the last step",
        "category": "support.incident",
        "system": "shop-web",
        "date": "2026-03-20",
        "hours": "3.5",
    }
    page = client.post(f"/agreements/{agreement.code}/check", data=checked).get_data(as_text=True)
    form = page[page.index('class="record-checked"') :]
    carried = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert {name: carried[name] for name in checked} == checked
    assert carried["from_check"] == "1" and "Record this task" in form

    opened = client.post(f"/agreements/{agreement.code}/tasks/new", data=carried)
    text = opened.get_data(as_text=True)
    assert opened.status_code == 200
    assert 'value="Checkout outage"' in text and 'value="3.5"' in text
    assert "Error 500 on the last step" in text
    assert 'class="error' not in text, "nothing is checked before the ref is given"
    assert db.session.query(Task).count() == 0
    recorded = client.post(
        f"/agreements/{agreement.code}/tasks/new", data={**checked, "ref": "INC-77"}
    )
    assert recorded.status_code == 302 and db.session.query(Task).one().hours == 3.5


def test_check_page_links_its_clause_to_an_anchor_the_agreement_page_has(client, agreement):
    signed_in(client, member_user(agreement, "provider", "contributor"))
    page = client.post(
        f"/agreements/{agreement.code}/check",
        data={
            "title": "Outage",
            "category": "support.incident",
            "system": "shop-web",
            "date": "2026-03-20",
            "hours": "3",
        },
    ).get_data(as_text=True)
    anchor = re.search(rf'href="/agreements/{agreement.code}#([^"]+)">1.2<', page).group(1)
    target = client.get(f"/agreements/{agreement.code}?as_of=2026-03-20").get_data(as_text=True)
    assert f'id="{anchor}"' in target and anchor == "clause-1.2"


def test_record_page_then_task_page_then_decision(client, agreement):
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={"ref": "INC-9", "title": "Feature", "category": "development", "date": "2026-03-20"},
    )
    assert response.status_code == 302
    task = db.session.query(Task).one()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "out of scope" in page and "Turn into a draft annex" in page
    client.post(f"/tasks/{task.id}/events/reject", data={"comment": "Not ours"})
    db.session.expire_all()
    assert db.session.get(Task, task.id).state.value == "rejected"


def test_task_list_filters_and_empty_state(client, agreement, record):
    record(ref="A", category="support.request")
    record(ref="B", category="development")
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/tasks?verdict=out_of_scope").get_data(
        as_text=True
    )
    assert ">B<" in page and ">A<" not in page
    assert "No tasks match these filters." in client.get(
        f"/agreements/{agreement.code}/tasks?clause=7.7"
    ).get_data(as_text=True)


def test_import_page_reports_bad_lines_and_then_imports(client, agreement):
    signed_in(client, manager_of(agreement))
    bad = client.post(
        f"/agreements/{agreement.code}/tasks/import",
        data={
            "file": (io.BytesIO(b"ref,title,date\nA,One,2026-03-01\nB,Two,not-a-date\n"), "t.csv")
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Nothing was imported" in bad and "Line 3, date: " in bad
    good = client.post(
        f"/agreements/{agreement.code}/tasks/import",
        data={
            "file": (io.BytesIO(b"ref,title,date\nA,One,2026-03-01\nB,Two,not-a-date\n"), "t.csv"),
            "skip_invalid": "y",
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Imported 1 task</h2>" in good


def test_clause_usage_chart_is_server_rendered_svg(client, agreement, record):
    record(category="support.incident", system="shop-web", hours=6, day=dt.date(2026, 3, 3))
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/clauses/1.2/usage").get_data(as_text=True)
    assert "<svg" in page and "2026-03: 6 h of 10 h" in page


def test_usage_chart_labels_show_the_exact_figure_the_table_shows(client, agreement, record):
    record(category="support.incident", system="shop-web", hours="4.50", day=dt.date(2026, 3, 3))
    record(category="support.incident", system="shop-web", hours="5", day=dt.date(2026, 3, 4))
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/clauses/1.2/usage").get_data(as_text=True)
    labels = re.findall(r'class="value">([^<]*)</text>', page)
    assert "9.50" in labels and "10" not in labels
    assert '<td class="num">9.50 h</td>' in page and "0.50 h left" in page


def test_usage_chart_axis_speaks_in_the_unit_of_the_cap_in_force(client, agreement, record):
    # 3.1 counts reports (no label) until July, then licences
    make_annex(
        agreement,
        dt.date(2026, 7, 1),
        [
            {
                "op": "modify",
                "ref": "3.1",
                "fields": {
                    "cap": {
                        "unit": "count",
                        "limit": "4",
                        "period": "quarter",
                        "unit_label": "licences",
                        "unit_label_singular": "licence",
                    }
                },
            }
        ],
    )
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/clauses/3.1/usage").get_data(as_text=True)
    axis = re.search(r'<text x="4" y="16" class="label">([^<]*)</text>', page).group(1)
    assert axis == "licences"
    assert "4 licences" in page and "2 items" in page, "the table keeps each period's unit"


def test_usage_page_names_the_clause_and_its_current_cap(client, agreement):
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/clauses/1.2/usage").get_data(as_text=True)
    assert "<title>Use of clause 1.2 Incident resolution" in page
    assert "Use of the cap of clause 1.2 Incident resolution</h1>" in page
    assert "Cap now: 10 h / month" in re.sub(r"<[^>]+>", "", page)


def test_usage_page_says_how_many_tasks_over_the_cap_await_a_decision(client, agreement, record):
    record(category="support.incident", system="shop-web", hours=8, day=dt.date(2026, 3, 3))
    record(category="support.incident", system="shop-web", hours=5, day=dt.date(2026, 3, 4))
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/clauses/1.2/usage").get_data(as_text=True)
    assert "1 task over the cap awaiting a decision" in page
    link = re.search(r'href="([^"]*state=over_cap[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "clause=1.2" in link and "date_from=2026-03-01" in link and "date_to=2026-03-31" in link
    listed = client.get(link).get_data(as_text=True)
    assert listed.count('href="/tasks/') == 1


def test_a_task_over_the_cap_says_how_much_the_cap_covered_and_what_is_beyond(
    client, agreement, record
):
    record(category="support.incident", system="shop-web", hours=8, day=dt.date(2026, 3, 3))
    over = record(category="support.incident", system="shop-web", hours=5, day=dt.date(2026, 3, 4))
    signed_in(client, manager_of(agreement))
    page = client.get(f"/tasks/{over.id}").get_data(as_text=True)
    assert "3 h over the cap: 10 h covered, 3 h beyond" in page and "-3.00 left" not in page


def test_scope_table_shows_caps_limits_and_rates_with_their_units(client, agreement):
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}?as_of=2026-03-10").get_data(as_text=True)
    for text in ("10 h / month", "2 items / quarter", "EUR 1,000.00 / year", "8 h"):
        assert text in page, text
    assert "amount per" not in page and "count per" not in page


def test_decision_panel_has_one_comment_and_no_cap_wording_without_a_cap(client, agreement, record):
    task = record(ref="DEV-1", category="development")  # excluded by 9.1, which has no cap
    signed_in(client, manager_of(agreement))
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert page.count('name="comment"') == 1
    assert "counts against the cap" not in page
    assert ">Accept</button>" in page and "Comment (required to escalate" in page


def test_accepting_a_task_of_a_capped_clause_says_it_counts_against_the_cap(
    client, agreement, record
):
    task = record(category="support.incident", system="shop-web", hours=2)  # 1.2, capped
    assert task.state.value == "in_scope"
    signed_in(client, manager_of(agreement))
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Accept (counts against the cap)" in page


def test_escalating_without_a_comment_keeps_the_page_and_errs_beside_the_comment(
    client, agreement, record
):
    task = record(category="development")
    signed_in(client, manager_of(agreement))
    response = client.post(f"/tasks/{task.id}/events/escalate", data={"comment": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="field  has-error"' in page.replace("field has-error", "field  has-error")
    assert "Say why: a comment is required." in page


def test_a_refused_decision_shows_why_on_the_page_and_keeps_the_comment(client, agreement, record):
    task = record(category="development")
    signed_in(client, member_user(agreement, "provider", "contributor"))
    response = client.post(f"/tasks/{task.id}/events/accept", data={"comment": "Typed text"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "only by a manager or an approver" in page and "Typed text" in page
    db.session.expire_all()
    assert db.session.get(Task, task.id).state.value == "out_of_scope"


def test_import_errors_read_the_same_whether_the_file_is_refused_or_partly_imported(
    client, agreement
):
    signed_in(client, manager_of(agreement))
    csv_text = b"ref,title,date\nA,One,2026-03-01\nB,Two,not-a-date\n"
    pages = [
        client.post(
            f"/agreements/{agreement.code}/tasks/import",
            data={"file": (io.BytesIO(csv_text), "t.csv"), **extra},
            content_type="multipart/form-data",
        ).get_data(as_text=True)
        for extra in ({}, {"skip_invalid": "y"})
    ]
    line = "<li>Line 3, date: Not a date (YYYY-MM-DD): &#39;not-a-date&#39;.</li>"
    assert all(line in page for page in pages)
    api = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import",
        data=b"ref,title,date\nB,Two,not-a-date\n",
        headers={**token_for(manager_of(agreement)), "Content-Type": "text/csv"},
    )
    assert api.json["errors"]["line 2.date"] == [
        "Line 2, date: Not a date (YYYY-MM-DD): 'not-a-date'."
    ]


def test_the_import_template_lists_the_columns_and_one_row_the_importer_accepts(client, agreement):
    from contracts_app.tasks.importing import COLUMNS, parse_csv

    signed_in(client, member_user(agreement, "customer", "viewer"))
    response = client.get(f"/agreements/{agreement.code}/tasks/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows, problems = parse_csv(text)
    assert problems == [] and len(rows) == 1
    page = client.get(f"/agreements/{agreement.code}/tasks/import").get_data(as_text=True)
    assert "tasks/import/template.csv" in page


def test_viewers_are_not_offered_to_record_or_import_tasks(client, agreement):
    signed_in(client, member_user(agreement, "customer", "viewer"))
    tasks_page = client.get(f"/agreements/{agreement.code}/tasks").get_data(as_text=True)
    assert "Record a task" not in tasks_page and "Import CSV" not in tasks_page
    import_page = client.get(f"/agreements/{agreement.code}/tasks/import").get_data(as_text=True)
    assert 'type="file"' not in import_page
    new_page = client.get(f"/agreements/{agreement.code}/tasks/new").get_data(as_text=True)
    assert "Record and check" not in new_page
    contributor = signed_in(
        client.application.test_client(), member_user(agreement, "provider", "contributor")
    )
    tasks_page = contributor.get(f"/agreements/{agreement.code}/tasks").get_data(as_text=True)
    assert "Record a task" in tasks_page and "Import CSV" in tasks_page


def test_a_refused_recording_keeps_what_was_typed_and_says_why(client, agreement):
    signed_in(client, member_user(agreement, "customer", "viewer"))
    response = client.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={"ref": "V-1", "title": "Typed by a viewer", "date": "2026-03-20"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Typed by a viewer" in page and "needs the role" in page
    assert db.session.query(Task).count() == 0


def test_a_lookalike_category_asks_for_confirmation_naming_the_known_one(client, agreement):
    signed_in(client, manager_of(agreement))
    typed = {"ref": "LK-1", "title": "Lookalike", "category": "suport", "date": "2026-03-20"}
    asked = client.post(f"/agreements/{agreement.code}/tasks/new", data=typed)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Did you mean support? Tick “use the new code” to keep suport." in page
    assert 'name="confirm_new_codes"' in page and 'value="suport"' in page
    assert '<datalist id="vocabulary-categories">' in page and '<option value="support">' in page
    kept = client.post(
        f"/agreements/{agreement.code}/tasks/new", data={**typed, "confirm_new_codes": "y"}
    )
    assert kept.status_code == 302
    assert db.session.query(Task).one().category == "suport"


def test_the_task_form_shows_the_forms_and_the_services_errors_at_once(client, agreement):
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={"ref": "", "title": "", "category": "suport", "hours": "1.234", "date": "2026-03-20"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Did you mean support?" in page  # the service's, though the form failed
    assert "hours" in page.lower() and page.count('<small class="error">') >= 4
