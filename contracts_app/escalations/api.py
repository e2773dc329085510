"""JSON API for escalations: raise, fire events, read, list, KPIs."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from contracts_app.agreements.access import agreement_for
from contracts_app.api_common import api_user, page_of
from contracts_app.errors import ValidationFailed
from contracts_app.escalations import services
from contracts_app.escalations.presenters import escalation_view
from contracts_app.escalations.schemas import (
    EscalationEventIn,
    EscalationIn,
    EscalationOut,
    EscalationPage,
    EscalationQuery,
    StatsOut,
    StatsQuery,
)
from contracts_app.escalations.stats import escalation_stats
from contracts_app.extensions import token_auth

api = APIBlueprint("escalations_api", __name__, tag="Escalations")


@api.post("/agreements/<code>/escalations")
@api.auth_required(token_auth)
@api.input(EscalationIn, arg_name="body")
@api.output(EscalationOut, status_code=201)
@api.doc(
    summary="Raise an escalation (anyone but a viewer); the ball goes to the other side",
    description="On a task that already has an open escalation, joins it.",
    responses=[401, 403, 404, 422],
)
def raise_escalation(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    escalation = services.raise_escalation(
        agreement,
        membership,
        services.EscalationInput(
            subject=body["subject"],
            description=body["description"],
            task_id=body["task"],
            service_level=body["service_level"],
            clause=body["clause"],
            period=body["period"],
        ),
        user,
    )
    return escalation_view(escalation, membership)


@api.get("/agreements/<code>/escalations")
@api.auth_required(token_auth)
@api.input(EscalationQuery, location="query", arg_name="query")
@api.output(EscalationPage)
@api.doc(summary="An agreement's escalations, filtered and sorted", responses=[401, 404, 422])
def list_escalations(code: str, query: dict[str, Any]) -> Any:
    agreement, membership = agreement_for(api_user(), code)
    rows, total = services.list_escalations(
        agreement,
        level=query["level"],
        ball_with=query["ball_with"],
        overdue=query["overdue"],
        state=query["state"],
        sort=query["sort"],
        page=query["page"],
        per_page=query["per_page"],
    )
    items = [escalation_view(e, membership, detail=False) for e in rows]
    return page_of(items, total, query["page"], query["per_page"])


@api.get("/escalations/<id:escalation_id>")
@api.auth_required(token_auth)
@api.output(EscalationOut)
@api.doc(
    summary="An escalation: state, level, who holds the ball, deadline, holds, thread",
    responses=[401, 404],
)
def get_escalation(escalation_id: int) -> Any:
    escalation, membership = services.escalation_for(api_user(), escalation_id)
    return escalation_view(escalation, membership)


@api.post("/escalations/<id:escalation_id>/events")
@api.auth_required(token_auth)
@api.input(EscalationEventIn, arg_name="body")
@api.output(EscalationOut)
@api.doc(
    summary="answer, escalate, propose_resolution, accept_resolution, decline_resolution, reopen",
    description="An event the state or the person may not fire answers 409 with "
    "`allowed_events` (403 when it is about who you are).",
    responses=[401, 403, 404, 409, 422],
)
def fire_event(escalation_id: int, body: dict[str, Any]) -> Any:
    user = api_user()
    escalation = services.fire_event(
        escalation_id,
        body["event"],
        user,
        message=body["message"],
        decision=body["decision"],
        seen_level=body["level"],
    )
    _escalation, membership = services.escalation_for(user, escalation_id)
    return escalation_view(escalation, membership)


@api.get("/agreements/<code>/escalations/stats")
@api.auth_required(token_auth)
@api.input(StatsQuery, location="query", arg_name="query")
@api.output(StatsOut)
@api.doc(summary="Escalation KPIs between two dates", responses=[401, 404, 422])
def stats(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    if query["to"] < query["from_"]:
        raise ValidationFailed({"to": ["The end must not be before the start."]})
    if (query["to"] - query["from_"]).days > 3660:
        raise ValidationFailed({"to": ["At most ten years at once."]})
    return escalation_stats(agreement, query["from_"], query["to"])
