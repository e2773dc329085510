"""Configuration read from the environment, with defaults that suit development."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from contracts_app.jobs.config import jobs_config


def _instance_secret_key(instance_path: Path) -> str:
    """A development SECRET_KEY generated once under instance/ and kept there (never committed)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(instance_path: Path) -> dict:
    """Build the configuration mapping from environment variables."""
    env = os.environ
    env_name = env.get("CONTRACTS_ENV", "development")
    default_db = f"sqlite:///{instance_path / 'contracts.db'}"
    if "DATABASE_URL" not in env:
        # the default database lives in instance/: create it before SQLite opens the file
        instance_path.mkdir(parents=True, exist_ok=True)
    return {
        "ENV_NAME": env_name,
        "DATABASE_URL": env.get("DATABASE_URL", default_db),
        # Outside development a real SECRET_KEY is required (create_app refuses to start).
        "SECRET_KEY": env.get("SECRET_KEY")
        or (_instance_secret_key(instance_path) if env_name == "development" else None),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get(
            "SESSION_COOKIE_SECURE", "0" if env_name == "development" else "1"
        )
        == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Sized for the largest upload: a CSV of 100,000 tickets (about 10 MiB) or a PDF.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(20 * 1024 * 1024))),
        "API_TOKEN_DAYS": int(env.get("API_TOKEN_DAYS", "90")),
        "PAGE_SIZE": int(env.get("PAGE_SIZE", "25")),
        "WTF_CSRF_TIME_LIMIT": None,
        "SIGNING_KEY_FILE": env.get("SIGNING_KEY_FILE"),
        "SIGNING_CERT_FILE": env.get("SIGNING_CERT_FILE"),
        "SIGNING_KEY_PASSPHRASE": env.get("SIGNING_KEY_PASSPHRASE"),
        "PDF_RENDER_SECONDS": int(env.get("PDF_RENDER_SECONDS", "60")),
        # Renders at once per process, and how long a request waits for a free slot;
        # gunicorn.conf.py adds both to its worker timeout.
        "PDF_RENDER_CONCURRENCY": int(env.get("PDF_RENDER_CONCURRENCY", "2")),
        "PDF_RENDER_WAIT_SECONDS": int(env.get("PDF_RENDER_WAIT_SECONDS", "10")),
        # Larger summaries are refused before rendering: they would not finish in time.
        "PDF_MAX_HTML_KB": int(env.get("PDF_MAX_HTML_KB", "600")),
        # Renders asked for on pages and by POST .../renders run on the job queue; the
        # request waits this long for the PDF before answering 202 with where to poll.
        "PDF_RENDER_ANSWER_SECONDS": float(env.get("PDF_RENDER_ANSWER_SECONDS", "2")),
        # 1: no worker serves; renders run in the request, bounded by the slots above.
        "PDF_RENDERS_INLINE": env.get("PDF_RENDERS_INLINE", "0") == "1",
        # A finished render's PDF is kept this long for its download, then deleted.
        "PDF_RENDER_KEEP_HOURS": float(env.get("PDF_RENDER_KEEP_HOURS", "24")),
        "AUDIT_HMAC_KEY": env.get("AUDIT_HMAC_KEY"),
        "REDIS_URL": env.get("REDIS_URL"),
        # Counted per process in memory by default; Redis shares the counts between workers.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI")
        or env.get("REDIS_URL")
        or "memory://",
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "30 per minute"),
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute"),
        **jobs_config(instance_path),
    }
