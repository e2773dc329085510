"""A live server and a real Chromium (Debian's package) driven by Playwright.

Pages look the same on either database: browser tests run once, on SQLite. With
TEST_DATABASE_URL set (the PostgreSQL run) they are skipped; what a page does to the data
is tested through its route on both databases.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from contracts_app.db import db
from tests.conftest import ARTIFACTS, truncate_all

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    once = pytest.mark.skip(reason="browser tests run once, on SQLite")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(once)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app) -> Iterator[str]:
    truncate_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        db.session.remove()
        truncate_all()


@pytest.fixture
def browser():
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Chromium is not installed: `apt-get install chromium` (make test does it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifacts():
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
