"""A real worker process prepares the signed PDF of a summary at its last sign-off."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.db import db, utcnow
from contracts_app.documents.models import Document
from contracts_app.documents.services import issue_document, sign_off
from contracts_app.documents.signing import material_from_config
from tests.factories import (
    PASSWORD,
    clause,
    make_agreement,
    manager_of,
    member_user,
    token_for,
)
from tests.jobs.conftest import wait_until

pytestmark = [pytest.mark.committed, pytest.mark.worker]


def _get(client, url, headers):
    # this process keeps one session across its requests (a server starts each afresh)
    db.session.expire_all()
    answer = client.get(url, headers=headers)
    db.session.commit()  # end the read: the worker writes meanwhile
    return answer


def _signed_by_the_customer(agreement, manager, customer, day: int):
    document = issue_document(
        agreement, membership_of(manager, agreement.id), dt.date(2026, 4, day), manager
    )
    sign_off(document.id, customer, PASSWORD)
    return document


@pytest.fixture
def queued(app, worker, monkeypatch):
    """A worker serves; the web process and it sign with one key, as in production."""
    monkeypatch.setitem(app.config, "PDF_RENDERS_INLINE", False)
    monkeypatch.setitem(app.config, "PDF_RENDER_ANSWER_SECONDS", 0)
    material = material_from_config(app.config, app.instance_path)
    worker.env["SIGNING_KEY_FILE"] = str(material.key_file)
    worker.env["SIGNING_CERT_FILE"] = str(material.cert_file)
    worker.env["PDF_RENDER_SECONDS"] = "300"  # a shared, busy machine: time is not the point
    return worker


def _render_children(pid: int) -> list[int]:
    """The processes a worker forked to render (Linux: /proc/<pid>/task/*/children)."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in children.read_text().split()]
    return found


def _document_row(document_id: int):
    row = db.session.execute(
        sa.select(Document.state, Document.signing_claimed_at).where(Document.id == document_id)
    ).one()
    db.session.commit()
    return row


def test_the_last_sign_off_answers_202_and_the_worker_signs_the_pdf(
    app, queued, monkeypatch, tmp_path
):
    worker = queued
    agreement = make_agreement(start=dt.date(2026, 1, 1))
    manager = manager_of(agreement)
    customer = member_user(agreement, "customer", "approver")
    provider = member_user(agreement, "provider", "approver")
    first = _signed_by_the_customer(agreement, manager, customer, 15)
    second = _signed_by_the_customer(agreement, manager, customer, 16)
    headers = token_for(provider)
    db.session.commit()
    worker.start()
    client = app.test_client()

    answer = client.post(
        f"/api/v1/documents/{first.id}/sign-off", json={"password": PASSWORD}, headers=headers
    )
    db.session.commit()
    assert answer.status_code == 202, answer.data
    assert answer.json["state"] == "signing"
    location = answer.headers["Location"]
    assert location == f"/api/v1/documents/{first.id}"
    wait_until(
        lambda: _get(client, location, headers).json["state"] != "signing",
        what="the worker to sign the summary",
        worker=worker,
    )
    signed = _get(client, location, headers).json
    assert signed["state"] == "signed_off", (signed, worker.log_tail())
    pdf = _get(client, f"{location}/pdf", headers).data
    verified = client.post("/api/v1/documents/verify", data=pdf, content_type="application/pdf")
    assert verified.json["verdict"] == "authentic", verified.json
    if shutil.which("pdfsig"):
        path = tmp_path / "signed.pdf"
        path.write_bytes(pdf)
        sig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=True)
        assert "Signature is Valid." in sig.stdout and "Total document signed" in sig.stdout

    # given the time to finish, the request answers with the signed document itself
    monkeypatch.setitem(app.config, "PDF_RENDER_ANSWER_SECONDS", 120)
    answer = client.post(
        f"/api/v1/documents/{second.id}/sign-off", json={"password": PASSWORD}, headers=headers
    )
    db.session.commit()
    assert answer.status_code == 200, (answer.json, worker.log_tail())
    assert answer.json["state"] == "signed_off" and answer.json["pdf_sha256"]


def test_a_summary_left_signing_by_a_killed_worker_is_signed_by_the_periodic_jobs(
    app, queued, monkeypatch
):
    worker = queued
    monkeypatch.setitem(app.config, "PDF_RENDER_SECONDS", 300)
    # a scope large enough to take seconds to lay out (about 80 pages)
    agreement = make_agreement(
        start=dt.date(2026, 1, 1),
        scope=[clause(f"{n}.1", title=f"Service area {n} " + "words " * 30) for n in range(400)],
    )
    manager = manager_of(agreement)
    customer = member_user(agreement, "customer", "approver")
    provider = member_user(agreement, "provider", "approver")
    document = _signed_by_the_customer(agreement, manager, customer, 15)
    headers = token_for(provider)
    db.session.commit()
    worker.start(workers=1)
    client = app.test_client()

    answer = client.post(
        f"/api/v1/documents/{document.id}/sign-off", json={"password": PASSWORD}, headers=headers
    )
    db.session.commit()
    assert answer.status_code == 202, answer.data
    wait_until(
        lambda: _render_children(worker.process.pid),
        what="the worker to start rendering",
        worker=worker,
    )
    renderers = _render_children(worker.process.pid)
    worker.kill()  # mid-render, as when its machine dies
    assert _document_row(document.id).state.value == "signing"
    # the render it had started does not outlive it for long
    wait_until(
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in renderers),
        what="the killed worker's render to end",
    )

    # an hour on, the attempt is long abandoned: the periodic jobs take it over
    db.session.execute(
        sa.update(Document)
        .where(Document.id == document.id)
        .values(signing_claimed_at=utcnow() - dt.timedelta(hours=1))
    )
    db.session.commit()
    report = worker.run("run-due")
    assert "summaries signed: 1" in report, report
    assert _document_row(document.id).state.value == "signed_off"
    pdf = _get(client, f"/api/v1/documents/{document.id}/pdf", headers).data
    verified = client.post("/api/v1/documents/verify", data=pdf, content_type="application/pdf")
    db.session.commit()  # end the request's transaction: the next run writes
    assert verified.json["verdict"] == "authentic", verified.json
    assert "summaries signed: 0" in worker.run("run-due")
