"""Pages: check a task, the task list, a task, bulk import, a clause's use of its cap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contracts_app import formatting
from contracts_app.agreements.access import agreement_for
from contracts_app.audit.presenters import present
from contracts_app.audit.services import history_of
from contracts_app.dates import parse_day_or_none
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.forms_common import add_problems, show_errors
from contracts_app.pagination import Page, page_args, sort_arg
from contracts_app.scope.vocabulary import vocabulary_of
from contracts_app.service_levels.forms import ticket_times_of
from contracts_app.service_levels.services import ticket_status
from contracts_app.tasks import importing, profile_import, services
from contracts_app.tasks.forms import (
    BulkDecisionForm,
    CheckForm,
    ImportForm,
    TaskEventForm,
    TaskForm,
)
from workflows.task_states import TaskState, Verdict

pages = Blueprint("tasks", __name__)


def _input(form: CheckForm) -> services.TaskInput:
    return services.TaskInput(
        ref=getattr(getattr(form, "ref", None), "data", None),
        title=form.title.data or "",
        description=form.description.data or "",
        category=form.category.data or None,
        system=form.system.data or None,
        day=form.date.data,
        hours=form.hours.data,
        amount=form.amount.data,
        **ticket_times_of(form),
    )


@pages.route("/agreements/<code>/check", methods=["GET", "POST"])
@login_required
def check(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    form = CheckForm()
    if request.method == "GET":
        form.date.data = dt.date.today()
    result = None
    if form.validate_on_submit():
        try:
            result = services.dry_run(agreement, membership, _input(form), current_user).to_json()
        except ValidationFailed as exc:
            show_errors(form, exc, {"day": "date"})
    return render_template(
        "tasks/check.html",
        agreement=agreement,
        vocabulary=vocabulary_of(agreement),
        form=form,
        result=result,
        may_record=services.may_record_tasks(current_user, membership),
    )


@pages.get("/agreements/<code>/tasks")
@login_required
def index(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    number, per_page = page_args()
    filters = task_filters(request.args)
    sort = sort_arg(services.TASK_SORTING)
    rows, total = services.list_tasks(agreement, filters, number, per_page, sort=sort)
    return render_template(
        "tasks/index.html",
        agreement=agreement,
        page=Page(rows, number, per_page, total),
        filters=filters,
        sort=sort,
        verdicts=[v.value for v in Verdict],
        states=[s.value for s in TaskState],
        may_record=services.may_record_tasks(current_user, membership),
        bulk_events=services.bulk_events_for(current_user, membership),
    )


def _task_ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit() and len(value) < 12]


@pages.route("/agreements/<code>/tasks/decisions", methods=["GET", "POST"])
@login_required
def decide(code: str) -> Any:
    """Several tasks at once: GET lists what the chosen event would do to each (nothing
    changes); POST confirms it, all or nothing."""
    agreement, membership = agreement_for(current_user, code)
    source = request.form if request.method == "POST" else request.args
    form = BulkDecisionForm(formdata=request.form if request.method == "POST" else None)
    event = source.get("event", "")
    form.event.data = event
    task_ids = _task_ids(source.getlist("task"))
    plans: list[services.PlannedDecision] = []
    problem, status = "", 200
    if request.method == "POST":
        if not form.validate_on_submit():
            problem, status = "The form expired or was incomplete; nothing was done.", 400
        else:
            try:
                decided = services.decide_tasks(
                    agreement, membership, current_user, task_ids, event, form.comment.data or ""
                )
            except ValidationFailed as exc:
                # refusals per task show in the list below, as planned again
                form.comment.errors = list(exc.errors.get("comment", []))
                problem, status = exc.message, 422
            except Forbidden as exc:
                problem, status = exc.message, 403
            else:
                flash(
                    f"{formatting.counted(len(decided), 'task', 'tasks')}: "
                    f"{decided[0].label.lower()} done "
                    f"({', '.join(plan.task.ref for plan in decided[:10])}"
                    f"{'…' if len(decided) > 10 else ''}).",
                    "info",
                )
                return redirect(url_for("tasks.index", code=agreement.code))
    try:
        plans = services.plan_decisions(agreement, membership, current_user, task_ids, event)
    except ValidationFailed as exc:
        problem = problem or " ".join(m for messages in exc.errors.values() for m in messages)
    spec = next(
        (s for s in services.bulk_events_for(current_user, membership) if s.name == event), None
    )
    if spec is not None and spec.comment_required:
        form.comment.label.text = f"Comment (required to {spec.label.lower()})"
    return render_template(
        "tasks/decide.html",
        agreement=agreement,
        form=form,
        plans=plans,
        spec=spec,
        problem=problem,
        refused=[plan for plan in plans if plan.refused],
    ), status


def _day(text: str | None) -> dt.date | None:
    return parse_day_or_none(text)


def task_filters(args: Mapping[str, str]) -> services.TaskFilters:
    """The task list's filters from a query string; a value it does not know is ignored."""
    return services.TaskFilters(
        verdict=args.get("verdict") if args.get("verdict") in {v.value for v in Verdict} else None,
        state=args.get("state") if args.get("state") in {s.value for s in TaskState} else None,
        date_from=_day(args.get("date_from")),
        date_to=_day(args.get("date_to")),
        clause=(args.get("clause") or "").strip()[:40] or None,
        attention=args.get("attention") == "1",
        to_decide=args.get("to_decide") == "1",
    )


