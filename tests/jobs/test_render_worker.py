"""A real worker process renders the PDFs asked for; the web process stays free meanwhile."""

from __future__ import annotations

import time

import pytest

from contracts_app.db import db
from tests.factories import clause, make_agreement, manager_of, token_for
from tests.jobs.conftest import wait_until

pytestmark = [pytest.mark.committed, pytest.mark.worker]


def _poll(client, url, headers):
    body = client.get(url, headers=headers).get_json()
    db.session.commit()
    return body


def test_a_large_summary_renders_in_the_worker_while_the_server_answers_others(
    app, worker, monkeypatch
):
    monkeypatch.setitem(app.config, "PDF_RENDERS_INLINE", False)
    monkeypatch.setitem(app.config, "PDF_RENDER_ANSWER_SECONDS", 0)
    # a scope large enough to take seconds to lay out (about 80 pages)
    agreement = make_agreement(
        scope=[clause(f"{n}.1", title=f"Service area {n} " + "words " * 30) for n in range(400)]
    )
    headers = token_for(manager_of(agreement))
    db.session.commit()
    worker.env["PDF_RENDER_SECONDS"] = "300"  # a shared, busy machine: time is not the point
    worker.start()
    client = app.test_client()

    asked = client.post(
        f"/api/v1/agreements/{agreement.code}/renders",
        json={"as_of": "2026-06-01"},
        headers=headers,
    )
    assert asked.status_code == 202, asked.data
    location = asked.headers["Location"]
    db.session.commit()

    wait_until(
        lambda: _poll(client, location, headers)["state"] == "rendering",
        what="the worker to start rendering",
        worker=worker,
    )
    started = time.monotonic()
    login = client.get("/login")
    answered_in = time.monotonic() - started
    still = _poll(client, location, headers)
    assert login.status_code == 200 and answered_in < 2.0
    assert still["state"] == "rendering", "the render should still be running"

    wait_until(
        lambda: _poll(client, location, headers)["state"] in ("done", "failed"),
        what="the render to finish",
        worker=worker,
    )
    done = _poll(client, location, headers)
    assert done["state"] == "done", (done, worker.log_tail())
    assert done["pages_total"] > 10 and done["pages_done"] == done["pages_total"]
    pdf = client.get(done["download"], headers=headers)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
