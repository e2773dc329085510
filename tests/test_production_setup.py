"""The README's production section, as written: start-up checks, migrations, gunicorn, Redis."""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from contracts_app import _require_secret_key, _require_shared_production_settings
from contracts_app.config import load_config

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRODUCTION = {
    "CONTRACTS_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "AUDIT_HMAC_KEY": "a" * 64,
    "REDIS_URL": "redis://127.0.0.1:6379/5",
}


def _without(*names: str) -> dict[str, str]:
    return {k: v for k, v in PRODUCTION.items() if k not in names}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    for name in (*PRODUCTION, "RATELIMIT_STORAGE_URI", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))

    def apply(values: dict[str, str]) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return apply


class ConfiguredApp:
    """What the start-up checks read of an application: its configuration."""

    def __init__(self, config):
        self.config = config


def start(tmp_path):
    """The start-up checks of ``create_app`` on the environment's configuration (without
    building a second application, which would rebind the tests' database)."""
    config = load_config(tmp_path / "instance")
    _require_secret_key(ConfiguredApp(config))
    _require_shared_production_settings(ConfiguredApp(config))
    return config


@pytest.mark.parametrize("missing", ["AUDIT_HMAC_KEY", "REDIS_URL"])
def test_outside_development_the_app_refuses_to_start_without(environment, tmp_path, missing):
    environment(_without(missing))
    with pytest.raises(RuntimeError, match=missing):
        start(tmp_path)


def test_with_the_production_settings_the_app_starts(environment, tmp_path):
    environment(PRODUCTION)
    assert start(tmp_path)["ENV_NAME"] == "production"


def test_redis_url_becomes_the_rate_limit_storage_unless_told_otherwise(
    environment, monkeypatch, tmp_path
):
    environment(PRODUCTION)
    assert start(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/5"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/6")
    assert start(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/6"


def test_memory_rate_limit_storage_is_refused_outside_development(
    environment, monkeypatch, tmp_path
):
    environment(_without("REDIS_URL"))
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        start(tmp_path)


def test_db_upgrade_on_the_default_database_creates_instance(tmp_path):
    instance = tmp_path / "not-yet" / "instance"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CONTRACTS_ENV", "AUDIT_HMAC_KEY")
    }
    env |= {"SECRET_KEY": "s" * 48, "INSTANCE_PATH": str(instance)}
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (instance / "contracts.db").is_file()


def test_the_worker_timeout_outlasts_a_render_and_its_wait():
    namespace: dict[str, object] = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)
    config = load_config(ROOT / "instance")
    assert namespace["timeout"] > config["PDF_RENDER_SECONDS"] + config["PDF_RENDER_WAIT_SECONDS"]


# --- the whole production section, on PostgreSQL, gunicorn and Redis --------------------


def _answers(command: list[str]) -> bool:
    if shutil.which(command[0]) is None:
        return False
    return subprocess.run(command, capture_output=True, timeout=10).returncode == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production_database():
    import psycopg

    admin_url = os.environ.get(
        "PRODUCTION_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    if not _answers(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    name = f"contracts_production_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(admin_url)
    yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _post_login(port: int, email: str) -> int:
    """One sign-in attempt as a browser makes it: the form (its CSRF token), then the post."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    page = conn.getresponse()
    cookie = page.getheader("Set-Cookie", "").split(";")[0]
    html = page.read().decode()
    conn.close()
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode(
        {"email": email, "password": "wrong password", "csrf_token": token}
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    conn.request("POST", "/login", body, headers)
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.redis
def test_the_production_section_on_postgresql_gunicorn_and_redis_holds_sign_in_limits(
    tmp_path, production_database
):
    if not _answers(["redis-cli", "-n", "5", "ping"]):
        pytest.skip("redis-server is not answering on 127.0.0.1:6379")
    subprocess.run(["redis-cli", "-n", "5", "flushdb"], check=True, capture_output=True)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("RATELIMIT_STORAGE_URI",)}
    env |= PRODUCTION | {
        "DATABASE_URL": production_database,
        "SESSION_COOKIE_SECURE": "1",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (
        [*flask, "db", "upgrade"],
        [*flask, "users", "create", "ops@example.com", "--name", "Ops", "--password", "x" * 20],
    ):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]

    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "gunicorn.log").read_text()[-3000:])
        statuses = [_post_login(port, "ops@example.com") for _ in range(14)]
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    # 5 a minute per account, however the attempts spread over the 2 workers
    assert sum(status != 429 for status in statuses) == 5, statuses
    assert statuses[5:] == [429] * 9
    worker_lines = (tmp_path / "gunicorn.log").read_text().count("Booting worker")
    assert worker_lines == 2
