"""A real SMTP server on loopback (aiosmtpd) that keeps what it received, for the tests."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections import Counter
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Messages received, in order; ``delay`` holds each DATA that long before answering
    (to stop a worker in the middle of a delivery)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self.receiving = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        self.receiving.set()
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]

    def repeats(self) -> int:
        return sum(count - 1 for count in Counter(self.ids()).values())

    def wait_for(self, count: int, timeout: float = 120.0) -> list[str]:
        """Wait until ``count`` distinct Message-IDs arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(set(self.ids())) >= count:
                return self.ids()
            time.sleep(0.05)
        raise AssertionError(f"{len(set(self.ids()))} of {count} messages arrived in {timeout}s")


class SMTPServer:
    """A loopback SMTP server that can be stopped and started again on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> SMTPServer:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
