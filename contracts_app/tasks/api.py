"""JSON API for scope checks, tasks, their events, bulk import and re-checks."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from flask import request

from contracts_app.agreements.access import agreement_for
from contracts_app.api_common import api_user, page_of, sort_param
from contracts_app.db import reads_only
from contracts_app.extensions import token_auth
from contracts_app.tasks import importing, profile_import, services
from contracts_app.tasks.models import Task
from contracts_app.tasks.schemas import (
    BulkDecisionIn,
    BulkDecisionOut,
    CheckIn,
    ImportOut,
    ImportQuery,
    TaskEventIn,
    TaskIn,
    TaskOut,
    TaskPage,
    TaskQuery,
    VerdictChangeOut,
    VerdictOut,
)

api = APIBlueprint("tasks_api", __name__, tag="Tasks")


def _input(body: dict[str, Any]) -> services.TaskInput:
    return services.TaskInput(
        ref=body.get("ref"),
        title=body["title"],
        description=body["description"],
        category=body["category"],
        system=body["system"],
        day=body["date"],
        hours=body["hours"],
        amount=body["amount"],
        priority=body.get("priority"),
        opened_at=body.get("opened_at"),
        responded_at=body.get("responded_at"),
        resolved_at=body.get("resolved_at"),
        pauses=[{"from": p["from_"], "to": p["to"]} for p in body.get("pauses") or ()],
    )


def _task_body(task: Task, membership: Any) -> dict[str, Any]:
    body = {
        column: getattr(task, column)
        for column in (
            "id",
            "ref",
            "title",
            "description",
            "category",
            "system",
            "day",
            "hours",
            "amount",
            "state",
            "verdict_detail",
            "needs_attention",
            "proposed_annex_id",
            "checked_at",
            "priority",
            "opened_at",
            "responded_at",
            "resolved_at",
            "pauses",
        )
    }
    body["agreement_code"] = task.agreement.code
    body["allowed_events"] = services.events_for(task, api_user(), membership)
    return body


@api.post("/agreements/<code>/scope-check")
@reads_only
@api.auth_required(token_auth)
@api.input(CheckIn, arg_name="body")
@api.output(VerdictOut)
@api.doc(summary="Is this task covered? A dry run: nothing is stored", responses=[401, 404, 422])
def scope_check(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return services.dry_run(agreement, membership, _input(body), user).to_json()


@api.post("/agreements/<code>/tasks")
@api.auth_required(token_auth)
@api.input(TaskIn, arg_name="body")
@api.output(TaskOut, status_code=201)
@api.doc(
    summary="Record a task; it is checked and lands in its verdict's state",
    responses=[401, 403, 404, 422],
)
def create_task(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    task = services.record_task(
        agreement, membership, _input(body), user, confirm_new_codes=body["confirm_new_codes"]
    )
    return _task_body(task, membership)


@api.get("/agreements/<code>/tasks")
@api.auth_required(token_auth)
@api.input(TaskQuery, location="query", arg_name="query")
@api.output(TaskPage)
@api.doc(
    summary="Tasks, filtered by verdict, state, date range, clause or decision to take",
    responses=[401, 404, 422],
)
def list_tasks(code: str, query: dict[str, Any]) -> Any:
    agreement, membership = agreement_for(api_user(), code)
    filters = services.TaskFilters(
        verdict=query["verdict"],
        state=query["state"],
        date_from=query["date_from"],
        date_to=query["date_to"],
        clause=query["clause"],
        attention=query["attention"],
        to_decide=query["to_decide"],
    )
    rows, total = services.list_tasks(
        agreement, filters, query["page"], query["per_page"], sort=query["sort"]
    )
    return page_of(
        [_task_body(t, membership) for t in rows], total, query["page"], query["per_page"]
    )


@api.get("/tasks/<id:task_id>")
@api.auth_required(token_auth)
@api.output(TaskOut)
@api.doc(summary="One task with its verdict", responses=[401, 404])
def get_task(task_id: int) -> Any:
    task, membership = services.task_for(api_user(), task_id)
    return _task_body(task, membership)


@api.post("/tasks/<id:task_id>/events")
@api.auth_required(token_auth)
@api.input(TaskEventIn, arg_name="body")
@api.output(TaskOut)
@api.doc(
    summary="accept, reject, escalate (comment required) or propose_annex",
    responses=[401, 403, 404, 409, 422],
)
def task_event(task_id: int, body: dict[str, Any]) -> Any:
    user = api_user()
    task = services.fire_task_event(task_id, body["event"], user, body["comment"])
    _task, membership = services.task_for(user, task_id)
    return _task_body(task, membership)


@api.post("/agreements/<code>/tasks/decisions")
@api.auth_required(token_auth)
@api.input(BulkDecisionIn, arg_name="body")
@api.output(BulkDecisionOut)
@api.doc(
    summary="Accept, reject or escalate several tasks at once, all or nothing",
    description="Each task goes through its own event, with its own audit event, in one "
    "transaction. If any task may not take the event (its state, or the caller's role), "
    "nothing is changed: 422 names each such task at its position in `tasks` "
    '(`errors["tasks.2"]`) and why; 403 when the caller may take it on none. escalate '
    "needs a comment.",
    responses=[401, 403, 404, 422],
)
def decide_tasks(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    plans = services.decide_tasks(
        agreement, membership, user, body["tasks"], body["event"], body["comment"]
    )
    return {
        "decisions": [
            {
                "task": plan.task.id,
                "ref": plan.task.ref,
                "before": plan.before.value,
                "after": plan.task.state.value,
            }
            for plan in plans
        ]
    }


@api.post("/agreements/<code>/tasks/import")
@api.auth_required(token_auth)
@api.input(ImportQuery, location="query", arg_name="query")
@api.output(ImportOut)
@api.doc(
    summary="Import tasks from a file (the request body, or a multipart file)",
    description="Without a profile: a CSV with the columns "
    + ", ".join(importing.COLUMNS)
    + "; ref, title and date required; refs already recorded are skipped. With "
    "profile={name}: an export of Jira, ServiceNow, GLPI or a CSV (UTF-8 or Windows-1252, "
    "comma or semicolon) or XLSX, read through the import profile; tickets already recorded "
    "are updated, decided ones flagged; dry_run=true answers the rows and verdicts and stores "
    "nothing. Nothing is stored if a row is invalid, unless skip_invalid=true.",
    responses=[401, 403, 404, 413, 422],
)
def import_tasks(code: str, query: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    return profile_import.import_report(
        agreement,
        membership,
        raw,
        user,
        profile=query["profile"],
        dry_run=query["dry_run"],
        skip_invalid=query["skip_invalid"],
    )


class RecheckQuery(Schema):
    sort = sort_param(services.RECHECK_SORTING)


@api.get("/agreements/<code>/rechecks")
@api.auth_required(token_auth)
@api.input(RecheckQuery, location="query", arg_name="query")
@api.output(VerdictChangeOut(many=True))
@api.doc(
    summary="Tasks whose verdict a scope change changed: the latest 200, newest first "
    "unless sorted",
    responses=[401, 404, 422],
)
def rechecks(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    return services.recent_verdict_changes(agreement, limit=200, sort=query["sort"])
