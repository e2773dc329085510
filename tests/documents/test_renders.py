"""PDF renders on the job queue, run in process here (the worker's own test is in tests/jobs)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.documents.models import Render
from contracts_app.documents.renders import run_render
from contracts_app.documents.services import issue_document, sign_off
from contracts_app.jobs.periodic import run_due
from tests.documents.conftest import pdf_text
from tests.factories import PASSWORD, make_user, member_user, signed_in, token_for


def _ask(client, agreement, user, as_of="2026-04-15"):
    return client.post(
        f"/api/v1/agreements/{agreement.code}/renders",
        json={"as_of": as_of},
        headers=token_for(user),
    )


def test_asking_for_a_summary_answers_202_with_where_to_poll(client, summary_agreement, signers):
    asked = _ask(client, summary_agreement, signers["manager"])
    assert asked.status_code == 202, asked.data
    render_id = asked.json["id"]
    assert asked.headers["Location"] == f"/api/v1/renders/{render_id}"
    assert asked.json["state"] == "queued" and asked.json["download"] is None
    stored = db.session.get(Render, render_id)
    assert (stored.requested_by_id, stored.kind.value, stored.as_of) == (
        signers["manager"].id,
        "summary",
        dt.date(2026, 4, 15),
    )


def test_the_worker_job_renders_it_and_the_poll_then_links_the_download(
    client, summary_agreement, signers
):
    render_id = _ask(client, summary_agreement, signers["manager"]).json["id"]
    assert run_render(render_id).value == "done"
    polled = client.get(f"/api/v1/renders/{render_id}", headers=token_for(signers["manager"]))
    body = polled.json
    assert body["state"] == "done" and body["pages_total"] >= 2
    assert body["pages_done"] == body["pages_total"]
    assert body["download"] == f"/api/v1/renders/{render_id}/pdf"
    pdf = client.get(body["download"], headers=token_for(signers["manager"]))
    assert pdf.mimetype == "application/pdf" and "Draft, not signed off" in pdf_text(pdf.data)
    assert pdf.headers["Content-Disposition"] == (
        f"attachment; filename={summary_agreement.code}-summary-2026-04-15-draft.pdf"
    )


def test_running_the_job_twice_renders_once(client, summary_agreement, signers):
    render_id = _ask(client, summary_agreement, signers["manager"]).json["id"]
    run_render(render_id)
    finished = db.session.get(Render, render_id).finished_at
    run_render(render_id)
    db.session.expire_all()
    assert db.session.get(Render, render_id).finished_at == finished


def test_without_a_worker_a_small_summary_is_answered_with_the_pdf(
    client, summary_agreement, signers, inline
):
    asked = _ask(client, summary_agreement, signers["manager"])
    assert asked.status_code == 200 and asked.mimetype == "application/pdf"


def test_a_render_is_seen_by_members_and_hidden_from_others(client, summary_agreement, signers):
    render_id = _ask(client, summary_agreement, signers["customer"]).json["id"]
    url = f"/api/v1/renders/{render_id}"
    viewer = member_user(summary_agreement, "provider", "viewer")
    assert client.get(url, headers=token_for(viewer)).status_code == 200
    assert client.get(url, headers=token_for(make_user())).status_code == 404
    assert client.get(url + "/pdf", headers=token_for(make_user())).status_code == 404


def test_a_summary_too_large_to_render_in_time_fails_with_the_reason(
    app, client, summary_agreement, signers, monkeypatch
):
    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 1)
    render_id = _ask(client, summary_agreement, signers["manager"]).json["id"]
    assert run_render(render_id).value == "failed"
    polled = client.get(f"/api/v1/renders/{render_id}", headers=token_for(signers["manager"]))
    assert polled.json["state"] == "failed" and "too large" in polled.json["error"]
    assert (
        client.get(
            f"/api/v1/renders/{render_id}/pdf", headers=token_for(signers["manager"])
        ).status_code
        == 409
    )


def test_inline_a_summary_too_large_is_refused_with_422(
    app, client, summary_agreement, signers, inline, monkeypatch
):
    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 1)
    asked = _ask(client, summary_agreement, signers["manager"])
    assert asked.status_code == 422 and "too large" in asked.json["detail"]


def test_an_issued_summary_renders_as_a_draft_and_a_signed_one_is_never_rendered(
    client, summary_agreement, signers
):
    manager = signers["manager"]
    document = issue_document(
        summary_agreement,
        membership_of(manager, summary_agreement.id),
        dt.date(2026, 4, 15),
        manager,
    )
    asked = client.post(f"/api/v1/documents/{document.id}/renders", headers=token_for(manager))
    assert asked.status_code == 202 and asked.json["kind"] == "document"
    sign_off(document.id, signers["customer"], PASSWORD)
    sign_off(document.id, signers["provider"], PASSWORD)
    refused = client.post(f"/api/v1/documents/{document.id}/renders", headers=token_for(manager))
    assert refused.status_code == 409


def test_the_page_shows_progress_refreshes_and_then_offers_the_download(
    client, summary_agreement, signers
):
    manager = signers["manager"]
    signed_in(client, manager)
    asked = client.post(
        f"/agreements/{summary_agreement.code}/renders", data={"as_of": "2026-04-15"}
    )
    assert asked.status_code == 303
    page_url = asked.headers["Location"]
    render_id = int(page_url.rstrip("/").split("/")[-1])
    waiting = client.get(page_url).get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "Waiting for a free renderer" in waiting
    db.session.execute(
        sa.update(Render).where(Render.id == render_id).values(state="rendering", pages_total=12)
    )
    rendering = client.get(page_url).get_data(as_text=True)
    assert "writing 12 pages" in rendering and 'http-equiv="refresh"' in rendering
    run_render_after_reset(render_id)
    done = client.get(page_url).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done
    assert f"/renders/{render_id}/pdf" in done
    pdf = client.get(f"/renders/{render_id}/pdf")
    assert pdf.mimetype == "application/pdf"


def run_render_after_reset(render_id: int) -> None:
    db.session.execute(
        sa.update(Render).where(Render.id == render_id).values(state="queued", pages_total=None)
    )
    assert run_render(render_id).value == "done"


def test_expired_renders_are_deleted_by_the_hourly_jobs(client, summary_agreement, signers):
    render_id = _ask(client, summary_agreement, signers["manager"]).json["id"]
    expires = db.session.get(Render, render_id).expires_at
    report = run_due(expires.date(), now=expires - dt.timedelta(minutes=1))
    assert report.renders_expired == 0
    report = run_due(expires.date(), now=expires + dt.timedelta(minutes=1))
    assert report.renders_expired == 1 and db.session.get(Render, render_id) is None


def test_a_finished_render_says_so_to_someone_with_work_waiting(client, summary_agreement, signers):
    # The top bar's count of waiting work once leaked into this page as "still waiting":
    # a finished render showed its progress bar and promised to refresh itself.
    manager, approver = signers["manager"], signers["customer"]
    issue_document(
        summary_agreement,
        membership_of(manager, summary_agreement.id),
        dt.date(2026, 4, 15),
        manager,
    )  # the approver now has a summary waiting for their sign-off
    signed_in(client, approver)
    asked = client.post(
        f"/agreements/{summary_agreement.code}/renders", data={"as_of": "2026-04-15"}
    )
    page_url = asked.headers["Location"]
    run_render_after_reset(int(page_url.rstrip("/").split("/")[-1]))
    done = client.get(page_url).get_data(as_text=True)
    assert 'class="count"' in done, "the top bar counts the waiting sign-off"
    assert "refreshes by itself" not in done and "<progress" not in done
    assert "Ready: " in done and " page" in done


def test_a_render_left_rendering_by_a_stopped_worker_fails_by_the_hourly_jobs(
    client, summary_agreement, signers
):
    headers = token_for(signers["manager"])
    render_id = _ask(client, summary_agreement, signers["manager"]).json["id"]
    started = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    # claimed by a worker that was then killed: nothing will finish it
    db.session.execute(
        sa.update(Render)
        .where(Render.id == render_id)
        .values(state="rendering", started_at=started)
    )
    limit = dt.timedelta(seconds=10 + 60 + 60)  # wait for a slot, render, a minute more
    assert (
        run_due(started.date(), now=started + limit - dt.timedelta(seconds=1)).renders_abandoned
        == 0
    )
    assert db.session.get(Render, render_id).state.value == "rendering"
    report = run_due(started.date(), now=started + limit + dt.timedelta(seconds=1))
    assert report.renders_abandoned == 1
    body = client.get(f"/api/v1/renders/{render_id}", headers=headers).json
    assert body["state"] == "failed" and "ask again" in body["error"]
    assert run_due(started.date(), now=started + 2 * limit).renders_abandoned == 0  # once
