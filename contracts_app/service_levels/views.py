"""Pages: the service levels of an agreement, month by month."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contracts_app.agreements.access import MANAGERS, agreement_for, can, object_for
from contracts_app.db import utcnow
from contracts_app.documents.service_reports import issue_service_report, issued_reports
from contracts_app.errors import ValidationFailed
from contracts_app.forms_common import show_errors
from contracts_app.service_levels import services
from contracts_app.service_levels.forms import field_errors, ticket_times_of, times_form_of
from contracts_app.tasks.models import Task

pages = Blueprint("service_levels", __name__)


@pages.get("/agreements/<code>/service-levels")
@login_required
def index(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    return _page(agreement, membership, request.args.get("period") or "")


def _page(
    agreement: Any,
    membership: Any,
    typed: str,
    issue_period: str = "",
    issue_error: str | None = None,
) -> str:
    """The month's figures; a month that cannot be read is said beside its field, as typed,
    and the current month shown instead."""
    now = utcnow()
    error = None
    try:
        period = services.Period.parse(typed or f"{now:%Y-%m}")
    except ValidationFailed as exc:
        error = exc.errors["period"][0]
        period = services.Period.of(now.date())
    figures = services.overview(agreement, membership, current_user, period, now)
    return render_template(
        "service_levels/index.html",
        agreement=agreement,
        period=period,
        figures=figures,
        error=error,
        typed_period=typed,
        current=str(services.Period.of(now.date())) == str(period),
        reports=issued_reports(agreement),
        can_issue=can(current_user, membership, MANAGERS),
        last_closed=str(services.Period.of(now.date()).previous()),
        issue_period=issue_period,
        issue_error=issue_error,
    )


@pages.post("/agreements/<code>/service-levels/reports")
@login_required
def issue(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    typed = request.form.get("period", "")
    try:
        period = services.Period.parse(typed)
        document = issue_service_report(agreement, membership, period, current_user)
    except ValidationFailed as exc:
        # Beside the month, as typed, so that it can be corrected where it was written.
        message = " ".join(exc.errors.get("period", [exc.message]))
        return _page(agreement, membership, "", typed, f"Not issued: {message}"), 422
    flash(f"Service report {period} issued for sign-off.", "info")
    return redirect(url_for("documents.show", document_id=document.id))


@pages.route("/tasks/<id:task_id>/times", methods=["GET", "POST"])
@login_required
def times(task_id: int) -> Any:
    task, membership = object_for(current_user, Task, task_id, "task")
    form = times_form_of(task)
    if form.validate_on_submit():
        try:
            services.update_ticket_times(task, membership, ticket_times_of(form), current_user)
        except ValidationFailed as exc:
            show_errors(form, ValidationFailed(field_errors(exc.errors), exc.message))
        else:
            flash(f"Times of {task.ref} saved; its service levels are measured again.", "info")
            return redirect(url_for("tasks.show", task_id=task.id))
    return render_template(
        "service_levels/times.html",
        task=task,
        agreement=task.agreement,
        form=form,
        clocks=services.ticket_status(task),
    )
