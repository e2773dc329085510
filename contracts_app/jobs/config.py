"""Configuration of the queue, the worker and email, read from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def jobs_config(instance_path: Path) -> dict[str, Any]:
    env = os.environ
    return {
        # With REDIS_URL the queue is in Redis (several web servers and workers share it);
        # without, it is a SQLite file under instance/ (one machine, nothing to install).
        "HUEY_SQLITE_PATH": env.get("HUEY_SQLITE_PATH", str(instance_path / "queue.db")),
        "HUEY_WORKERS": int(env.get("HUEY_WORKERS", "2")),
        # Email (Flask-Mailman): smtp in production; console, file or locmem in development.
        "MAIL_BACKEND": env.get("MAIL_BACKEND", "smtp"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "0") == "1",
        "MAIL_TIMEOUT": int(env.get("MAIL_TIMEOUT", "30")),
        "MAIL_FILE_PATH": env.get("MAIL_FILE_PATH", str(instance_path / "mail")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Contracts <contracts@localhost>"),
        # Where links in emails point.
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Email retries: the n-th try waits NOTIFY_RETRY_SECONDS * 2**(n-1) after the one
        # before; after NOTIFY_MAX_ATTEMPTS tries the notification is marked failed.
        "NOTIFY_RETRY_SECONDS": float(env.get("NOTIFY_RETRY_SECONDS", "60")),
        "NOTIFY_MAX_ATTEMPTS": int(env.get("NOTIFY_MAX_ATTEMPTS", "6")),
        "DIGEST_HOUR": int(env.get("DIGEST_HOUR", "7")),
    }
