"""Hostile text in user fields is printed as text, and nothing is fetched."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import threading

import pytest
from pypdf import PdfReader

from contracts_app.agreements.access import membership_of
from contracts_app.documents import render, services
from tests.documents.conftest import pdf_text
from tests.factories import clause, make_agreement, make_annex, manager_of


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def test_markup_in_user_fields_is_printed_and_nothing_is_fetched(listener):
    hostile = (
        '<img src="file:///etc/passwd">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{listener}/x.css">'
        '<link rel="attachment" href="file:///etc/hostname">'
        "<script>alert(1)</script>"
    )
    agreement = make_agreement(
        scope=[clause("1.1", ["support"], title="Support", description=hostile)]
    )
    make_annex(
        agreement,
        dt.date(2026, 3, 1),
        [{"op": "add", "item": clause("2.1", title=hostile[:280])}],
        title="T",
    )
    manager = manager_of(agreement)
    data = services.live_summary_pdf(
        agreement, membership_of(manager, agreement.id), manager, dt.date(2026, 4, 1)
    )
    text = pdf_text(data)
    assert "file:///etc/passwd" in text and "<script>" in text, "printed as text"
    assert "root:" not in text
    assert _Recorder.requests == [], "nothing was fetched"
    reader = PdfReader(io.BytesIO(data))
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert _image_count(reader) == 0, "no image was loaded"


def _image_count(reader: PdfReader) -> int:
    count = 0
    for page in reader.pages:
        objects = page.get("/Resources", {}).get("/XObject", {})
        count += sum(1 for ref in objects.values() if ref.get_object().get("/Subtype") == "/Image")
    return count


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.com/font.woff",
        "ftp://x/y",
        f"file://{render.PDF_STATIC}/../../../wsgi.py",
        "data:text/plain,hello",
    ],
)
def test_the_fetcher_refuses_everything_but_application_assets(url):
    with pytest.raises(ValueError):
        render.AllowListFetcher().fetch(url)


def test_the_fetcher_serves_the_application_stylesheet():
    response = render.AllowListFetcher().fetch((render.PDF_STATIC / "summary.css").as_uri())
    assert b"@page" in response.read()


def test_a_render_that_takes_too_long_is_stopped():
    huge = "<table>" + "<tr><td>x</td></tr>" * 200_000 + "</table>"
    with pytest.raises(render.RenderTimeout):
        render.render_pdf(huge, seconds=0.5)
