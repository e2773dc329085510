"""PDF rendering with WeasyPrint: one font configuration and stylesheet per process,
a fetcher that reaches only the application's own files, and a time limit.

User text (clause titles, comments) is escaped by the template, so markup in it is
printed as text; the fetcher is the second wall: whatever the HTML asks for, only
files under ``ALLOWED_DIRS`` are read, no network, no redirects, no other file.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import pathlib
import signal
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from contracts_app.errors import DomainError

PDF_STATIC = pathlib.Path(__file__).resolve().parent.parent / "static" / "pdf"
ALLOWED_DIRS = (PDF_STATIC,)
RENDER_SECONDS = 60
# Measured: about 18 KB of summary HTML render per second on a loaded 2-core machine
# (1,000 clauses, 436 KB, 23.6 s); 600 KB stays well inside the 60 s limit.
MAX_HTML_BYTES = 600 * 1024


class RenderTimeout(DomainError):
    """The render took longer than its limit and was stopped."""

    status = 503
    title = "Render stopped"


class RenderBusy(DomainError):
    """Every render slot of this process stayed taken while the request waited."""

    status = 503
    title = "Renderer busy"


class RenderFailed(DomainError):
    """The render's process ended without a PDF or an error (killed, out of memory)."""

    status = 503
    title = "Render failed"


class TooLargeToRender(DomainError):
    """The document would not render within the time limit: refused before rendering."""

    status = 422
    title = "Too large to render"


class _RenderSlots:
    """A process-wide bound on concurrent renders (each one is a child process)."""

    def __init__(self, size: int, wait_seconds: float) -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        self.semaphore = threading.BoundedSemaphore(size)

    def configure(self, size: int, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        if size != self.size:
            self.size, self.semaphore = size, threading.BoundedSemaphore(size)


RENDER_SLOTS = _RenderSlots(2, wait_seconds=10)


def check_renderable(html: str, max_bytes: int = MAX_HTML_BYTES, seconds: float = 60) -> None:
    """Refuse, before any rendering, a document too large to render within the limit."""
    size = len(html.encode())
    if size > max_bytes:
        raise TooLargeToRender(
            f"This document is too large to render within the {seconds:g} s limit "
            f"({size // 1024:,} KB of content; at most {max_bytes // 1024:,} KB). "
            "Choose an earlier date, or split the scope across agreements."
        )


class AllowListFetcher(URLFetcher):
    """Serves the application's own PDF assets; refuses every other URL."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=2)

    def fetch(self, url: str, headers: Any = None) -> Any:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"refused (not an application asset): {url}")
        path = pathlib.Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(folder) for folder in ALLOWED_DIRS) or not path.is_file():
            raise ValueError(f"refused (not an application asset): {url}")
        return super().fetch(path.as_uri(), headers)


@functools.cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@functools.cache
def _stylesheet() -> CSS:
    return CSS(
        filename=str(PDF_STATIC / "summary.css"),
        font_config=_font_config(),
        url_fetcher=AllowListFetcher(),
    )


def html_to_pdf(html: str) -> bytes:
    """Render in this process (the caller bounds the time)."""
    document = HTML(string=html, base_url=PDF_STATIC.as_uri() + "/", url_fetcher=AllowListFetcher())
    return document.write_pdf(
        stylesheets=[_stylesheet()], font_config=_font_config(), custom_metadata=True
    )


@functools.cache
def _render_context() -> multiprocessing.context.BaseContext:
    """Children forked from a single-threaded fork server, never from this process.

    A web or job worker runs other threads; a child forked from it inherits, held, any
    lock one of them held at that instant (a module's import lock, a C library's mutex)
    and can wait on it for ever. The fork server is a fresh interpreter that loads the
    fonts and the stylesheet once (``render_server``), so each child starts warm.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "contracts_app.documents.render_server"])
    return context


def _child(html: str, sender: Any, seconds: float = RENDER_SECONDS) -> None:
    """The render process: its own alarm ends it at the limit even when no parent is
    left to kill it mid-layout (a worker killed)."""
    signal.alarm(max(1, math.ceil(seconds)) + 1)
    _render_to(html, sender)


def _render_to(html: str, sender: Any) -> None:
    # Started from the fork server, the child holds only the pipe's writing end: a
    # parent that dies (a worker killed) makes the next send fail and the child exit,
    # rather than block for ever.
    try:
        # Lay out every page first (the long part), say how many, then write them.
        document = HTML(
            string=html, base_url=PDF_STATIC.as_uri() + "/", url_fetcher=AllowListFetcher()
        ).render(stylesheets=[_stylesheet()], font_config=_font_config(), custom_metadata=True)
        sender.send(("pages", len(document.pages)))
        sender.send(("ok", document.write_pdf(custom_metadata=True)))
    except Exception as exc:  # report any failure to the parent, which raises it
        sender.send(("error", repr(exc)))
    finally:
        sender.close()


def render_pdf(
    html: str,
    seconds: float = RENDER_SECONDS,
    *,
    wait_seconds: float | None = None,
    on_pages: Callable[[int], None] | None = None,
) -> bytes:
    """Render ``html`` to PDF in a child process that is killed after ``seconds``.

    At most ``RENDER_SLOTS.size`` renders run at once in this process; a request waits
    up to ``wait_seconds`` (``RENDER_SLOTS.wait_seconds``) for a slot, then is told to
    retry. Callers refuse documents too large for the limit first (``check_renderable``).
    A hostile or huge input can hold the child, never the worker serving requests.
    ``on_pages`` is told the
    number of pages once they are laid out, before they are written.
    """
    semaphore = RENDER_SLOTS.semaphore
    wait = RENDER_SLOTS.wait_seconds if wait_seconds is None else wait_seconds
    if not semaphore.acquire(timeout=wait):
        raise RenderBusy(
            f"{RENDER_SLOTS.size} documents are rendering already; try again in a minute."
        )
    try:
        return _render_in_child(html, seconds, on_pages)
    finally:
        semaphore.release()


def _render_in_child(
    html: str, seconds: float, on_pages: Callable[[int], None] | None = None
) -> bytes:
    context = _render_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(html, sender, seconds), daemon=True)
    child.start()
    sender.close()
    deadline = time.monotonic() + seconds
    try:
        while True:
            if not receiver.poll(max(0.0, deadline - time.monotonic())):
                raise RenderTimeout(
                    f"The PDF took longer than {seconds:g} s to render and was stopped."
                )
            try:
                status, payload = receiver.recv()
            except EOFError:  # the child died without a word (killed, out of memory)
                raise RenderFailed(
                    "The PDF renderer stopped before it finished; try again in a minute."
                ) from None
            if status != "pages":
                break
            if on_pages is not None:
                on_pages(payload)
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receiver.close()
    if status != "ok":
        raise RuntimeError(f"PDF rendering failed: {payload}")
    return payload
