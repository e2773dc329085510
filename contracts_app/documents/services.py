"""Agreement summaries: the live draft PDF, issuing, sign-off by each side, signing, verifying.

No database transaction is open while a PDF renders: the data is gathered (or read
from the issued document) and the transaction ended first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from pyhanko.pdf_utils.reader import PdfFileReader

from contracts_app.accounts.models import User
from contracts_app.accounts.services import confirm_password
from contracts_app.agreements.access import (
    EVERY_ROLE,
    MANAGERS,
    object_for,
    require_role,
)
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.documents.models import Document, DocumentState, SignOff
from contracts_app.documents.render import (
    RENDER_SLOTS,
    RenderBusy,
    RenderFailed,
    RenderTimeout,
    TooLargeToRender,
    check_renderable,
    render_pdf,
)
from contracts_app.documents.signing import (
    has_signature,
    material_from_config,
    sign_pdf,
    signature_problem,
)
from contracts_app.documents.summary import gather_summary
from contracts_app.enums import Role
from contracts_app.errors import Conflict, Forbidden
from contracts_app.formatting import formatting_in
from contracts_app.notifications.triggers import summary_changed, summary_signing_failed
from contracts_app.sorting import Sorting

log = logging.getLogger(__name__)

SIGNERS = frozenset({Role.APPROVER})
# Where the signed PDF stands once every side has signed off.
SIGNING_STATES = (DocumentState.SIGNING, DocumentState.SIGNING_FAILED)


def canonical_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def summary_html(
    content: dict[str, Any],
    *,
    document_id: str,
    issued_at: dt.datetime,
    draft: bool,
    sign_offs: list[dict[str, Any]] | None = None,
    required_sides: list[str] | None = None,
    kind: str = "summary",
) -> str:
    template = current_app.jinja_env.get_template(f"pdf/{kind}.html")
    # In the agreement's locale as frozen in the content, never the issuer's or reader's.
    with formatting_in(content.get("agreement", {}).get("locale")):
        return template.render(
            c=content,
            document_id=document_id,
            issued_at=_when(issued_at),
            issued_at_iso=issued_at.isoformat(),
            draft=draft,
            sign_offs=sign_offs or [],
            required_sides=required_sides or [],
        )


def _render(html: str) -> bytes:
    """Refuse what cannot render in time, then render in one of the process's slots."""
    config = current_app.config
    check_renderable(html, config["PDF_MAX_HTML_KB"] * 1024, config["PDF_RENDER_SECONDS"])
    RENDER_SLOTS.configure(config["PDF_RENDER_CONCURRENCY"], config["PDF_RENDER_WAIT_SECONDS"])
    return render_pdf(html, config["PDF_RENDER_SECONDS"])


def summary_filename(code: str, as_of: dt.date, *, draft: bool) -> str:
    """``AMS-2026-01-summary-2026-11-25.pdf``; a draft says so in its name."""
    return f"{code}-summary-{as_of.isoformat()}{'-draft' if draft else ''}.pdf"


def document_filename(document: Document) -> str:
    """The download name of an issued document, after its agreement and its day or month."""
    code = document.content["agreement"]["code"]
    draft = document.pdf is None
    if document.kind == "service_report":
        return f"{code}-service-report-{document.period}{'-draft' if draft else ''}.pdf"
    return summary_filename(code, document.as_of, draft=draft)


def _end_transaction() -> None:
    """Release the database (and SQLite's write lock) before a long render."""
    db.session.commit()


def live_summary_html(agreement: Agreement, as_of: dt.date) -> str:
    """The live summary's HTML as of ``as_of``, marked "Draft, not signed off"."""
    content = gather_summary(agreement, as_of)
    return summary_html(
        content, document_id=f"live-{agreement.code}", issued_at=utcnow(), draft=True
    )


