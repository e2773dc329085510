"""Email delivery to a real SMTP server on loopback: the message, retries, failures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_mailman import Mail

from contracts_app.db import db, utcnow
from contracts_app.notifications.delivery import deliver_email, deliver_pending, send_digests
from contracts_app.notifications.email import message_id
from contracts_app.notifications.models import EmailState, Notification
from contracts_app.notifications.services import set_preferences
from tests.factories import make_user, signed_in
from tests.notifications.conftest import notes
from tests.smtp import SMTPServer


@pytest.fixture
def smtp(app) -> Iterator[SMTPServer]:
    """A real SMTP server, and the application's mail pointed at it for the test."""
    server = SMTPServer().start()
    saved = app.extensions["mailman"]
    config = {
        **app.config,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": server.port,
        "MAIL_TIMEOUT": 5,
    }
    app.extensions["mailman"] = Mail.init_mail(config)
    saved_retry = app.config["NOTIFY_RETRY_SECONDS"]
    app.config["NOTIFY_RETRY_SECONDS"] = 60
    try:
        yield server
    finally:
        app.extensions["mailman"] = saved
        app.config["NOTIFY_RETRY_SECONDS"] = saved_retry
        server.stop()


def _submitted(cast):
    annex = cast.draft()
    cast.fire(annex, "submit", cast.manager)
    return annex, notes(cast.customer_approver)[0]


def test_an_email_has_text_and_html_a_link_a_stable_message_id_and_one_click_unsubscribe(
    cast, smtp, client
):
    annex, note = _submitted(cast)
    assert deliver_email(note.id) == "sent"
    [message] = [m for m in smtp.inbox.messages if m["To"] == cast.customer_approver.email]
    assert message["Message-ID"] == message_id(note.id)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe_url.startswith("http://127.0.0.1:5000/notifications/unsubscribe/")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"http://127.0.0.1:5000/annexes/{annex.id}" in text
    assert f'href="http://127.0.0.1:5000/annexes/{annex.id}"' in html
    db.session.expire_all()
    assert db.session.get(Notification, note.id).email_state == EmailState.SENT
    assert deliver_email(note.id) == "skipped"  # sent once: a second job run sends nothing

    # RFC 8058: the mail client posts to the link, without a session or a CSRF token
    path = unsubscribe_url.removeprefix("http://127.0.0.1:5000")
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "No more emails" in response.get_data(as_text=True)
    annex2 = cast.draft(title="Second")
    cast.fire(annex2, "submit", cast.manager)
    newest = notes(cast.customer_approver)[-1]
    assert newest.kind == "annex_awaits_approval"
    assert newest.email_state == EmailState.NONE  # still in the application, no email


def test_a_forged_unsubscribe_token_is_not_found(client):
    assert client.get("/notifications/unsubscribe/forged.token").status_code == 404
    assert client.post("/notifications/unsubscribe/forged.token").status_code == 404


def test_a_refusing_server_is_retried_with_backoff_then_the_email_delivers(cast, smtp):
    _annex, note = _submitted(cast)
    smtp.stop()
    start = utcnow()
    assert deliver_email(note.id, start) == "retry"
    db.session.expire_all()
    row = db.session.get(Notification, note.id)
    assert row.email_attempts == 1 and row.email_state == EmailState.PENDING
    assert "Connection" in row.email_error or "refused" in row.email_error.lower()
    assert row.email_next_at == start + dt.timedelta(seconds=60)
    assert deliver_pending(start + dt.timedelta(seconds=30)).sent == 0  # not yet due
    assert deliver_email(note.id, start + dt.timedelta(seconds=61)) == "retry"
    db.session.expire_all()
    assert db.session.get(Notification, note.id).email_next_at == start + dt.timedelta(
        seconds=61 + 120
    )
    smtp.start()  # the server is back
    report = deliver_pending(start + dt.timedelta(seconds=200))
    approvals = [
        n
        for user in (cast.customer_approver, cast.provider_approver)
        for n in notes(user, "annex_awaits_approval")
    ]
    assert report.sent >= len(approvals) == 2  # both approvers' emails (and any older ones)
    delivered = sorted(smtp.inbox.ids())
    assert [delivered.count(message_id(n.id)) for n in approvals] == [1, 1]


def test_after_the_last_try_the_email_is_failed_and_listed_for_administrators(
    app, cast, smtp, client
):
    _annex, note = _submitted(cast)
    smtp.stop()
    moment = utcnow()
    for _ in range(app.config["NOTIFY_MAX_ATTEMPTS"]):
        moment += dt.timedelta(days=1)
        deliver_pending(moment)
    db.session.expire_all()
    row = db.session.get(Notification, note.id)
    assert row.email_state == EmailState.FAILED
    assert row.email_attempts == app.config["NOTIFY_MAX_ATTEMPTS"]
    signed_in(client, make_user(admin=True))
    page = client.get("/admin/notifications/failed").get_data(as_text=True)
    assert cast.customer_approver.email in page
    assert "awaits your side&#39;s approval" in page
    other = signed_in(app.test_client(), cast.manager)
    assert other.get("/admin/notifications/failed").status_code == 404


def test_digest_preference_gathers_notifications_into_one_email_at_seven_local(cast, smtp):
    set_preferences(cast.customer_approver, {"annex_awaits_approval": "digest"}, "Asia/Tokyo")
    for title in ("One", "Two"):
        annex = cast.draft(title=title)
        cast.fire(annex, "submit", cast.manager)
    rows = notes(cast.customer_approver)
    assert {r.email_state for r in rows} == {EmailState.DIGEST}
    # 21:30 UTC is 06:30 in Tokyo: not yet; 22:00 UTC is 07:00 there
    assert send_digests(dt.datetime(2099, 1, 1, 21, 30, tzinfo=dt.UTC)) == 0
    assert send_digests(dt.datetime(2099, 1, 1, 22, 0, tzinfo=dt.UTC)) == 1
    assert send_digests(dt.datetime(2099, 1, 1, 23, 0, tzinfo=dt.UTC)) == 0  # once a day
    [digest] = [m for m in smtp.inbox.messages if m["To"] == cast.customer_approver.email]
    assert "2 notifications" in digest["Subject"]
    assert digest["Message-ID"].startswith(f"<digest-{cast.customer_approver.id}-2099-01-02@")
    db.session.expire_all()
    states = db.session.scalars(
        sa.select(Notification.email_state).where(Notification.user_id == cast.customer_approver.id)
    ).all()
    assert set(states) == {EmailState.SENT}
