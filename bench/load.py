"""Load and crash tests against gunicorn on PostgreSQL, on loopback, bounded in time.

    .venv/bin/python -m bench.load --database-url postgresql://postgres@127.0.0.1/contracts_load

1. Load: gunicorn with 4 workers; 50 concurrent clients for 60 s mixing scope checks, task
   creation, annex events and page views. Reports 5xx (must be 0), p50 and p99 latency,
   and compares the tasks and annexes in the database with the successful responses.
2. Crash: a worker killed with SIGKILL in the middle of a bulk import, and in the middle of
   an annex becoming effective (with a long re-check); after a restart each is fully
   applied or not at all.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PORT = 5099


def flask(env: dict, *args: str) -> str:
    result = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def start_gunicorn(env: dict, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--timeout",
            "300",
            "--graceful-timeout",
            "5",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            request("GET", "/login", None, {})
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def request(
    method: str, path: str, body: object, headers: dict, timeout: float = 300
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        data = (
            body
            if isinstance(body, bytes)
            else (json.dumps(body).encode() if body is not None else None)
        )
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load(env: dict, token: str, seconds: int, clients: int) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    created_tasks = 0
    created_annexes = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        nonlocal created_tasks, created_annexes
        rng = random.Random(number)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            kind = rng.random()
            if kind < 0.4:
                call = (
                    "POST",
                    "/api/v1/agreements/AMS-2026-01/scope-check",
                    {
                        "title": "Checkout outage",
                        "category": "support.incident",
                        "system": "shop-web",
                        "date": "2026-06-10",
                        "hours": "2",
                    },
                )
            elif kind < 0.7:
                call = (
                    "POST",
                    "/api/v1/agreements/AMS-2026-01/tasks",
                    {
                        "ref": f"L-{number}-{n}",
                        "title": "Load task",
                        "category": "support.request",
                        "date": "2026-06-11",
                        "hours": "0.5",
                    },
                )
            elif kind < 0.8:
                call = (
                    "POST",
                    "/api/v1/agreements/DBA-2026-02/annexes",
                    {
                        "title": f"Load annex {number}-{n}",
                        "effective_date": "2026-12-01",
                        "changes": [
                            {
                                "op": "add",
                                "item": {"ref": f"L{number}.{n}", "title": "x", "kind": "included"},
                            }
                        ],
                    },
                )
            elif kind < 0.9:
                call = ("GET", "/api/v1/agreements/AMS-2026-01/scope?as_of=2026-06-01", None)
            else:
                call = ("GET", "/api/v1/agreements/AMS-2026-01/tasks?per_page=25", None)
            started = time.perf_counter()
            try:
                status, body = request(call[0], call[1], call[2], headers, timeout=60)
            except OSError:
                status = 599
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201 and "/tasks" in call[1]:
                    created_tasks += 1
                if status == 201 and "/annexes" in call[1]:
                    created_annexes += 1
                    annex = json.loads(body)
            if status == 201 and "/annexes" in call[1]:
                request(
                    "POST",
                    f"/api/v1/annexes/{annex['id']}/events",
                    {"event": "submit"},
                    headers,
                    60,
                )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "statuses": dict(sorted(statuses.items())),
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
        "created_tasks": created_tasks,
        "created_annexes": created_annexes,
    }


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def crash_during(
    env: dict,
    engine: sa.Engine,
    token: str,
    path: str,
    body: bytes,
    content_type: str,
    progress_sql: str,
    label: str,
) -> str:
    """Start a long request, SIGKILL the worker serving it mid-way, restart, report."""
    server = start_gunicorn(env, workers=1)
    worker_pids = [
        int(p)
        for p in subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
    ]
    before = count(engine, progress_sql)
    outcome: dict = {}

    def send() -> None:
        try:
            outcome["status"] = request(
                "POST",
                path,
                body,
                {"Authorization": f"Bearer {token}", "Content-Type": content_type},
            )[0]
        except OSError as exc:
            outcome["error"] = type(exc).__name__

    thread = threading.Thread(target=send)
    thread.start()
    time.sleep(2.5)  # well inside the request
    for pid in worker_pids:
        os.kill(pid, signal.SIGKILL)
    thread.join(30)
    server.terminate()
    server.wait(10)
    restarted = start_gunicorn(env, workers=1)
    after = count(engine, progress_sql)
    restarted.terminate()
    restarted.wait(10)
    return (
        f"{label}: request ended with {outcome}; rows before {before}, after restart {after} "
        f"({'nothing applied' if after == before else 'applied'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    engine = sa.create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "INSTANCE_PATH": tempfile.mkdtemp(prefix="load-"),
        "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
    }
    flask(env, "db", "upgrade")
    flask(env, "demo")
    token = flask(env, "users", "token", "admin@example.com")
    tasks_before = count(engine, "SELECT count(*) FROM tasks")
    annexes_before = count(engine, "SELECT count(*) FROM annexes")

    server = start_gunicorn(env, workers=4)
    try:
        figures = load(env, token, args.seconds, args.clients)
    finally:
        server.terminate()
        server.wait(10)
    tasks_after = count(engine, "SELECT count(*) FROM tasks") - tasks_before
    annexes_after = count(engine, "SELECT count(*) FROM annexes") - annexes_before
    print(
        f"load: gunicorn 4 workers, PostgreSQL, {args.clients} clients, {args.seconds} s "
        f"(python {sys.version.split()[0]})"
    )
    print(f"  requests {figures['requests']}, statuses {figures['statuses']}")
    print(f"  latency p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms")
    print(
        f"  tasks: 201 responses {figures['created_tasks']}, rows added {tasks_after}; "
        f"annexes: 201 responses {figures['created_annexes']}, rows added {annexes_after}"
    )

    lines = ["ref,title,category,date,hours"] + [
        f"K-{n},Crash import {n},support.request,2026-0{n % 9 + 1}-15,1" for n in range(150_000)
    ]
    csv = ("\n".join(lines) + "\n").encode()
    print(
        crash_during(
            env,
            engine,
            token,
            "/api/v1/agreements/AMS-2026-01/tasks/import",
            csv,
            "text/csv",
            "SELECT count(*) FROM tasks WHERE ref LIKE 'K-%'",
            "SIGKILL during a bulk import",
        )
    )

    # An annex becoming effective with a long re-check: import many tasks first (for real),
    # take a retroactive annex to its last signature, and kill the worker during that one.
    server = start_gunicorn(env, workers=1)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        status, _ = request(
            "POST",
            "/api/v1/agreements/AMS-2026-01/tasks/import",
            csv,
            {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        )
        assert status == 200, status
        status, body = request(
            "POST",
            "/api/v1/agreements/AMS-2026-01/annexes",
            {
                "title": "Retroactive exclusion",
                "effective_date": "2026-01-15",
                "changes": [
                    {
                        "op": "add",
                        "item": {
                            "ref": "9.9",
                            "title": "Requests excluded",
                            "kind": "excluded",
                            "categories": ["support.request"],
                        },
                    }
                ],
            },
            headers,
        )
        annex_id = json.loads(body)["id"]
        approvers = {
            who: flask(env, "users", "token", f"{who}@example.com")
            for who in ("carl.customer-approver", "peter.provider-approver")
        }
        request("POST", f"/api/v1/annexes/{annex_id}/events", {"event": "submit"}, headers)
        for approver_token in approvers.values():
            request(
                "POST",
                f"/api/v1/annexes/{annex_id}/events",
                {"event": "approve"},
                {**headers, "Authorization": f"Bearer {approver_token}"},
            )
        request(
            "POST",
            f"/api/v1/annexes/{annex_id}/events",
            {"event": "sign", "password": "demo-password"},
            {**headers, "Authorization": f"Bearer {approvers['carl.customer-approver']}"},
        )
    finally:
        server.terminate()
        server.wait(10)
    versions_sql = "SELECT count(*) FROM scope_versions"
    versions_before = count(engine, versions_sql)
    body = json.dumps({"event": "sign", "password": "demo-password"}).encode()
    print(
        crash_during(
            {**env},
            engine,
            approvers["peter.provider-approver"],
            f"/api/v1/annexes/{annex_id}/events",
            body,
            "application/json",
            f"SELECT count(*) FROM annex_signatures WHERE annex_id = {annex_id}",
            "SIGKILL while an annex becomes effective (last signature)",
        )
    )
    state = count(
        engine,
        "SELECT CASE WHEN state = 'effective' THEN 1 ELSE 0 END "
        f"FROM annexes WHERE id = {annex_id}",
    )
    print(
        f"  annex effective after restart: {bool(state)}; scope versions before {versions_before}, "
        f"after {count(engine, versions_sql)}"
    )


if __name__ == "__main__":
    main()