def live_summary_pdf(
    agreement: Agreement, membership: Membership | None, actor: User, as_of: dt.date | None = None
) -> bytes:
    """The live summary, marked "Draft, not signed off"; any member may download it."""
    require_role(actor, agreement, membership, EVERY_ROLE)
    html = live_summary_html(agreement, as_of or dt.date.today())
    _end_transaction()
    return _render(html)


def issue_document(
    agreement: Agreement, membership: Membership | None, as_of: dt.date, actor: User
) -> Document:
    """Freeze the summary's data now into a document awaiting sign-off (managers)."""
    require_role(actor, agreement, membership, MANAGERS)
    with unit_of_work():
        content = gather_summary(agreement, as_of)
        document = Document(
            uid=str(uuid.uuid4()),
            agreement_id=agreement.id,
            as_of=as_of,
            content=content,
            content_hash=canonical_hash(content),
            # The sides whose sign-off it needs, by the agreement's rule when issued.
            required_sides=list(agreement.signoff_sides),
            issued_by_id=actor.id,
            issued_at=utcnow(),
        )
        # a document that could never be rendered is not issued
        check_renderable(
            document_html(document, draft=True),
            current_app.config["PDF_MAX_HTML_KB"] * 1024,
            current_app.config["PDF_RENDER_SECONDS"],
        )
        db.session.add(document)
        db.session.flush()
        record(
            "document.issued",
            document,
            actor,
            agreement_id=agreement.id,
            changes={
                "state": {"before": None, "after": document.state.value},
                "as_of": {"before": None, "after": as_of.isoformat()},
            },
        )
        summary_changed(document, actor)
    return document


def document_for(user: User, document_id: int) -> tuple[Document, Membership | None]:
    """The document if ``user`` may see its agreement; outsiders get NotFound."""
    return object_for(user, Document, document_id, "document")


DOCUMENT_SORTING = Sorting(
    columns={
        "as_of": Document.as_of,
        "issued": Document.issued_at,
        "state": Document.state,
    },
    default="-issued",
    tiebreaker=Document.id,
)


def list_documents(agreement: Agreement, sort: str | None = None) -> list[Document]:
    """The agreement's documents, latest issued first unless ``sort`` says otherwise."""
    order = DOCUMENT_SORTING.order_by(sort)
    return list(
        db.session.scalars(
            sa.select(Document).where(Document.agreement_id == agreement.id).order_by(*order)
        ).all()
    )


def _sign_off_rows(document: Document) -> list[dict[str, Any]]:
    parties = {
        "customer": document.content["agreement"]["customer"],
        "provider": document.content["agreement"]["provider"],
    }
    return [
        {
            "name": s.name,
            "email": s.email,
            "side": s.side.value,
            "party": parties[s.side.value],
            "role": s.role.value,
            "at": _when(s.signed_at),
        }
        for s in document.sign_offs
    ]


def sign_off_refusal(document: Document, membership: Membership | None) -> Exception | None:
    """Why this member may not sign off the document now (None: they may)."""
    if document.state == DocumentState.SIGNED_OFF:
        return Conflict("This summary is already signed off; issue a new one for changes.")
    if document.state in SIGNING_STATES:
        return Conflict("Every side has signed off this summary; its signed PDF is prepared.")
    if membership is None or membership.role not in SIGNERS:
        return Forbidden("Sign-off is given by an approver of each side.")
    if membership.side.value not in document.required_sides:
        return Forbidden(
            f"This summary needs the sign-off of {' and '.join(document.required_sides)} only."
        )
    if membership.side.value in {s.side.value for s in document.sign_offs}:
        return Conflict(f"The {membership.side.value} side has already signed off.")
    return None


def may_sign_off(document: Document, membership: Membership | None) -> bool:
    return sign_off_refusal(document, membership) is None


