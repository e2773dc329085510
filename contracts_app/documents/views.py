"""Pages: the live summary, issuing, a document with its sign-offs, verification."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contracts_app.accounts.attempts import with_password_limit
from contracts_app.agreements.access import MANAGERS, agreement_for, can
from contracts_app.dates import parse_day
from contracts_app.documents import renders, services
from contracts_app.documents.api import pdf_response
from contracts_app.documents.forms import IssueForm, RenderForm, SignOffForm, VerifyForm
from contracts_app.documents.models import DocumentState, Render, RenderState
from contracts_app.errors import Conflict, TooManyAttempts, ValidationFailed
from contracts_app.forms_common import ConfirmForm
from contracts_app.jobs.tasks import finalize_document, render_document
from contracts_app.pagination import sort_arg

pages = Blueprint("documents", __name__)


@pages.get("/agreements/<code>/summary.pdf")
@login_required
def live_summary(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    as_of = parse_day(request.args.get("as_of"), "as_of") or dt.date.today()
    data = services.live_summary_pdf(agreement, membership, current_user, as_of)
    return pdf_response(data, services.summary_filename(agreement.code, as_of, draft=True))


@pages.route("/agreements/<code>/documents", methods=["GET", "POST"])
@login_required
def index(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    form = IssueForm()
    if request.method == "GET":
        form.as_of.data = dt.date.today()
    if form.validate_on_submit():
        document = services.issue_document(agreement, membership, form.as_of.data, current_user)
        flash("Summary issued; it now awaits the sign-off of both sides.", "info")
        return redirect(url_for("documents.show", document_id=document.id))
    sort = sort_arg(services.DOCUMENT_SORTING)
    return render_template(
        "documents/index.html",
        agreement=agreement,
        documents=services.list_documents(agreement, sort),
        sort=sort,
        form=form,
        can_issue=can(current_user, membership, MANAGERS),
    )


@pages.get("/documents/<id:document_id>")
@login_required
def show(document_id: int) -> Any:
    document, membership = services.document_for(current_user, document_id)
    return _render_show(document, membership, SignOffForm())


def _render_show(document: Any, membership: Any, form: SignOffForm) -> str:
    return render_template(
        "documents/show.html",
        document=document,
        agreement=document.agreement,
        can_sign=services.may_sign_off(document, membership),
        can_retry_signing=services.may_retry_signing(document, membership),
        signing=document.state == DocumentState.SIGNING,
        form=form,
    )


@pages.post("/documents/<id:document_id>/sign-off")
@login_required
def sign_off(document_id: int) -> Any:
    form = SignOffForm()
    if not form.validate_on_submit():
        flash("Enter your password to sign off.", "error")
        return redirect(url_for("documents.show", document_id=document_id))
    try:
        document = with_password_limit(
            current_user,
            "sign off a summary",
            lambda: services.sign_off(
                document_id, current_user, form.password.data, finalize_document
            ),
        )
    except (ValidationFailed, TooManyAttempts) as exc:
        document, membership = services.document_for(current_user, document_id)
        message = exc.message if isinstance(exc, TooManyAttempts) else None
        form.password.errors = [message] if message else exc.errors.get("password", [exc.message])
        status = 429 if isinstance(exc, TooManyAttempts) else 422
        return _render_show(document, membership, form), status
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash("Signed off. " + _signing_news(document), "info")
    return redirect(url_for("documents.show", document_id=document_id))


def _signing_news(document: Any) -> str:
    if document.state == DocumentState.AWAITING_SIGN_OFF:
        return "It now waits for the other side."
    if document.state == DocumentState.SIGNED_OFF:
        return "Every side it needed has signed off: the signed PDF is ready."
    if document.state == DocumentState.SIGNING:
        return "Every side it needed has signed off: the signed PDF is being prepared."
    return f"The signed PDF could not be prepared: {document.signing_error}"


@pages.post("/documents/<id:document_id>/retry-signing")
@login_required
def retry_signing(document_id: int) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        document = services.retry_signing(document_id, current_user, finalize_document)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        if document.state == DocumentState.SIGNING_FAILED:
            flash(f"The signed PDF could not be prepared: {document.signing_error}", "error")
        elif document.state == DocumentState.SIGNING:
            flash("The signed PDF is being prepared again.", "info")
        else:
            flash("The signed PDF is ready.", "info")
    return redirect(url_for("documents.show", document_id=document_id))


@pages.get("/documents/<id:document_id>/pdf")
@login_required
def pdf(document_id: int) -> Any:
    document, _membership = services.document_for(current_user, document_id)
    try:
        data = services.document_pdf(document)
    except Conflict as exc:  # signed off by every side, its signed PDF not ready: say so
        flash(exc.message, "info")
        return redirect(url_for("documents.show", document_id=document_id))
    return pdf_response(data, services.document_filename(document))


@pages.route("/verify", methods=["GET", "POST"])
def verify() -> Any:
    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        result = services.verify_pdf(form.file.data.read())
    return render_template("documents/verify.html", form=form, result=result)


def _after_render_request(render: Render, back: str) -> Any:
    """Ready: download it; failed: say why where it was asked for; else watch it."""
    if render.state == RenderState.DONE:
        return redirect(url_for("documents.render_download", render_id=render.id), 303)
    if render.state == RenderState.FAILED:
        flash(render.error or "The PDF could not be rendered.", "error")
        return redirect(back, 303)
    return redirect(url_for("documents.render_show", render_id=render.id), 303)


@pages.post("/agreements/<code>/renders")
@login_required
def request_summary_render(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    form = RenderForm()
    back = url_for("agreements.show", code=code)
    if not form.validate_on_submit():
        for message in form.as_of.errors:
            flash(f"As of: {message}", "error")
        return redirect(back, 303)
    render = renders.request_summary_render(agreement, membership, current_user, form.as_of.data)
    return _after_render_request(renders.start(render, render_document), back)


@pages.post("/documents/<id:document_id>/renders")
@login_required
def request_document_render(document_id: int) -> Any:
    document, _membership = services.document_for(current_user, document_id)
    if not RenderForm().validate_on_submit():
        abort(400)
    render = renders.request_document_render(document, current_user)
    back = url_for("documents.show", document_id=document_id)
    return _after_render_request(renders.start(render, render_document), back)


@pages.get("/renders/<id:render_id>")
@login_required
def render_show(render_id: int) -> Any:
    render = renders.render_for(current_user, render_id)
    return render_template(
        "documents/render.html",
        render=render,
        agreement=render.agreement,
        progress=renders.progress_text(render),
        waiting=render.state in (RenderState.QUEUED, RenderState.RENDERING),
        ready=render.state == RenderState.DONE,
    )


@pages.get("/renders/<id:render_id>/pdf")
@login_required
def render_download(render_id: int) -> Any:
    render = renders.render_for(current_user, render_id)
    return pdf_response(renders.render_pdf_bytes(render), render.filename)
