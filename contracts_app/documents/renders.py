"""PDF renders as jobs: asked for in a request, run by the job worker, polled, downloaded.

A render of a large agreement takes tens of seconds; held in a web request it holds a
web worker (and, past the worker's timeout, kills it). Here a request only records
what is wanted and enqueues it; the worker renders it in a child process with the same
time limit and size refusal as before, and writes its progress to the row. Signed
summaries are never rendered again: their stored bytes are what is signed and verified.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from contracts_app import formatting
from contracts_app.accounts.models import User
from contracts_app.agreements.access import EVERY_ROLE, membership_of, require_role
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.documents.models import (
    Document,
    DocumentState,
    Render,
    RenderKind,
    RenderState,
)
from contracts_app.documents.render import (
    RENDER_SLOTS,
    RenderBusy,
    RenderFailed,
    RenderTimeout,
    TooLargeToRender,
    check_renderable,
    render_pdf,
)
from contracts_app.documents.services import (
    abandoned_after,
    document_html,
    draft_refusal,
    live_summary_html,
    summary_filename,
)
from contracts_app.errors import Conflict, NotFound

log = logging.getLogger(__name__)


def _new_render(agreement: Agreement, actor: User, **fields: Any) -> Render:
    keep = dt.timedelta(hours=current_app.config["PDF_RENDER_KEEP_HOURS"])
    now = utcnow()
    with unit_of_work():
        render = Render(
            agreement_id=agreement.id,
            requested_by_id=actor.id,
            requested_at=now,
            expires_at=now + keep,
            state=RenderState.QUEUED,
            **fields,
        )
        db.session.add(render)
    return render


def request_summary_render(
    agreement: Agreement, membership: Membership | None, actor: User, as_of: dt.date | None
) -> Render:
    """Record that ``actor`` wants the live summary as of ``as_of`` (any member may)."""
    require_role(actor, agreement, membership, EVERY_ROLE)
    as_of = as_of or dt.date.today()
    return _new_render(
        agreement,
        actor,
        kind=RenderKind.SUMMARY,
        as_of=as_of,
        filename=summary_filename(agreement.code, as_of, draft=True),
    )


def request_document_render(document: Document, actor: User) -> Render:
    """Record that ``actor`` wants the draft of an issued summary not yet signed off.

    A signed-off summary is its stored file: it is downloaded, never rendered again.
    """
    if document.state == DocumentState.SIGNED_OFF:
        raise Conflict("This summary is signed off: download its signed file.")
    refusal = draft_refusal(document)
    if refusal is not None:
        raise refusal
    return _new_render(
        document.agreement,
        actor,
        kind=RenderKind.DOCUMENT,
        document_id=document.id,
        as_of=document.as_of,
        filename=summary_filename(document.agreement.code, document.as_of, draft=True),
    )


def render_for(user: User, render_id: int) -> Render:
    """The render if ``user`` asked for it or may see its agreement; else "not found"."""
    render = db.session.get(Render, render_id) if render_id > 0 else None
    if render is None or not (
        render.requested_by_id == user.id
        or user.is_admin
        or membership_of(user, render.agreement_id) is not None
    ):
        raise NotFound(f"No render {render_id}.")
    return render


def render_pdf_bytes(render: Render) -> bytes:
    """The finished PDF; a render not done (or expired and deleted) has none."""
    if render.state == RenderState.FAILED:
        raise Conflict(f"This render failed: {render.error}")
    if render.state != RenderState.DONE:
        raise Conflict("This PDF is not ready yet.")
    data = db.session.scalar(sa.select(Render.pdf).where(Render.id == render.id))
    assert data is not None
    return data


def start(render: Render, enqueue: Callable[[int], Any]) -> Render:
    """Hand the render to the worker (or, with ``PDF_RENDERS_INLINE``, run it here), then
    wait up to ``PDF_RENDER_ANSWER_SECONDS`` for it: a small PDF is answered at once."""
    config = current_app.config
    if config["PDF_RENDERS_INLINE"]:
        run_render(render.id)
    else:
        enqueue(render.id)
        deadline = time.monotonic() + config["PDF_RENDER_ANSWER_SECONDS"]
        while time.monotonic() < deadline:
            if _state_now(render.id) in (RenderState.DONE, RenderState.FAILED):
                break
            time.sleep(0.1)
    db.session.expire(render)
    db.session.refresh(render)
    return render


def _state_now(render_id: int) -> RenderState | None:
    state = db.session.scalar(sa.select(Render.state).where(Render.id == render_id))
    db.session.commit()  # end the read: the worker writes the row meanwhile
    return state


def _update(render_id: int, **values: Any) -> None:
    with unit_of_work():
        db.session.execute(sa.update(Render).where(Render.id == render_id).values(**values))


def _html_of(render: Render) -> str:
    if render.kind == RenderKind.DOCUMENT:
        assert render.document is not None
        return document_html(render.document, draft=True)
    return live_summary_html(render.agreement, render.as_of)


def run_render(render_id: int) -> RenderState:
    """Render one queued render (the worker's job); run again, it does nothing.

    The data is gathered and the transaction ended before rendering; the page count is
    written once the layout is done, the PDF when it is written. A document too large for
    the time limit fails with the reason, before rendering.
    """
    with unit_of_work():
        claimed = db.session.execute(
            sa.update(Render)
            .where(Render.id == render_id, Render.state == RenderState.QUEUED)
            .values(state=RenderState.RENDERING, started_at=utcnow())
        ).rowcount
    if not claimed:
        return RenderState.RENDERING  # taken by another worker, or finished already
    render = db.session.get(Render, render_id)
    assert render is not None
    config = current_app.config
    try:
        html = _html_of(render)
        db.session.commit()
        check_renderable(html, config["PDF_MAX_HTML_KB"] * 1024, config["PDF_RENDER_SECONDS"])
        RENDER_SLOTS.configure(config["PDF_RENDER_CONCURRENCY"], config["PDF_RENDER_WAIT_SECONDS"])
        pdf = render_pdf(
            html,
            config["PDF_RENDER_SECONDS"],
            on_pages=lambda pages: _update(render_id, pages_total=pages),
        )
    except (TooLargeToRender, RenderTimeout, RenderBusy, RenderFailed) as exc:
        _fail(render_id, exc.message)
        return RenderState.FAILED
    except Exception as exc:
        log.exception("render %s failed", render_id)
        _fail(render_id, f"The PDF could not be rendered ({type(exc).__name__}).")
        raise
    with unit_of_work():
        render = db.session.get(Render, render_id)
        assert render is not None
        render.pdf = pdf
        render.pdf_size = len(pdf)
        render.pages_done = render.pages_total or 0
        render.state = RenderState.DONE
        render.finished_at = utcnow()
    return RenderState.DONE


def _fail(render_id: int, message: str) -> None:
    db.session.rollback()
    _update(render_id, state=RenderState.FAILED, error=message, finished_at=utcnow())


ABANDONED = "The renderer stopped before the PDF was ready (its worker restarted); ask again."


def fail_abandoned(now: dt.datetime | None = None) -> int:
    """Mark failed the renders a stopped worker left ``rendering`` (the hourly job;
    idempotent): nothing will finish them, and the person waiting is told to ask again.
    One that is queued still waits in the queue, which outlives the worker."""
    now = now or utcnow()
    stale = now - abandoned_after(current_app.config)
    with unit_of_work():
        result = db.session.execute(
            sa.update(Render)
            .where(Render.state == RenderState.RENDERING, Render.started_at < stale)
            .values(state=RenderState.FAILED, error=ABANDONED, finished_at=now)
        )
    return result.rowcount or 0


def delete_expired(now: dt.datetime | None = None) -> int:
    """Delete renders past their expiry, with their PDFs (the hourly job; idempotent)."""
    with unit_of_work():
        result = db.session.execute(sa.delete(Render).where(Render.expires_at < (now or utcnow())))
    return result.rowcount or 0


def progress_text(render: Render) -> str:
    """What a person reads while waiting: the stage, and the pages once they are known."""
    if render.state == RenderState.QUEUED:
        return "Waiting for a free renderer…"
    if render.state == RenderState.RENDERING:
        if render.pages_total is None:
            return "Preparing… laying out the pages."
        return f"Preparing… writing {render.pages_total} pages."
    if render.state == RenderState.DONE:
        pages = render.pages_done
        return f"Ready: {formatting.counted(pages, 'page', 'pages')}."
    return f"Could not be rendered: {render.error}"
