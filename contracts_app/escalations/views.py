"""Pages: an agreement's escalations with their KPIs, raising one, an escalation's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from contracts_app.agreements.access import agreement_for
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.escalations import services
from contracts_app.escalations.forms import EscalationEventForm, EscalationForm
from contracts_app.escalations.presenters import escalation_view
from contracts_app.escalations.stats import escalation_stats
from contracts_app.forms_common import add_problems, show_errors
from contracts_app.pagination import Page, page_args, sort_arg
from workflows.binding import highlight_state
from workflows.escalation import EscalationState, diagram_svg

pages = Blueprint("escalations", __name__)


def _may_raise(membership: Any) -> bool:
    return membership is not None and membership.role in services.PARTICIPANTS


# The list's "State" choices: any, not resolved yet, or one state.
STATE_FILTERS = {
    "": "any",
    "unresolved": "not resolved",
    **{state.value: state.value.replace("_", " ") for state in EscalationState},
}


@pages.get("/agreements/<code>/escalations")
@login_required
def index(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    number, per_page = page_args()
    args = request.args
    level = args.get("level", type=int)
    ball_with = args.get("ball_with") if args.get("ball_with") in ("customer", "provider") else None
    overdue = {"1": True, "0": False}.get(args.get("overdue", ""))
    state = args.get("state", "")
    if state not in STATE_FILTERS:
        state = ""
    sort = sort_arg(services.ESCALATION_SORTING)
    rows, total = services.list_escalations(
        agreement,
        level=level if level and 0 < level <= 100 else None,
        ball_with=ball_with,
        overdue=overdue,
        state=state if state not in ("", "unresolved") else None,
        resolved=False if state == "unresolved" else None,
        sort=sort,
        page=number,
        per_page=per_page,
    )
    today = dt.date.today()
    return render_template(
        "escalations/index.html",
        agreement=agreement,
        page=Page(
            [escalation_view(e, membership, detail=False) for e in rows], number, per_page, total
        ),
        filters={
            "level": level or "",
            "ball_with": ball_with or "",
            "overdue": args.get("overdue", ""),
            "state": state,
            "sort": sort,
        },
        sort=sort,
        sorts=services.ESCALATION_SORTING.choices,
        state_filters=STATE_FILTERS,
        stats=escalation_stats(agreement, today - dt.timedelta(days=365), today),
        can_raise=_may_raise(membership),
    )


@pages.route("/agreements/<code>/escalations/new", methods=["GET", "POST"])
@login_required
def new(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    if not _may_raise(membership):
        raise Forbidden("Escalations are raised by a member of a side who is not a viewer.")
    form = EscalationForm()
    if request.method == "GET" and request.args.get("task"):
        form.task.data = request.args.get("task")

    def given(task_id: int | None) -> services.EscalationInput:
        return services.EscalationInput(
            subject=form.subject.data or "",
            description=form.description.data or "",
            task_id=task_id,
            service_level=(form.service_level.data or "").strip() or None,
            clause=(form.clause.data or "").strip() or None,
            period=(form.period.data or "").strip() or None,
        )

    submitted = form.is_submitted()
    if submitted and not form.validate():  # the service's checks too: every error at once
        problems: dict[str, list[str]] = {}
        task_id = None
        try:
            task_id = services.task_id_by_ref(agreement, (form.task.data or "").strip())
        except ValidationFailed as exc:
            problems.update(exc.errors)
        add_problems(form, {**services.escalation_problems(agreement, given(task_id)), **problems})
    elif submitted:
        try:
            task_id = services.task_id_by_ref(agreement, (form.task.data or "").strip())
            escalation = services.raise_escalation(
                agreement, membership, given(task_id), current_user
            )
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            flash(
                f"{escalation.label} raised; "
                f"the ball is with the {escalation.ball_with.value} side.",
                "info",
            )
            return redirect(url_for("escalations.show", escalation_id=escalation.id))
    return render_template("escalations/new.html", agreement=agreement, form=form)


@pages.get("/escalations/<id:escalation_id>")
@login_required
def show(escalation_id: int) -> Any:
    escalation, membership = services.escalation_for(current_user, escalation_id)
    return render_template(
        "escalations/show.html",
        escalation=escalation,
        agreement=escalation.agreement,
        view=escalation_view(escalation, membership),
        specs=services.event_specs_for(escalation, membership),
        membership=membership,
        form=EscalationEventForm(),
        diagram=Markup(highlight_state(diagram_svg(), escalation.state.value)),
    )


@pages.post("/escalations/<id:escalation_id>/events")
@login_required
def fire(escalation_id: int) -> Any:
    form = EscalationEventForm()
    if not form.validate_on_submit():
        flash("The form expired or was incomplete; nothing was done. Please try again.", "error")
        return redirect(url_for("escalations.show", escalation_id=escalation_id))
    try:
        escalation = services.fire_event(
            escalation_id,
            form.event.data or "",
            current_user,
            message=form.message.data or "",
            decision=form.decision.data or None,
            seen_level=int(form.level.data) if (form.level.data or "").isdigit() else None,
        )
    except (ValidationFailed, Conflict) as exc:
        flash(
            exc.message
            if isinstance(exc, Conflict)
            else "; ".join(m for messages in exc.errors.values() for m in messages),
            "error",
        )
    else:
        flash(
            f"{escalation.label}: level {escalation.level}, "
            + (
                "resolved."
                if escalation.state.value == "resolved"
                else f"the ball is with the {escalation.ball_with.value} side."
            ),
            "info",
        )
    return redirect(url_for("escalations.show", escalation_id=escalation_id))
