"""Regenerate the README's screenshots from the demo, in Chromium at 1366 and 390 px wide.

    .venv/bin/python -m docs.screenshots            (or: make screenshots)

A scratch SQLite database is migrated and loaded with the demo (`flask demo`), the
application is served on a free port of 127.0.0.1, and Debian's Chromium (/usr/bin/chromium)
takes each page as the demo's provider manager. The signed-off summary is rendered to
images with pdftoppm (Debian package poppler-utils). Writes docs/images/*.png.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import sqlalchemy as sa
from werkzeug.serving import make_server

IMAGES = Path(__file__).resolve().parent / "images"
CHROMIUM = "/usr/bin/chromium"
MANAGER = "paula.provider-manager@example.com"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def demo_app(folder: Path):
    """The application on a scratch database holding the demo, committed."""
    from contracts_app import create_app
    from contracts_app.db import db
    from contracts_app.demo import load_demo
    from contracts_app.schema_migrations import upgrade

    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade(url)
    os.environ["INSTANCE_PATH"] = str(folder)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "screenshots", "MAIL_BACKEND": "locmem"})
    with app.app_context():
        load_demo()
        db.session.commit()
    return app


def addresses(app) -> dict[str, str]:
    """The pages shown: the demo's effective annex with most history, its signed summary."""
    from contracts_app.annexes.models import Annex
    from contracts_app.db import db
    from contracts_app.documents.models import Document

    with app.app_context():
        annex = db.session.scalar(
            sa.select(Annex).where(Annex.title == "Peak season support").limit(1)
        )
        summary = db.session.scalar(
            sa.select(Document).where(Document.pdf.is_not(None)).order_by(Document.id).limit(1)
        )
        return {
            "annex": f"/annexes/{annex.id}",
            "agreement": "/agreements/AMS-2026-01",
            "summary_pdf": f"/documents/{summary.id}/pdf",
        }


def sign_in(page, base: str) -> None:
    from contracts_app.demo import DEMO_PASSWORD

    page.goto(f"{base}/login")
    page.fill("#email", MANAGER)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def take(base: str, pages: dict[str, str], folder: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for viewport, suffix in ((LAPTOP, ""), (PHONE, "-phone")):
            context = browser.new_context(viewport=viewport, device_scale_factor=1)
            page = context.new_page()
            sign_in(page, base)
            page.goto(base + pages["annex"])
            path = IMAGES / f"annex-effective{suffix}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)
            if suffix:
                page.goto(base + pages["agreement"])
                page.click("header .menu-toggle")
                path = IMAGES / "agreement-phone-menu.png"
                page.screenshot(path=str(path))
                written.append(path)
            else:
                pdf = page.request.get(base + pages["summary_pdf"])
                (folder / "summary.pdf").write_bytes(pdf.body())
            context.close()
        browser.close()
    return written


def summary_pages(folder: Path) -> Path | None:
    """The summary's first two pages side by side, as on paper."""
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        print("pdftoppm is missing (apt-get install poppler-utils): summary image kept")
        return None
    prefix = folder / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "2", str(folder / "summary.pdf"), prefix],
        check=True,
    )
    pages = [Image.open(p) for p in sorted(folder.glob("page-*.png"))]
    gap = 20
    width = sum(p.width for p in pages) + gap * (len(pages) + 1)
    height = max(p.height for p in pages) + 2 * gap
    sheet = Image.new("RGB", (width, height), "#d9dde3")
    x = gap
    for page in pages:
        sheet.paste(page, (x, gap))
        x += page.width + gap
    path = IMAGES / "summary-page-1.png"
    sheet.save(path)
    return path


def main() -> int:
    if shutil.which(CHROMIUM) is None:
        print("Chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        app = demo_app(folder)
        pages = addresses(app)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            written = take(f"http://127.0.0.1:{server.server_port}", pages, folder)
        finally:
            server.shutdown()
            thread.join(timeout=10)
        summary = summary_pages(folder)
    for path in [*written, *([summary] if summary else [])]:
        print(path.relative_to(IMAGES.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
