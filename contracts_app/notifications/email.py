"""Notification emails: a plain-text and an HTML part, a link, a Message-ID derived from
the notification (a retried delivery is recognisable), and RFC 8058 one-click unsubscribe."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from html import escape
from typing import Any

from flask import current_app
from flask_mailman import EmailMultiAlternatives, Mail
from itsdangerous import BadSignature, URLSafeSerializer

from contracts_app import formatting
from contracts_app.notifications.kinds import LABELS, Kind
from contracts_app.notifications.models import Notification

mail = Mail()
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, kind: Kind) -> str:
    return _serializer().dumps({"u": user_id, "k": kind.value})


def read_unsubscribe_token(token: str) -> tuple[int, Kind] | None:
    """The (user id, kind) a token was made for; None when it is forged or malformed."""
    try:
        data = _serializer().loads(token)
        return int(data["u"]), Kind(data["k"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def _domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rsplit("@", 1)[-1].strip(">").strip() or "localhost"


def message_id(notification_id: int) -> str:
    """The same for every try of one notification."""
    return f"<notification-{notification_id}@{_domain()}>"


def digest_message_id(user_id: int, day: str) -> str:
    return f"<digest-{user_id}-{day}@{_domain()}>"


def absolute(link: str) -> str:
    return current_app.config["BASE_URL"] + link


def _unsubscribe_headers(user_id: int, kind: Kind) -> dict[str, str]:
    url = absolute(f"/notifications/unsubscribe/{unsubscribe_token(user_id, kind)}")
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    link = absolute(notification.link)
    label = LABELS[notification.kind]
    unsubscribe = _unsubscribe_headers(notification.user_id, notification.kind)
    text = (
        f"{notification.text}\n\nOpen it: {link}\n\n"
        f"You get this email because of your preference for: {label}.\n"
        f"Stop these emails: {unsubscribe['List-Unsubscribe'][1:-1]}\n"
    )
    html = (
        f"<p>{escape(notification.text)}</p>"
        f'<p><a href="{escape(link)}">Open it in Contracts</a></p>'
        f'<p style="color:#666">You get this email because of your preference for: '
        f'{escape(label)}. <a href="{escape(unsubscribe["List-Unsubscribe"][1:-1])}">'
        "Stop these emails</a>.</p>"
    )
    message = EmailMultiAlternatives(
        subject=notification.text[:150],
        body=text,
        to=[notification.user.email],
        headers={"Message-ID": message_id(notification.id), **unsubscribe},
    )
    message.attach_alternative(html, "text/html")
    return message


def digest_email(
    user: Any, day: str, notifications: Sequence[Notification]
) -> EmailMultiAlternatives:
    lines = [f"- {n.text}\n  {absolute(n.link)}" for n in notifications]
    with formatting.in_english():
        count = formatting.counted(len(notifications), "notification", "notifications")
    text = f"Your Contracts digest for {day}: {count}.\n\n" + "\n".join(lines)
    items = "".join(
        f'<li><a href="{escape(absolute(n.link))}">{escape(n.text)}</a></li>' for n in notifications
    )
    html = f"<p>Your Contracts digest for {escape(day)}:</p><ul>{items}</ul>"
    message = EmailMultiAlternatives(
        subject=f"Contracts digest for {day}: {count}",
        body=text,
        to=[user.email],
        headers={
            "Message-ID": digest_message_id(user.id, day),
            **_unsubscribe_headers(user.id, notifications[0].kind),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# What a refusing or absent SMTP server raises: every try is counted and retried.
DELIVERY_ERRORS: tuple[type[BaseException], ...] = (OSError, socket.timeout)
