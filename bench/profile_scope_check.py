"""Where the time of a scope check goes, in process: cProfile over N checks.

    .venv/bin/python -m bench.profile_scope_check [--repeat 300] [--sort cumulative]

The demo is loaded into a scratch SQLite database; a contributor's token checks the same
task N times through the test client (the whole request: routing, authentication, parsing,
the check, serialisation). Prints the time per check, the SQL statements per check and the
profile's top entries.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import sqlalchemy as sa

from bench.api_throughput import CHECK_BODY, CODE, PERSON
from bench.common import scratch_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--width", type=int, default=150, help="characters of SQL shown")
    parser.add_argument("--path", default=f"/api/v1/agreements/{CODE}/scope-check")
    args = parser.parse_args()

    app = scratch_app(None)
    with app.app_context():
        from contracts_app.accounts.services import issue_token, user_by_email
        from contracts_app.db import db
        from contracts_app.demo import load_demo

        load_demo()
        _token, plain = issue_token(user_by_email(PERSON), "profile")
        engine = db.engine
    client = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}

    def check() -> None:
        if args.path.endswith("scope-check"):
            response = client.post(args.path, json=CHECK_BODY, headers=headers)
        else:
            response = client.get(args.path, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    for _ in range(20):
        check()
    statements = []

    def count(_conn, _cursor, statement, *_rest) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    check()
    sa.event.remove(engine, "before_cursor_execute", count)
    print(f"SQL statements per request: {len(statements)}")
    for statement in statements:
        print("  ", " ".join(statement.split())[: args.width])

    start = time.perf_counter()
    for _ in range(args.repeat):
        check()
    elapsed = time.perf_counter() - start
    print(f"{args.repeat} requests, {elapsed / args.repeat * 1000:.2f} ms each (no profiler)")

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(args.repeat):
        check()
    profiler.disable()
    elapsed = time.perf_counter() - start
    each = elapsed / args.repeat * 1000
    print(f"{args.repeat} requests, {each:.2f} ms each (under the profiler)")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
