"""A real worker process and a real SMTP server: every kind delivered, nothing twice, nothing
lost when the worker is killed or the SMTP server goes away."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import current_app

from contracts_app.agreements.access import membership_of
from contracts_app.agreements.members import invite_member
from contracts_app.agreements.status import fire_event as fire_status_event
from contracts_app.annexes.models import Annex
from contracts_app.db import db
from contracts_app.documents.services import issue_document, sign_off
from contracts_app.escalations.services import EscalationInput, raise_escalation
from contracts_app.jobs.periodic import contract_alerts
from contracts_app.notifications.email import message_id
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.models import Notification
from contracts_app.notifications.services import set_preferences
from contracts_app.tasks.services import TaskInput, fire_task_event, record_task
from tests.factories import (
    PASSWORD,
    clause,
    make_annex,
    make_user,
    token_for,
)
from tests.jobs.conftest import Worker, email_states, wait_until
from tests.notifications.conftest import Cast
from tests.notifications.conftest import make_cast as make_staffed_cast
from workflows.annex_states import AnnexState

pytestmark = [pytest.mark.committed, pytest.mark.worker]


def make_cast(email_everything: bool = True) -> Cast:
    cast = make_staffed_cast()
    if email_everything:
        for user in (
            cast.manager,
            cast.customer_manager,
            cast.customer_approver,
            cast.provider_approver,
            cast.contributor,
        ):
            set_preferences(user, {kind.value: "email" for kind in Kind})
    db.session.commit()
    return cast


def _record(cast, ref, hours, category, user=None):
    user = user or cast.contributor
    return record_task(
        cast.agreement,
        membership_of(user, cast.agreement.id),
        TaskInput(
            ref=ref, title=ref, day=dt.date(2026, 3, 2), category=category, hours=Decimal(hours)
        ),
        user,
    )


def every_kind_happens(cast: Cast) -> None:
    """Events that cause each kind of notification, each committed by its service."""
    approved = cast.draft(title="Approved")
    cast.fire(approved, "submit", cast.manager)  # annex awaits approval
    cast.fire(approved, "approve", cast.customer_approver)
    cast.fire(approved, "approve", cast.provider_approver)  # awaits signature; approved
    cast.fire(approved, "sign", cast.customer_approver, password=PASSWORD)
    cast.fire(approved, "sign", cast.provider_approver, password=PASSWORD)  # effective
    rejected = cast.draft([{"op": "add", "item": clause("3.2")}], title="Rejected")
    sent_back = cast.draft([{"op": "add", "item": clause("3.3")}], title="Sent back")
    cast.fire(rejected, "submit", cast.manager)
    cast.fire(rejected, "reject", cast.customer_approver, comment="No")
    cast.fire(sent_back, "submit", cast.manager)
    cast.fire(sent_back, "request_changes", cast.provider_approver, comment="Again")
    _record(cast, "T-1", "1", "support.request")
    accepted = _record(cast, "T-2", "1", "support.request")
    fire_task_event(accepted.id, "accept", cast.manager)
    make_annex(cast.agreement, dt.date(2026, 3, 1), [{"op": "remove", "ref": "1.2"}])
    _record(cast, "T-3", "100", "support.incident")  # 83 % of 120 hours: a cap threshold
    document = issue_document(
        cast.agreement,
        membership_of(cast.manager, cast.agreement.id),
        dt.date(2026, 3, 3),
        cast.manager,
    )
    sign_off(document.id, cast.customer_approver, PASSWORD)
    sign_off(document.id, cast.provider_approver, PASSWORD)
    too_large = issue_document(  # its signed PDF cannot be prepared: approvers are told
        cast.agreement,
        membership_of(cast.manager, cast.agreement.id),
        dt.date(2026, 3, 4),
        cast.manager,
    )
    limit = current_app.config["PDF_MAX_HTML_KB"]
    current_app.config["PDF_MAX_HTML_KB"] = 1
    try:
        sign_off(too_large.id, cast.customer_approver, PASSWORD)
        sign_off(too_large.id, cast.provider_approver, PASSWORD)
    finally:
        current_app.config["PDF_MAX_HTML_KB"] = limit
    cast.agreement.notice_days = 60
    db.session.commit()
    contract_alerts(dt.date(2026, 10, 3))
    db.session.commit()
    newcomer = make_user(email="newcomer.everykind@example.com")
    invite_member(  # an invitation
        cast.agreement,
        membership_of(cast.customer_manager, cast.agreement.id),
        newcomer.email,
        "customer",
        "viewer",
        cast.customer_manager,
    )
    fire_status_event(  # a change of status awaits the other side
        cast.agreement,
        membership_of(cast.customer_manager, cast.agreement.id),
        "suspend",
        cast.customer_manager,
        reason="Unpaid invoices",
    )
    raise_escalation(  # awaits the customer's answer; the provider is told it moved
        cast.agreement,
        membership_of(cast.contributor, cast.agreement.id),
        EscalationInput(subject="Disputed hours"),
        cast.contributor,
    )


def test_every_kind_is_delivered_in_the_application_and_by_email_once(app, worker, smtp):
    cast = make_cast()
    worker.start()
    every_kind_happens(cast)
    rows = db.session.execute(
        sa.select(Notification.id, Notification.kind, Notification.user_id)
    ).all()
    db.session.commit()
    assert {kind for _id, kind, _user in rows} == set(Kind)  # every kind happened
    smtp.inbox.wait_for(len(rows))
    wait_until(
        lambda: set(email_states().values()) == {"sent"},
        what="every row marked sent",
        worker=worker,
    )
    by_id = {m["Message-ID"]: m for m in smtp.inbox.messages}
    for notification_id, kind, _user in rows:
        message = by_id[message_id(notification_id)]
        assert message.get_body(("plain",)) is not None, kind
        assert message.get_body(("html",)) is not None, kind
    assert smtp.inbox.repeats() == 0

    # in the application: each recipient's list has what was written for them
    client = app.test_client()
    for user in (cast.manager, cast.customer_approver, cast.contributor):
        body = client.get(
            "/api/v1/me/notifications?per_page=100", headers=token_for(user)
        ).get_json()
        mine = {nid for nid, _kind, uid in rows if uid == user.id}
        assert {item["id"] for item in body["items"]} == mine
        assert body["unread"] == len(mine)
    db.session.commit()

    # the periodic jobs run twice for the same day: nothing is sent twice
    received = len(smtp.inbox.ids())
    first = worker.run("run-due", "--today", "2026-10-03")
    second = worker.run("run-due", "--today", "2026-10-03")
    assert "contract alerts: 0" in first and "contract alerts: 0" in second
    assert "sent: 0" in second
    assert len(smtp.inbox.ids()) == received


def test_a_worker_killed_mid_delivery_loses_nothing(worker, smtp):
    cast = make_cast()
    smtp.inbox.delay = 3.0  # the server holds each message: the worker dies meanwhile
    worker.start(workers=1)
    for ref in ("3.1", "3.2", "3.3"):
        annex = cast.draft([{"op": "add", "item": clause(ref)}], title=f"Adds {ref}")
        cast.fire(annex, "submit", cast.manager)  # two approvers each
    expected = {message_id(nid) for nid in email_states()}
    assert len(expected) == 6
    assert smtp.inbox.receiving.wait(120), f"no delivery started\n{worker.log_tail()}"
    worker.kill()
    smtp.inbox.delay = 0.0
    worker.start(workers=1)
    smtp.inbox.wait_for(len(expected))
    wait_until(
        lambda: set(email_states().values()) == {"sent"},
        what="every row marked sent",
        worker=worker,
    )
    assert set(smtp.inbox.ids()) == expected  # nothing lost
    repeats = smtp.inbox.repeats()
    print(f"repeats after SIGKILL: {repeats}")
    assert repeats <= 1  # at most the one in flight, recognisable by its Message-ID


def test_the_smtp_server_stopped_mid_run_and_restarted_loses_nothing(worker, smtp):
    cast = make_cast()
    worker.start()
    first = cast.draft(title="Before")
    cast.fire(first, "submit", cast.manager)
    smtp.inbox.wait_for(2)
    # Received is not yet recorded: stop the server once the worker has marked both sent.
    wait_until(
        lambda: list(email_states().values()).count("sent") == 2,
        what="the first two marked sent",
        worker=worker,
    )
    smtp.stop()
    for ref in ("3.2", "3.3"):
        annex = cast.draft([{"op": "add", "item": clause(ref)}], title=f"While down {ref}")
        cast.fire(annex, "submit", cast.manager)

    def retried() -> bool:
        attempts = db.session.scalars(
            sa.select(Notification.email_attempts).where(Notification.email_state == "pending")
        ).all()
        db.session.commit()
        return len(attempts) == 4 and min(attempts) >= 2

    wait_until(retried, what="the worker to try again while the server is down", worker=worker)
    smtp.start()
    smtp.inbox.wait_for(6)
    wait_until(
        lambda: set(email_states().values()) == {"sent"},
        what="every row marked sent",
        worker=worker,
    )
    assert len(set(smtp.inbox.ids())) == 6


def test_a_scheduled_annex_becomes_effective_through_the_job_with_no_request(
    app, worker_env, tmp_path
):
    cast = make_cast(email_everything=False)
    annex = cast.draft(effective_date=dt.date(2026, 9, 1))
    for event, user, extra in (
        ("submit", cast.manager, {}),
        ("approve", cast.customer_approver, {}),
        ("approve", cast.provider_approver, {}),
        ("sign", cast.customer_approver, {"password": PASSWORD}),
        ("sign", cast.provider_approver, {"password": PASSWORD}),
    ):
        cast.fire(annex, event, user, **extra)
    annex_id, code = annex.id, cast.agreement.code
    db.session.commit()

    def state() -> str:
        value = db.session.scalar(sa.select(Annex.state).where(Annex.id == annex_id))
        db.session.commit()
        return AnnexState(value).value

    assert state() == "scheduled"
    # a read of the agreement on a day the annex is due changes nothing
    client = app.test_client()
    assert (
        client.get(
            f"/api/v1/agreements/{code}/scope?as_of=2026-09-02", headers=token_for(cast.manager)
        ).status_code
        == 200
    )
    db.session.commit()
    assert state() == "scheduled"
    jobs = Worker(worker_env, tmp_path / "run-due.log")
    assert "activated: 0" in jobs.run("run-due", "--today", "2026-08-31")
    assert state() == "scheduled"
    assert "activated: 1" in jobs.run("run-due", "--today", "2026-09-01")
    assert state() == "effective"
    assert "activated: 0" in jobs.run("run-due", "--today", "2026-09-01")
    author_news = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == cast.manager.id)
    ).all()
    db.session.commit()
    assert "annex_effective" in author_news


@pytest.mark.redis
def test_a_redis_queue_shared_by_this_process_and_the_worker_delivers(redis_env, smtp, tmp_path):
    cast = make_cast()
    worker = Worker(redis_env, tmp_path / "redis-worker.log").start()
    try:
        annex = cast.draft()
        cast.fire(annex, "submit", cast.manager)
        expected = {message_id(nid) for nid in email_states()}
        smtp.inbox.wait_for(len(expected))
        assert set(smtp.inbox.ids()) == expected
    finally:
        worker.stop()
