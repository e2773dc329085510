"""JSON API for service levels: outages, ticket times, and the monthly report."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema

from contracts_app.agreements.access import agreement_for, object_for
from contracts_app.api_common import api_user, sort_param
from contracts_app.documents.schemas import DocumentOut
from contracts_app.documents.service_reports import issue_service_report
from contracts_app.extensions import token_auth
from contracts_app.service_levels import services
from contracts_app.service_levels.schemas import (
    OutageIn,
    OutageOut,
    ReportOut,
    ReportQuery,
    ServiceReportIn,
    TicketTimesIn,
    TicketTimesOut,
)
from contracts_app.tasks.models import Task

api = APIBlueprint("service_levels_api", __name__, tag="Service levels")


@api.post("/agreements/<code>/outages")
@api.auth_required(token_auth)
@api.input(OutageIn, arg_name="body")
@api.output(OutageOut, status_code=201)
@api.doc(
    summary="Record a system's outage (managers, contributors); planned ones are not downtime",
    responses=[401, 403, 404, 422],
)
def record_outage(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return services.record_outage(agreement, membership, services.OutageInput(**body), user)


class OutageQuery(Schema):
    sort = sort_param(services.OUTAGE_SORTING)


@api.get("/agreements/<code>/outages")
@api.auth_required(token_auth)
@api.input(OutageQuery, location="query", arg_name="query")
@api.output(OutageOut(many=True))
@api.doc(summary="Outages, latest first unless sorted", responses=[401, 404, 422])
def outages(code: str, query: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return services.list_outages(agreement, membership, user, query["sort"])


@api.get("/agreements/<code>/service-levels/report")
@api.auth_required(token_auth)
@api.input(ReportQuery, location="query", arg_name="query")
@api.output(ReportOut)
@api.doc(
    summary="A month's measurement per service level, with breaches and service credits",
    responses=[401, 404, 422],
)
def report(code: str, query: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    period = services.Period.parse(query["period"])
    return services.service_level_report(agreement, membership, user, period)


def _times_body(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "ref": task.ref,
        "priority": task.priority,
        "opened_at": task.opened_at,
        "responded_at": task.responded_at,
        "resolved_at": task.resolved_at,
        "pauses": task.pauses,
        "service_levels": services.ticket_status(task),
    }


@api.get("/tasks/<id:task_id>/service-levels")
@api.auth_required(token_auth)
@api.output(TicketTimesOut)
@api.doc(summary="A ticket's times and its clock per service level", responses=[401, 404])
def ticket_clocks(task_id: int) -> Any:
    task, _membership = object_for(api_user(), Task, task_id, "task")
    return _times_body(task)


@api.patch("/tasks/<id:task_id>/times")
@api.auth_required(token_auth)
@api.input(TicketTimesIn, arg_name="body")
@api.output(TicketTimesOut)
@api.doc(
    summary="Change a ticket's priority, times or pauses (managers, contributors)",
    responses=[401, 403, 404, 422],
)
def update_times(task_id: int, body: dict[str, Any]) -> Any:
    user = api_user()
    task, membership = object_for(user, Task, task_id, "task")
    if "pauses" in body:
        body["pauses"] = [{"from": p["from_"], "to": p["to"]} for p in body["pauses"]]
    return _times_body(services.update_ticket_times(task, membership, body, user))


@api.post("/agreements/<code>/service-reports")
@api.auth_required(token_auth)
@api.input(ServiceReportIn, arg_name="body")
@api.output(DocumentOut, status_code=201)
@api.doc(
    summary="Issue the monthly service report of a closed month for sign-off (managers); "
    "sign-off, download and verification are those of documents",
    responses=[401, 403, 404, 422],
)
def issue_report(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return issue_service_report(agreement, membership, services.Period.parse(body["period"]), user)
