"""The signed PDF of a summary every side signed off: prepared on the job queue (run in
process here; the real worker's test is in tests/jobs), or in the request without one."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db, utcnow
from contracts_app.documents import services
from contracts_app.documents.models import Document, DocumentState
from contracts_app.jobs.periodic import run_due
from tests.documents.conftest import pdf_text
from tests.factories import PASSWORD, member_user, signed_in, token_for


@pytest.fixture
def document(summary_agreement, signers):
    manager = signers["manager"]
    return services.issue_document(
        summary_agreement,
        membership_of(manager, summary_agreement.id),
        dt.date(2026, 4, 15),
        manager,
    )


def _sign_off_by_api(client, document, signers):
    """Both sides sign off through the API; the last answer is returned."""
    for side in ("customer", "provider"):
        answer = client.post(
            f"/api/v1/documents/{document.id}/sign-off",
            json={"password": PASSWORD},
            headers=token_for(signers[side]),
        )
    return answer


def _state(document_id: int) -> DocumentState:
    db.session.expire_all()
    return db.session.get(Document, document_id).state


def _left_signing(document, signers) -> None:
    """Both sides signed off, the job queued but not yet run."""
    services.sign_off(document.id, signers["customer"], PASSWORD, lambda _id: None)
    services.sign_off(document.id, signers["provider"], PASSWORD, lambda _id: None)
    assert _state(document.id) == DocumentState.SIGNING


def _events(document_id: int, action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.object_type == "document",
            AuditEvent.object_id == document_id,
            AuditEvent.action == action,
        )
    )


def test_without_a_worker_the_last_sign_off_answers_the_signed_document(
    client, document, signers, inline
):
    answer = _sign_off_by_api(client, document, signers)
    assert answer.status_code == 200, answer.json
    assert answer.json["state"] == "signed_off" and answer.json["pdf_sha256"]
    assert answer.json["signing_error"] is None


def test_with_a_worker_the_last_sign_off_answers_202_and_the_document_follows(
    client, document, signers
):
    answer = _sign_off_by_api(client, document, signers)
    assert answer.status_code == 202, answer.json
    location = f"/api/v1/documents/{document.id}"
    assert answer.headers["Location"] == location
    assert answer.json["state"] == "signing" and answer.json["pdf_sha256"] is None
    headers = token_for(signers["manager"])
    assert client.get(location, headers=headers).json["state"] == "signing"

    assert services.finalize(document.id) == DocumentState.SIGNED_OFF
    followed = client.get(location, headers=headers).json
    assert followed["state"] == "signed_off" and followed["pdf_sha256"]
    pdf = client.get(f"{location}/pdf", headers=headers)
    text = pdf_text(pdf.data)
    assert "Draft, not signed off" not in text and signers["provider"].name in text


def test_a_summary_being_signed_takes_no_further_sign_off(document, signers):
    _left_signing(document, signers)
    refusal = services.sign_off_refusal(
        db.session.get(Document, document.id),
        membership_of(signers["customer"], document.agreement_id),
    )
    assert refusal is not None and "signed PDF is prepared" in refusal.message


def test_finalising_twice_signs_once(document, signers):
    _left_signing(document, signers)
    assert services.finalize(document.id) == DocumentState.SIGNED_OFF
    signed = db.session.get(Document, document.id)
    sha, at = signed.pdf_sha256, signed.signed_at
    assert services.finalize(document.id) == DocumentState.SIGNED_OFF
    again = db.session.get(Document, document.id)
    assert (again.pdf_sha256, again.signed_at) == (sha, at)
    assert _events(document.id, "document.signed") == 1


def test_an_attempt_under_way_is_not_doubled(document, signers):
    _left_signing(document, signers)
    db.session.execute(
        sa.update(Document).where(Document.id == document.id).values(signing_claimed_at=utcnow())
    )
    assert services.finalize(document.id) == DocumentState.SIGNING
    assert db.session.get(Document, document.id).pdf is None


def test_a_summary_too_large_to_sign_says_why_and_an_approver_has_it_prepared_again(
    app, client, document, signers, monkeypatch, caplog
):
    _left_signing(document, signers)
    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 1)
    with caplog.at_level(logging.WARNING, logger="contracts_app.documents.services"):
        assert services.finalize(document.id) == DocumentState.SIGNING_FAILED
    assert f"document {document.id} could not be prepared" in caplog.text
    url = f"/api/v1/documents/{document.id}"
    shown = client.get(url, headers=token_for(signers["manager"])).json
    assert shown["state"] == "signing_failed" and "too large" in shown["signing_error"]
    assert _events(document.id, "document.signing_failed") == 1

    page = signed_in(app.test_client(), signers["customer"]).get(f"/documents/{document.id}")
    html = page.get_data(as_text=True)
    assert "The signed PDF could not be prepared" in html and "too large" in html
    assert "Prepare the signed PDF again" in html and 'http-equiv="refresh"' not in html
    manager = signed_in(app.test_client(), signers["manager"]).get(f"/documents/{document.id}")
    assert "Prepare the signed PDF again" not in manager.get_data(as_text=True)
    refused = client.post(f"{url}/retry-signing", headers=token_for(signers["manager"]))
    assert refused.status_code == 403

    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 600)
    monkeypatch.setitem(app.config, "PDF_RENDERS_INLINE", True)
    retried = client.post(f"{url}/retry-signing", headers=token_for(signers["customer"]))
    assert retried.status_code == 200, retried.json
    assert retried.json["state"] == "signed_off" and retried.json["signing_error"] is None
    assert _events(document.id, "document.signing_retried") == 1
    again = client.post(f"{url}/retry-signing", headers=token_for(signers["customer"]))
    assert again.status_code == 409


def test_inline_a_failure_is_the_answer_of_the_last_sign_off(
    app, client, document, signers, inline, monkeypatch
):
    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 1)
    services.sign_off(document.id, signers["customer"], PASSWORD)
    answer = client.post(
        f"/api/v1/documents/{document.id}/sign-off",
        json={"password": PASSWORD},
        headers=token_for(signers["provider"]),
    )
    assert answer.status_code == 200
    assert answer.json["state"] == "signing_failed" and "too large" in answer.json["signing_error"]
    assert {s["side"] for s in answer.json["sign_offs"]} == {"customer", "provider"}


def test_an_unexpected_error_is_logged_shown_and_raised_to_the_worker(
    document, signers, monkeypatch, caplog
):
    _left_signing(document, signers)

    def broken(*args, **kwargs):
        raise OSError("the signing key cannot be read")

    monkeypatch.setattr(services, "sign_pdf", broken)
    with caplog.at_level(logging.ERROR), pytest.raises(OSError):
        services.finalize(document.id)
    assert "could not be prepared" in caplog.text and "OSError" in caplog.text
    failed = db.session.get(Document, document.id)
    assert failed.state == DocumentState.SIGNING_FAILED
    assert failed.signing_error == "The signed PDF could not be prepared (OSError)."


def test_the_page_says_the_signed_pdf_is_being_prepared_and_then_offers_it(app, document, signers):
    for side in ("customer", "provider"):
        approver = signed_in(app.test_client(), signers[side])
        answer = approver.post(f"/documents/{document.id}/sign-off", data={"password": PASSWORD})
        assert answer.headers["Location"].endswith(f"/documents/{document.id}")
    page = approver.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "The signed PDF is being prepared" in page and 'http-equiv="refresh"' in page
    assert "the signed PDF is being prepared." in page  # the flash of the last sign-off
    assert "Download the signed PDF" not in page and "Sign off for your side" not in page

    services.finalize(document.id)
    page = approver.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "Download the signed PDF" in page and 'http-equiv="refresh"' not in page
    assert "being prepared" not in page


def test_an_approver_retries_in_the_page_and_a_viewer_is_not_offered_it(
    app, document, signers, monkeypatch
):
    _left_signing(document, signers)
    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 1)
    services.finalize(document.id)
    viewer = signed_in(app.test_client(), member_user(document.agreement, "provider", "viewer"))
    shown = viewer.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "could not be prepared" in shown and "Prepare the signed PDF again" not in shown

    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 600)
    approver = signed_in(app.test_client(), signers["provider"])
    answer = approver.post(f"/documents/{document.id}/retry-signing")
    assert answer.status_code == 302
    page = approver.get(answer.headers["Location"]).get_data(as_text=True)
    assert "The signed PDF is being prepared again." in page
    assert _state(document.id) == DocumentState.SIGNING  # queued for the worker
    services.finalize(document.id)
    assert _state(document.id) == DocumentState.SIGNED_OFF


def test_the_periodic_job_signs_a_summary_a_stopped_worker_left(document, signers):
    _left_signing(document, signers)
    # a worker took it on a minute ago and is still within its time: left to it
    db.session.execute(
        sa.update(Document)
        .where(Document.id == document.id)
        .values(signing_claimed_at=utcnow() - dt.timedelta(minutes=1))
    )
    assert run_due(dt.date(2026, 4, 16)).summaries_signed == 0
    assert _state(document.id) == DocumentState.SIGNING
    # an hour later the worker is long gone (killed mid-render): the job takes it over
    db.session.execute(
        sa.update(Document)
        .where(Document.id == document.id)
        .values(signing_claimed_at=utcnow() - dt.timedelta(hours=1))
    )
    assert run_due(dt.date(2026, 4, 16)).summaries_signed == 1
    assert _state(document.id) == DocumentState.SIGNED_OFF
    assert run_due(dt.date(2026, 4, 16)).summaries_signed == 0


def test_the_periodic_job_leaves_a_failed_summary_to_its_approvers(
    app, document, signers, monkeypatch
):
    _left_signing(document, signers)
    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 1)
    services.finalize(document.id)
    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 600)
    assert run_due(dt.date(2026, 4, 16)).summaries_signed == 0
    assert _state(document.id) == DocumentState.SIGNING_FAILED


def test_a_failed_signing_tells_the_approvers_who_signed_off_and_the_issuer(
    app, document, signers, monkeypatch
):
    from contracts_app.agreements.models import Membership
    from contracts_app.enums import Role
    from contracts_app.notifications.kinds import Kind
    from contracts_app.notifications.models import Notification

    _left_signing(document, signers)
    monkeypatch.setitem(app.config, "PDF_MAX_HTML_KB", 1)
    assert services.finalize(document.id) == DocumentState.SIGNING_FAILED
    told = db.session.execute(
        sa.select(Notification.user_id, Notification.text, Notification.link).where(
            Notification.kind == Kind.SUMMARY_SIGNING_FAILED
        )
    ).all()
    approvers = set(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.agreement_id == document.agreement_id,
                Membership.role == Role.APPROVER,
            )
        )
    )
    assert {signers["customer"].id, signers["provider"].id} <= approvers
    assert {row.user_id for row in told} == approvers | {signers["manager"].id}  # the issuer
    assert all("could not be prepared" in row.text and "too large" in row.text for row in told)
    assert {row.link for row in told} == {f"/documents/{document.id}"}


def test_while_the_signed_pdf_is_prepared_no_draft_is_given(app, client, document, signers):
    """A draft of a summary every side signed off would say both "not signed off" and who
    signed it off: the API answers 409 and the page goes back to the summary, saying why."""
    _left_signing(document, signers)
    url = f"/api/v1/documents/{document.id}/pdf"
    answer = client.get(url, headers=token_for(signers["manager"]))
    assert answer.status_code == 409
    assert "being prepared" in answer.json["detail"]
    render = client.post(
        f"/api/v1/documents/{document.id}/renders", headers=token_for(signers["manager"])
    )
    assert render.status_code == 409

    page = signed_in(app.test_client(), signers["manager"])
    response = page.get(f"/documents/{document.id}/pdf", follow_redirects=True)
    assert response.request.path == f"/documents/{document.id}"
    assert "being prepared" in response.get_data(as_text=True)

    db.session.execute(
        sa.update(Document)
        .where(Document.id == document.id)
        .values(state=DocumentState.SIGNING_FAILED, signing_error="It timed out.")
    )
    db.session.commit()
    failed = client.get(url, headers=token_for(signers["manager"]))
    assert failed.status_code == 409 and "It timed out." in failed.json["detail"]
