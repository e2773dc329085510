"""HTTP throughput of the busiest requests, as a ratio to a one-query Flask app (the floor).

    .venv/bin/python -m bench.api_throughput [--duration 10] [--rounds 1]

A scratch SQLite database is migrated and loaded with the demo (`flask demo`). Two gunicorn
servers run with the project's gunicorn.conf.py and 2 sync workers on free ports of
127.0.0.1: the application (wsgi:app) and the floor (bench.floor_app: one route, one
SQLAlchemy query on the same file). `wrk` (Debian package `wrk`) drives them in turn with 16
connections: the floor, then one of the requests below, then the floor again, and so on,
so each figure is compared with the floor measured right beside it:

- POST /api/v1/agreements/AMS-2026-01/scope-check (a dry run; a token of a contributor)
- GET /api/v1/agreements/AMS-2026-01/scope
- GET /api/v1/agreements/AMS-2026-01/tasks
- GET /agreements/AMS-2026-01 (the agreement page; a session cookie of the same person)

Prints requests/s, p50 and p99 of each, and the ratio of its requests/s to the floor's
(the mean of the floor runs just before and just after). Non-2xx answers are counted and
reported: a figure made of refusals is no figure. The servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CODE = "AMS-2026-01"
PERSON = "cora.customer-contributor@example.com"
DEMO_PASSWORD = "demo-password"
CONNECTIONS = 16
THREADS = 2

CHECK_BODY = {
    "title": "Checkout broken after the payment provider's update",
    "description": "Customers see error 500 on the last step of the checkout.",
    "category": "support.incident",
    "system": "shop-web",
    "date": "2026-06-15",
    "hours": "3.5",
}

# wrk's Lua hooks: the request to send, and the summary printed as one JSON line.
LUA = """
wrk.method = %(method)s
wrk.body = %(body)s
%(headers)s
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, '
    .. '"non_2xx": %%d, "socket_errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""


@dataclass
class Target:
    label: str
    port: int
    method: str
    path: str
    headers: dict[str, str]
    body: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII is a valid Lua string


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def start_gunicorn(env: dict[str, str], app: str, port: int, log: Path) -> subprocess.Popen:
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_up(port: int, path: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def session_cookie(port: int) -> str:
    """Sign in once through the login form (with its CSRF token) and keep the cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/login").read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if csrf is None:
        raise RuntimeError("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"csrf_token": csrf.group(1), "email": PERSON, "password": DEMO_PASSWORD}
    ).encode()
    opener.open(f"{base}/login", data=form).read()
    cookie = next((c for c in jar if c.name == "session"), None)
    if cookie is None:
        raise RuntimeError("signing in gave no session cookie")
    return f"session={cookie.value}"


def check_answers(target: Target) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{target.port}{target.path}",
        data=target.body.encode() or None,
        headers=target.headers,
        method=target.method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"{target.label} answered {response.status}")


def run_wrk(target: Target, seconds: int, workdir: Path) -> dict[str, float]:
    script = workdir / "request.lua"
    script.write_text(
        LUA
        % {
            "method": lua_string(target.method),
            "body": lua_string(target.body) if target.body else "nil",
            "headers": "\n".join(
                f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in target.headers.items()
            ),
        }
    )
    result = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://127.0.0.1:{target.port}{target.path}",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line[len("BENCH ") :])
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=1, help="times to measure each request")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian package `wrk`; `make system-packages-test`).")

    workdir = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    database = workdir / "bench.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench-" + "x" * 40,
        "INSTANCE_PATH": str(workdir / "instance"),
        "CONTRACTS_ENV": "development",
        "PYTHONPATH": str(ROOT),
    }
    flask(env, "db", "upgrade")
    flask(env, "demo")
    token = flask(env, "users", "token", PERSON, "--name", "bench").strip()

    app_port, floor_port = free_port(), free_port()
    servers = [
        start_gunicorn(env, "wsgi:app", app_port, workdir / "app.log"),
        start_gunicorn(env, "bench.floor_app:app", floor_port, workdir / "floor.log"),
    ]
    try:
        wait_until_up(app_port, "/login")
        wait_until_up(floor_port, f"/floor/{CODE}")
        bearer = {"Authorization": f"Bearer {token}"}
        floor = Target("floor (one query)", floor_port, "GET", f"/floor/{CODE}", {})
        targets = [
            Target(
                "POST scope-check",
                app_port,
                "POST",
                f"/api/v1/agreements/{CODE}/scope-check",
                {**bearer, "Content-Type": "application/json"},
                json.dumps(CHECK_BODY),
            ),
            Target("GET scope", app_port, "GET", f"/api/v1/agreements/{CODE}/scope", bearer),
            Target("GET tasks", app_port, "GET", f"/api/v1/agreements/{CODE}/tasks", bearer),
            Target(
                "GET agreement page",
                app_port,
                "GET",
                f"/agreements/{CODE}",
                {"Cookie": session_cookie(app_port)},
            ),
        ]
        for target in (floor, *targets):
            check_answers(target)

        load = os.getloadavg()
        print(
            f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            f"wrk {THREADS} threads, {CONNECTIONS} connections, {args.duration} s per run; "
            "gunicorn.conf.py with 2 sync workers"
        )
        header = f"{'request':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}  notes"
        for round_number in range(1, args.rounds + 1):
            print(f"\nround {round_number}\n{header}")
            before = run_wrk(floor, args.duration, workdir)
            print(_row(floor.label, before, None))
            for target in targets:
                figures = run_wrk(target, args.duration, workdir)
                after = run_wrk(floor, args.duration, workdir)
                floor_rps = (before["rps"] + after["rps"]) / 2
                print(_row(target.label, figures, figures["rps"] / floor_rps))
                print(_row(floor.label, after, None))
                before = after
        print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _row(label: str, figures: dict[str, float], ratio: float | None) -> str:
    notes = []
    if figures["non_2xx"]:
        notes.append(f"{figures['non_2xx']} non-2xx")
    if figures["socket_errors"]:
        notes.append(f"{figures['socket_errors']} socket errors")
    if figures["p99_ms"] >= 10 * figures["p50_ms"]:
        notes.append("p99 >= 10 x p50")
    ratio_text = f"{ratio:6.2f}" if ratio is not None else "      "
    return (
        f"{label:<22} {figures['rps']:8.0f} {figures['p50_ms']:8.1f} {figures['p99_ms']:8.1f} "
        f"{ratio_text}  {', '.join(notes)}"
    )


if __name__ == "__main__":
    main()
