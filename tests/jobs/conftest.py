"""A real worker process on a queue of the test's own, and a real SMTP server on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from huey.storage import RedisStorage, SqliteStorage

from contracts_app.db import db
from contracts_app.jobs.queue import huey
from contracts_app.notifications.models import EmailState, Notification
from tests.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


class Worker:
    """``flask --app wsgi jobs worker`` in a process of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, workers: int = 2) -> Worker:
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "jobs",
                "worker",
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        return self

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None

    def run(self, *args: str) -> str:
        """Another command of the application, with the worker's environment."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    yield server
    server.stop()


def _environment(app, smtp: SMTPServer, tmp_path: Path, queue: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAIL_", "HUEY_", "REDIS_", "NOTIFY_", "PYTEST"))
    }
    env.update(
        {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": app.config["SECRET_KEY"],
            "CONTRACTS_ENV": "development",
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_TIMEOUT": "10",
            "NOTIFY_RETRY_SECONDS": "0.5",
            "NOTIFY_MAX_ATTEMPTS": "30",
            **queue,
        }
    )
    return env


@pytest.fixture
def worker_env(app, smtp, tmp_path, clean_database) -> Iterator[dict[str, str]]:
    """The test's own SQLite queue, shared by this process and the worker."""
    path = tmp_path / "queue.db"
    saved = huey.storage
    huey.storage = SqliteStorage(huey.name, filename=str(path))
    try:
        yield _environment(app, smtp, tmp_path, {"HUEY_SQLITE_PATH": str(path)})
    finally:
        huey.storage = saved


@pytest.fixture
def redis_env(app, smtp, tmp_path, clean_database) -> Iterator[dict[str, str]]:
    """A Redis queue (a database number of the tests' own), shared likewise."""
    saved = huey.storage
    huey.storage = RedisStorage(huey.name, url=REDIS_TEST_URL)
    huey.storage.flush_all()
    try:
        yield _environment(app, smtp, tmp_path, {"REDIS_URL": REDIS_TEST_URL})
    finally:
        huey.storage.flush_all()
        huey.storage = saved


@pytest.fixture
def worker(worker_env, tmp_path) -> Iterator[Worker]:
    process = Worker(worker_env, tmp_path / "worker.log")
    yield process
    process.stop()


def email_states() -> dict[int, str]:
    """Each notification's email state, read and the read ended at once (SQLite's lock)."""
    rows = dict(db.session.execute(sa.select(Notification.id, Notification.email_state)).all())
    db.session.commit()
    return {key: EmailState(value).value for key, value in rows.items()}


# Generous: the machine may be shared and busy; a healthy run takes a few seconds.
TIMEOUT = 120.0


def wait_until(condition, timeout: float = TIMEOUT, what: str = "the condition", worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    log = f"\nworker log:\n{worker.log_tail()}" if worker is not None else ""
    raise AssertionError(f"timed out waiting for {what}{log}")
