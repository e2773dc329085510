"""Renders cannot starve the server: too large is refused first, concurrency is bounded."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import signal
import threading
import time

import pytest
import sqlalchemy as sa

from contracts_app.db import db
from contracts_app.documents.models import Document
from contracts_app.documents.render import (
    RENDER_SLOTS,
    RenderBusy,
    RenderFailed,
    RenderTimeout,
    _child,
    _render_context,
    _render_to,
    render_pdf,
)
from tests.factories import clause, make_agreement, manager_of, member_user, token_for

SMALL_HTML = "<html><body><p>Hello</p></body></html>"


@pytest.fixture
def huge_agreement():
    """Two thousand clauses (the most a scope may hold) of ordinary length."""
    scope = [
        clause(
            f"{n}",
            ["support"],
            title=f"Clause {n}: application support for the shop and its back office",
            description="Incidents and requests about the shop, answered on working days. " * 3,
        )
        for n in range(1, 2001)
    ]
    return make_agreement(start=dt.date(2026, 1, 1), end=None, scope=scope)


def test_a_summary_too_large_to_render_in_time_is_refused_before_rendering(client, huge_agreement):
    started = time.perf_counter()
    response = client.get(
        f"/api/v1/agreements/{huge_agreement.code}/summary.pdf?as_of=2026-03-01",
        headers=token_for(member_user(huge_agreement)),
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert "too large to render within the 60 s limit" in response.json["detail"]
    assert elapsed < 20  # rendering it takes about 45 s on the reference machine


def test_a_summary_too_large_to_render_is_not_issued(client, huge_agreement):
    response = client.post(
        f"/api/v1/agreements/{huge_agreement.code}/documents",
        json={"as_of": "2026-03-01"},
        headers=token_for(manager_of(huge_agreement)),
    )
    assert response.status_code == 422
    assert "too large to render" in response.json["detail"]
    count = db.session.scalar(
        sa.select(sa.func.count(Document.id)).where(Document.agreement_id == huge_agreement.id)
    )
    assert count == 0


def test_renders_beyond_the_process_slots_wait_then_are_told_to_retry():
    size = RENDER_SLOTS.size
    held = [RENDER_SLOTS.semaphore.acquire(timeout=1) for _ in range(size)]
    try:
        assert all(held)
        with pytest.raises(RenderBusy) as refused:
            render_pdf(SMALL_HTML, wait_seconds=0.2)
        assert refused.value.status == 503
    finally:
        for _ in range(size):
            RENDER_SLOTS.semaphore.release()
    assert render_pdf(SMALL_HTML).startswith(b"%PDF")


def test_a_render_past_its_limit_is_a_503_problem_not_a_server_error():
    with pytest.raises(RenderTimeout) as stopped:
        render_pdf(SMALL_HTML * 2000, seconds=0.001)
    assert stopped.value.status == 503


def test_a_render_whose_reader_is_gone_stops_instead_of_waiting_for_ever():
    # A worker killed mid-render leaves its render child behind: it holds only the
    # pipe's writing end, so its send fails instead of blocking for ever on a large PDF.
    receiver, sender = multiprocessing.get_context("spawn").Pipe(duplex=False)
    receiver.close()
    with pytest.raises(BrokenPipeError):
        _render_to(SMALL_HTML, sender)  # run here, as the child would (without its alarm)


def test_a_render_child_does_not_inherit_a_lock_another_thread_holds():
    # A worker's other threads (jobs, requests) may hold a lock at the instant a render
    # starts; a child forked from the worker itself would inherit it held and wait on it
    # for ever. Render children come from the fork server, whose locks are its own.
    from tests.documents import fork_locks

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with fork_locks.LOCK:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    context = _render_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=fork_locks.answer_under_lock, args=(sender,), daemon=True)
    try:
        child.start()
        sender.close()
        assert receiver.poll(30), "the child waited on a lock held in its parent"
        assert receiver.recv() == "took the lock"
    finally:
        release.set()
        holder.join()
        child.kill()
        child.join(5)
        receiver.close()
    # and the renders themselves still come out while such a lock is held
    assert render_pdf(SMALL_HTML).startswith(b"%PDF")


# About ten seconds of layout on the reference machine.
SLOW_HTML = (
    "<html><body>" + "<p>A clause of the scope, with its words.</p>" * 20000 + "</body></html>"
)


def test_a_render_child_ends_itself_at_its_limit_when_nobody_stops_it():
    # Its parent gone (a worker killed mid-layout), nobody kills the child at the limit:
    # its own alarm does.
    context = _render_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(SLOW_HTML, sender, 1), daemon=True)
    child.start()
    sender.close()
    try:
        child.join(30)
        assert child.exitcode == -signal.SIGALRM
        with pytest.raises(EOFError):  # it said nothing: no pages, no PDF
            receiver.recv()
    finally:
        if child.is_alive():
            child.kill()
        receiver.close()


def test_a_render_child_that_dies_is_a_503_problem_not_a_server_error():
    outcome: list[BaseException] = []

    def render() -> None:
        try:
            render_pdf(SLOW_HTML, seconds=60)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=render)
    thread.start()
    deadline = time.monotonic() + 20
    while not multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    [child] = multiprocessing.active_children()
    child.kill()  # as the kernel's out-of-memory killer would
    thread.join(30)
    [failure] = outcome
    assert isinstance(failure, RenderFailed) and failure.status == 503