def signing_retry_refusal(document: Document, membership: Membership | None) -> Exception | None:
    """Why this member may not ask again for the signed PDF now (None: they may).

    Only a summary whose signed PDF could not be prepared is tried again, by an approver
    of a side that signed it off; one still being prepared is left to its attempt (or,
    if that attempt was abandoned, to the periodic job).
    """
    if document.state != DocumentState.SIGNING_FAILED:
        return Conflict("Only a summary whose signed PDF could not be prepared is tried again.")
    if membership is None or membership.role not in SIGNERS:
        return Forbidden("The signed PDF is asked for again by an approver of a side.")
    if membership.side.value not in document.required_sides:
        return Forbidden(
            f"This summary needs the sign-off of {' and '.join(document.required_sides)} only."
        )
    return None


def may_retry_signing(document: Document, membership: Membership | None) -> bool:
    return signing_retry_refusal(document, membership) is None


def sign_off(
    document_id: int,
    actor: User,
    password: str | None,
    enqueue: Callable[[int], Any] | None = None,
) -> Document:
    """Record the actor's side's sign-off (an approver, with the password again).

    When every required side has signed off, the summary is ``signing`` (committed with
    the last sign-off) and its final PDF is rendered with the sign-off page, signed
    digitally and stored with its SHA-256 by :func:`finalize`: handed to ``enqueue``
    (the job queue) and waited for up to ``PDF_RENDER_ANSWER_SECONDS``, or run here when
    no queue is given or ``PDF_RENDERS_INLINE`` says no worker serves. The document
    returned says which: ``signed_off``, still ``signing``, or ``signing_failed``.
    """
    with unit_of_work():
        document, membership = document_for(actor, document_id)
        lock_agreement(document.agreement_id)
        db.session.refresh(document)
        refusal = sign_off_refusal(document, membership)
        if refusal is not None:
            raise refusal
        confirm_password(actor, password)
        assert membership is not None
        document.sign_offs.append(
            SignOff(
                side=membership.side,
                role=membership.role,
                user_id=actor.id,
                name=actor.name,
                email=actor.email,
                signed_at=utcnow(),
            )
        )
        db.session.flush()
        complete = set(document.required_sides) <= {s.side.value for s in document.sign_offs}
        changes: dict[str, Any] = {"side": {"before": None, "after": membership.side.value}}
        if complete:
            document.state = DocumentState.SIGNING
            changes["state"] = {
                "before": DocumentState.AWAITING_SIGN_OFF.value,
                "after": DocumentState.SIGNING.value,
            }
        record(
            "document.signed_off",
            document,
            actor,
            agreement_id=document.agreement_id,
            changes=changes,
        )
        summary_changed(document, actor)
    if complete:
        _sign_now_or_queue(document, enqueue)
    return document


def retry_signing(
    document_id: int, actor: User, enqueue: Callable[[int], Any] | None = None
) -> Document:
    """Prepare the signed PDF again after it failed (an approver of a side; see
    :func:`signing_retry_refusal`), queued and waited for as at the last sign-off."""
    with unit_of_work():
        document, membership = document_for(actor, document_id)
        lock_agreement(document.agreement_id)
        db.session.refresh(document)
        refusal = signing_retry_refusal(document, membership)
        if refusal is not None:
            raise refusal
        error = document.signing_error
        document.state = DocumentState.SIGNING
        document.signing_error = None
        document.signing_claimed_at = None
        _record_move(
            "document.signing_retried",
            document,
            actor,
            DocumentState.SIGNING_FAILED,
            signing_error={"before": error, "after": None},
        )
    _sign_now_or_queue(document, enqueue)
    return document


def _record_move(
    action: str,
    document: Document,
    actor: User | None,
    before: DocumentState,
    **changes: dict[str, Any],
) -> None:
    """Audit a summary's move from ``before`` to the state it is now in, with the other
    fields that changed with it."""
    record(
        action,
        document,
        actor,
        agreement_id=document.agreement_id,
        changes={"state": {"before": before.value, "after": document.state.value}, **changes},
    )


