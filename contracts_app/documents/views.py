"""Pages: the live summary, issuing, a document with its sign-offs, verification."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contracts_app.agreements.access import MANAGERS, agreement_for, can
from contracts_app.documents import services
from contracts_app.documents.api import pdf_response
from contracts_app.documents.forms import IssueForm, SignOffForm, VerifyForm
from contracts_app.enums import Role
from contracts_app.errors import Conflict, ValidationFailed

pages = Blueprint("documents", __name__)


@pages.get("/agreements/<code>/summary.pdf")
@login_required
def live_summary(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    try:
        as_of = (
            dt.date.fromisoformat(request.args.get("as_of", ""))
            if request.args.get("as_of")
            else None
        )
    except ValueError:
        as_of = None
    data = services.live_summary_pdf(agreement, membership, current_user, as_of)
    return pdf_response(data, f"{code}-summary-draft.pdf")


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
    return render_template(
        "documents/index.html",
        agreement=agreement,
        documents=services.list_documents(agreement),
        form=form,
        can_issue=can(current_user, membership, MANAGERS),
    )


@pages.get("/documents/<id:document_id>")
@login_required
def show(document_id: int) -> Any:
    document, membership = services.document_for(current_user, document_id)
    signed_sides = {s.side.value for s in document.sign_offs}
    can_sign = (
        document.state.value == "awaiting_sign_off"
        and membership is not None
        and membership.role == Role.APPROVER
        and membership.side.value in document.required_sides
        and membership.side.value not in signed_sides
    )
    return render_template(
        "documents/show.html",
        document=document,
        agreement=document.agreement,
        can_sign=can_sign,
        form=SignOffForm(),
    )


@pages.post("/documents/<id:document_id>/sign-off")
@login_required
def sign_off(document_id: int) -> Any:
    form = SignOffForm()
    if form.validate_on_submit():
        try:
            document = services.sign_off(document_id, current_user, form.password.data)
        except (ValidationFailed, Conflict) as exc:
            flash(exc.message, "error")
        else:
            done = document.state.value == "signed_off"
            flash(
                "Signed off. "
                + (
                    "Both sides have signed off: the signed PDF is ready."
                    if done
                    else "It now waits for the other side."
                ),
                "info",
            )
    else:
        flash("Enter your password to sign off.", "error")
    return redirect(url_for("documents.show", document_id=document_id))


@pages.get("/documents/<id:document_id>/pdf")
@login_required
def pdf(document_id: int) -> Any:
    document, _membership = services.document_for(current_user, document_id)
    return pdf_response(services.document_pdf(document), f"summary-{document.uid}.pdf")


@pages.route("/verify", methods=["GET", "POST"])
def verify() -> Any:
    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        result = services.verify_pdf(form.file.data.read())
    return render_template("documents/verify.html", form=form, result=result)
