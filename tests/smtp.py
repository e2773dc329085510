"""A real SMTP server on loopback (aiosmtpd) that keeps what it received, for the tests."""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import socket
import threading
import time
from collections import Counter
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# CI runs the SQLite and the PostgreSQL suites side by side. A test stops its server on
# purpose while its worker retries; a port the kernel hands out anew could meanwhile go to
# the other run's server, which would receive those mails. Each run takes its ports from a
# range of its own, below the kernel's ephemeral ports (32768 and up).
_PORTS = itertools.count(26000 if os.environ.get("TEST_DATABASE_URL") else 20000)


def free_port() -> int:
    for _ in range(6000):
        port = next(_PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken: by a server of this run not yet released, or by another
            return port
    raise RuntimeError("no free port left in this run's range")


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