def _sign_now_or_queue(document: Document, enqueue: Callable[[int], Any] | None) -> None:
    """Finalise here, or hand it to the worker and wait a little for it (as renders do)."""
    config = current_app.config
    if enqueue is None or config["PDF_RENDERS_INLINE"]:
        finalize(document.id)
    else:
        enqueue(document.id)
        deadline = time.monotonic() + config["PDF_RENDER_ANSWER_SECONDS"]
        while time.monotonic() < deadline:
            state = db.session.scalar(sa.select(Document.state).where(Document.id == document.id))
            db.session.commit()  # end the read: the worker writes the row meanwhile
            if state != DocumentState.SIGNING:
                break
            time.sleep(0.1)
    db.session.expire(document)
    db.session.refresh(document)
    db.session.commit()  # end the read: on SQLite it would hold the write lock


def document_html(document: Document, *, draft: bool) -> str:
    """An issued summary's HTML: its frozen data, its sign-offs so far."""
    return summary_html(
        document.content,
        document_id=document.uid,
        issued_at=document.issued_at,
        draft=draft,
        sign_offs=_sign_off_rows(document),
        required_sides=list(document.required_sides),
        kind=document.kind or "summary",
    )


def abandoned_after(config: Any) -> dt.timedelta:
    """Longer than any attempt takes: waiting for a render slot, rendering, signing. An
    attempt older than this was left by a worker that stopped."""
    return dt.timedelta(
        seconds=config["PDF_RENDER_WAIT_SECONDS"] + config["PDF_RENDER_SECONDS"] + 60
    )