@pages.route("/agreements/<code>/tasks/new", methods=["GET", "POST"])
@login_required
def new(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    form = TaskForm()
    if request.method == "GET":
        form.date.data = dt.date.today()
    refused, status = "", 200
    if request.form.get("from_check") == "1":
        pass  # the check page's values, to complete with a ref: nothing checked or stored yet
    elif form.validate_on_submit():
        try:
            task = services.record_task(
                agreement,
                membership,
                _input(form),
                current_user,
                confirm_new_codes=bool(form.confirm_new_codes.data),
            )
        except ValidationFailed as exc:
            show_errors(form, exc, {"day": "date"})
        except Forbidden as exc:  # the form again, with what was typed and why
            refused, status = exc.message, 403
        else:
            flash(f"Task {task.ref} recorded: {task.state.value.replace('_', ' ')}.", "info")
            return redirect(url_for("tasks.show", task_id=task.id))
    elif form.is_submitted():  # the service's checks too, so every mistake shows at once
        add_problems(form, services.task_problems(agreement, _input(form)), {"day": "date"})
    return render_template(
        "tasks/new.html",
        agreement=agreement,
        form=form,
        vocabulary=vocabulary_of(agreement),
        asks_confirmation=form.confirm_new_codes.data
        or any(
            message.startswith("Did you mean")
            for message in [*form.category.errors, *form.system.errors]
        ),
        refused=refused,
        may_record=services.may_record_tasks(current_user, membership),
    ), status


@pages.get("/tasks/<id:task_id>")
@login_required
def show(task_id: int) -> Any:
    task, membership = services.task_for(current_user, task_id)
    return _render_task(task, membership, TaskEventForm())


def _render_task(
    task: Any, membership: Any, event_form: TaskEventForm, refused: str = "", status: int = 200
) -> Any:
    """The task's page; after a refused decision, with the comment typed and the reason."""
    decisions = services.event_specs_for(task, current_user, membership)
    needed = [spec.label.lower() for spec in decisions if spec.comment_required]
    if needed:  # one comment for every decision: say which ones need it
        event_form.comment.label.text = f"Comment (required to {', '.join(needed)})"
    return render_template(
        "tasks/show.html",
        task=task,
        agreement=task.agreement,
        incoming=profile_import.incoming_changes_of(task),
        decisions=decisions,
        refused=refused,
        history=present(history_of(task)),
        event_form=event_form,
        service_levels=ticket_status(task),
    ), status


@pages.post("/tasks/<id:task_id>/events/<event>")
@login_required
def fire(task_id: int, event: str) -> Any:
    form = TaskEventForm()
    if not form.validate_on_submit():
        flash("The form expired or was incomplete; nothing was done. Please try again.", "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    try:
        task = services.fire_task_event(task_id, event, current_user, form.comment.data or "")
    except ValidationFailed as exc:
        task, membership = services.task_for(current_user, task_id)
        show_errors(form, exc)
        return _render_task(task, membership, form, status=422)
    except (Forbidden, Conflict) as exc:
        # The page again, with the reason and the comment typed; nothing was changed.
        task, membership = services.task_for(current_user, task_id)
        return _render_task(task, membership, form, refused=exc.message, status=exc.status)
    if task.proposed_annex_id and event == "propose_annex":
        flash(f"Task {task.ref} became this draft annex: adjust it, then submit it.", "info")
        return redirect(url_for("annexes.edit", annex_id=task.proposed_annex_id))
    flash(f"Task {task.ref} is now {task.state.value.replace('_', ' ')}.", "info")
    return redirect(url_for("tasks.show", task_id=task_id))


@pages.route("/agreements/<code>/tasks/import", methods=["GET", "POST"])
@login_required
def import_csv(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    form = ImportForm()
    report = None
    problems = None
    refused, status = "", 200
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8")
        except UnicodeDecodeError:
            form.file.errors = ["The file is not UTF-8 text."]
            status = 422
        else:
            try:
                report = importing.import_tasks(
                    agreement,
                    membership,
                    text,
                    current_user,
                    skip_invalid=bool(form.skip_invalid.data),
                )
            except ValidationFailed as exc:
                problems = [m for messages in exc.errors.values() for m in messages]
                status = 422
            except Forbidden as exc:
                refused, status = exc.message, 403
    elif form.is_submitted():
        status = 422
    return render_template(
        "tasks/import.html",
        agreement=agreement,
        form=form,
        report=report,
        problems=problems,
        refused=refused,
        columns=importing.COLUMNS,
        may_record=services.may_record_tasks(current_user, membership),
    ), status


@pages.get("/agreements/<code>/tasks/import/template.csv")
@login_required
def import_template(code: str) -> Any:
    """A CSV to fill in: the columns the importer reads and one example row."""
    agreement, _membership = agreement_for(current_user, code)
    return Response(
        importing.template_csv(agreement),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{agreement.code}-tasks-template.csv"'
        },
    )


@pages.get("/agreements/<code>/clauses/<ref>/usage")
@login_required
def usage(code: str, ref: str) -> Any:
    agreement, _membership = agreement_for(current_user, code)
    return render_template(
        "tasks/usage.html", agreement=agreement, usage=services.clause_usage(agreement, ref)
    )