def finalize(document_id: int) -> DocumentState:
    """Render, sign and store the final PDF of a summary every side signed off (the
    worker's job, or the request's without a worker); run again, it does nothing.

    The attempt claims the document first, so two never render it at once; a claim
    older than any attempt takes was abandoned and may be taken over. No transaction
    is open while the PDF renders. A summary too large, a render past its time limit
    or no free render slot leaves it ``signing_failed`` with the reason; any other
    error too, logged, and raised to the worker.
    """
    config = current_app.config
    now = utcnow()
    with unit_of_work():
        claimed = db.session.execute(
            sa.update(Document)
            .where(
                Document.id == document_id,
                Document.state == DocumentState.SIGNING,
                sa.or_(
                    Document.signing_claimed_at.is_(None),
                    Document.signing_claimed_at < now - abandoned_after(config),
                ),
            )
            .values(signing_claimed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    if not claimed:
        state = db.session.scalar(sa.select(Document.state).where(Document.id == document_id))
        db.session.commit()
        return state  # signed already, failed, or taken by another attempt
    document = db.session.get(Document, document_id)
    assert document is not None
    db.session.refresh(document)
    title = "Monthly service report" if document.kind == "service_report" else "Agreement summary"
    reason = f"{title} {document.uid}"
    try:
        html = document_html(document, draft=False)
        _end_transaction()
        material = material_from_config(config, current_app.instance_path)
        signed = sign_pdf(_render(html), material, reason=reason)
    except (TooLargeToRender, RenderTimeout, RenderBusy, RenderFailed) as exc:
        log.warning("the signed PDF of document %s could not be prepared: %s", document_id, exc)
        _signing_failed(document_id, exc.message)
        return DocumentState.SIGNING_FAILED
    except Exception as exc:
        log.exception("the signed PDF of document %s could not be prepared", document_id)
        _signing_failed(
            document_id, f"The signed PDF could not be prepared ({type(exc).__name__})."
        )
        raise
    with unit_of_work():
        document = db.session.get(Document, document_id)
        assert document is not None
        db.session.refresh(document)
        if document.state != DocumentState.SIGNING:
            return document.state  # finished meanwhile by an attempt that took over
        document.pdf = signed
        document.pdf_sha256 = hashlib.sha256(signed).hexdigest()
        document.state = DocumentState.SIGNED_OFF
        document.signed_at = utcnow()
        _record_move(
            "document.signed",
            document,
            None,
            DocumentState.SIGNING,
            pdf_sha256={"before": None, "after": document.pdf_sha256},
        )
    return DocumentState.SIGNED_OFF


def _signing_failed(document_id: int, message: str) -> None:
    db.session.rollback()
    with unit_of_work():
        document = db.session.get(Document, document_id)
        assert document is not None
        db.session.refresh(document)
        if document.state != DocumentState.SIGNING:
            return
        document.state = DocumentState.SIGNING_FAILED
        document.signing_error = message
        document.signing_claimed_at = None
        _record_move(
            "document.signing_failed",
            document,
            None,
            DocumentState.SIGNING,
            signing_error={"before": None, "after": message},
        )
        summary_signing_failed(document)


def finalize_abandoned(now: dt.datetime | None = None) -> int:
    """Sign the summaries left ``signing`` with no attempt under way (a worker stopped
    mid-render, a queue entry lost): the periodic job. One failing never stops the
    others. Failed ones wait for an approver: their reason was shown to them."""
    now = now or utcnow()
    stale = now - abandoned_after(current_app.config)
    ids = db.session.scalars(
        sa.select(Document.id)
        .where(
            Document.state == DocumentState.SIGNING,
            sa.or_(Document.signing_claimed_at.is_(None), Document.signing_claimed_at < stale),
        )
        .order_by(Document.id)
    ).all()
    db.session.commit()
    signed = 0
    for document_id in ids:
        try:
            signed += finalize(document_id) == DocumentState.SIGNED_OFF
        except Exception:  # logged and marked failed by finalize; the others still run
            continue
    return signed


def draft_refusal(document: Document) -> Conflict | None:
    """Why there is no draft of ``document`` to give: once every side has signed it off,
    the only file is the signed one (a draft would say both "not signed off" and who
    signed it off)."""
    if document.state == DocumentState.SIGNING:
        return Conflict("Every side has signed off this summary; its signed PDF is being prepared.")
    if document.state == DocumentState.SIGNING_FAILED:
        return Conflict(
            f"The signed PDF could not be prepared: {document.signing_error} "
            "An approver can prepare it again."
        )
    return None


def document_pdf(document: Document) -> bytes:
    """The signed file once signed off; before every side has, the frozen content as a
    draft; in between, neither (``draft_refusal``)."""
    if document.pdf is not None:
        return document.pdf
    refusal = draft_refusal(document)
    if refusal is not None:
        raise refusal
    html = document_html(document, draft=True)
    _end_transaction()
    return _render(html)


def _check(name: str, passed: bool | None, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": passed, "detail": detail}


def verify_pdf(data: bytes) -> dict[str, Any]:
    """Whether ``data`` is, byte for byte, a signed-off summary issued here, and validly signed.

    Says what it checked (``checks``: the file's SHA-256 against the issued records, the
    digital signature, each required side's sign-off) and, when the file is not authentic,
    which of three reasons it is (``verdict``): ``not_issued_here`` (no summary of this
    system names it), ``altered`` (it names a summary signed off here, but its bytes differ
    from the signed file), ``draft`` (a draft, or a summary not yet signed off by every side).
    """
    digest = hashlib.sha256(data).hexdigest()
    document = db.session.scalar(sa.select(Document).where(Document.pdf_sha256 == digest))
    if document is None:
        return _unknown_file(data, digest)
    material = material_from_config(current_app.config, current_app.instance_path)
    problem = signature_problem(data, material)
    required = list(document.required_sides)
    signed = {s.side.value: s for s in document.sign_offs}
    checks = [
        _check(
            "hash",
            True,
            f"The file's SHA-256 ({digest}) is that of the signed file of summary "
            f"{document.uid}, recorded here when it was signed.",
        ),
        _check(
            "signature",
            problem is None,
            problem
            or "The digital signature covers the whole file, is intact, and was "
            "made with this system's signing key.",
        ),
        *(
            _check(
                f"sign_off:{side}",
                side in signed,
                f"Signed off for the {side} by {signed[side].name} "
                f"on {_when(signed[side].signed_at)}."
                if side in signed
                else f"The {side} did not sign off.",
            )
            for side in required
        ),
    ]
    missing = [side for side in required if side not in signed]
    verdict = "authentic"
    reason = (
        f"Issued here, signed off by {' and '.join(required)} as required, unaltered, "
        "with a valid signature."
    )
    if problem is not None:
        verdict, reason = "altered", problem
    elif missing:
        verdict = "draft"
        reason = f"Not signed off by every side it needed: {', '.join(missing)} did not sign off."
    return {
        "authentic": verdict == "authentic",
        "verdict": verdict,
        "document_id": document.uid,
        "agreement": document.content["agreement"]["code"],
        "required_sides": required,
        "signed_off_by": [
            {"name": row["name"], "side": row["side"], "role": row["role"], "at": row["at"]}
            for row in _sign_off_rows(document)
        ],
        "checks": checks,
        "reason": reason,
    }


def _named_document_id(data: bytes) -> str | None:
    """The document id the PDF's metadata names (every summary carries it), if any."""
    try:
        info = PdfFileReader(io.BytesIO(data), strict=False).trailer_view.get("/Info")
        fields = info.get_object() if info is not None else {}
        # WeasyPrint writes the template's <meta name="document-id"> as /documentid
        value = fields.get("/documentid") or fields.get("/document-id")
    except Exception:  # not a PDF, or too damaged to read: it names nothing
        return None
    return str(value)[:100] if value is not None else None


def _unknown_file(data: bytes, digest: str) -> dict[str, Any]:
    """A file whose bytes no signed summary here has: why, from the id it names."""
    uid = _named_document_id(data)
    document = db.session.scalar(sa.select(Document).where(Document.uid == uid)) if uid else None
    hash_check = _check(
        "hash",
        False,
        f"No summary signed off here has a file with this SHA-256 ({digest}).",
    )
    result: dict[str, Any] = {
        "authentic": False,
        "document_id": None,
        "agreement": None,
        "required_sides": [],
        "signed_off_by": [],
        "checks": [hash_check],
    }
    if uid is not None and uid.startswith("live-"):
        return {
            **result,
            "verdict": "draft",
            "agreement": uid.removeprefix("live-"),
            "reason": "This is a live draft of a summary: it was never issued for sign-off, "
            "so nobody signed it off.",
        }
    if document is None:
        return {
            **result,
            "verdict": "not_issued_here",
            "reason": "This file was not issued by this system: no summary issued here has "
            "this content or the document id it names.",
        }
    result.update(
        document_id=document.uid,
        agreement=document.content["agreement"]["code"],
        required_sides=list(document.required_sides),
        signed_off_by=[
            {"name": row["name"], "side": row["side"], "role": row["role"], "at": row["at"]}
            for row in _sign_off_rows(document)
        ],
    )
    if document.state != DocumentState.SIGNED_OFF:
        signed = {s.side.value for s in document.sign_offs}
        missing = [side for side in document.required_sides if side not in signed]
        return {
            **result,
            "verdict": "draft",
            "reason": f"A draft of summary {document.uid}, issued here but not yet signed off "
            f"by every side: {' and '.join(missing)} still to sign off.",
        }
    material = material_from_config(current_app.config, current_app.instance_path)
    problem = signature_problem(data, material)
    result["checks"] = [
        _check(
            "hash",
            False,
            f"The file names summary {document.uid}, signed off here, but its SHA-256 "
            f"({digest}) differs from that of the signed file ({document.pdf_sha256}).",
        ),
        _check("signature", problem is None, problem or "The digital signature is intact."),
    ]
    if not has_signature(data):
        return {
            **result,
            "verdict": "draft",
            "reason": f"A draft of summary {document.uid} made before it was signed off: "
            "it carries no signature; the signed file is the one to keep.",
        }
    return {
        **result,
        "verdict": "altered",
        "reason": f"The file was altered after signing: it names summary {document.uid}, "
        "signed off here, but its content is not the signed file's.",
    }
