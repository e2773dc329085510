"""JSON API for annexes and their workflow events."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from contracts_app.accounts.attempts import with_password_limit
from contracts_app.agreements.access import MANAGERS, agreement_for
from contracts_app.annexes import diffs, services
from contracts_app.annexes.models import Annex
from contracts_app.annexes.schemas import (
    AnnexDetail,
    AnnexIn,
    AnnexOut,
    AnnexPatch,
    AnnexQuery,
    EventIn,
    EventOut,
)
from contracts_app.api_common import api_user
from contracts_app.extensions import token_auth

api = APIBlueprint("annexes_api", __name__, tag="Annexes")


def _summary(annex: Annex, membership: Any) -> dict[str, Any]:
    user = api_user()
    return {
        **{
            name: getattr(annex, name)
            for name in (
                "id",
                "number",
                "title",
                "rationale",
                "effective_date",
                "state",
                "lock_version",
                "changes",
                "author",
                "created_at",
                "updated_at",
                "effective_at",
                "review_round",
            )
        },
        "agreement": annex.agreement,
        "allowed_events": services.events_for(annex, user, membership),
        "event_specs": [
            spec.to_json() for spec in services.event_specs_for(annex, user, membership)
        ],
        "due": services.is_due(annex),
    }


@api.post("/agreements/<code>/annexes")
@api.auth_required(token_auth)
@api.input(AnnexIn, arg_name="body")
@api.output(AnnexOut, status_code=201)
@api.doc(summary="Draft an annex (managers)", responses=[401, 403, 404, 422])
def create_annex(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code, MANAGERS)
    confirm = body.pop("confirm_new_codes")
    annex = services.create_annex(
        agreement, membership, services.AnnexInput(**body), user, confirm_new_codes=confirm
    )
    return _summary(annex, membership)


@api.get("/agreements/<code>/annexes")
@api.auth_required(token_auth)
@api.input(AnnexQuery, location="query", arg_name="query")
@api.output(AnnexOut(many=True))
@api.doc(
    summary="Annexes of an agreement (the register), by number unless sorted",
    responses=[401, 404, 422],
)
def list_annexes(code: str, query: dict[str, Any]) -> Any:
    agreement, membership = agreement_for(api_user(), code)
    annexes = services.list_annexes(agreement, query["state"], sort=query["sort"])
    return [_summary(a, membership) for a in annexes]


@api.get("/annexes/<id:annex_id>")
@api.auth_required(token_auth)
@api.output(AnnexDetail)
@api.doc(
    summary="An annex with its approvals, signatures and the diff it makes", responses=[401, 404]
)
def get_annex(annex_id: int) -> Any:
    annex, membership = services.annex_for(api_user(), annex_id)
    return {
        **_summary(annex, membership),
        "approvals": annex.approvals,
        "signatures": annex.signatures,
        "diff": diffs.annex_diff(annex),
    }


@api.patch("/annexes/<id:annex_id>")
@api.auth_required(token_auth)
@api.input(AnnexPatch, arg_name="body")
@api.output(AnnexOut)
@api.doc(
    summary="Edit a draft; carries the version read, a stale one answers 409",
    responses=[401, 403, 404, 409, 422],
)
def update_annex(annex_id: int, body: dict[str, Any]) -> Any:
    user = api_user()
    annex, membership = services.annex_for(user, annex_id)
    version = body.pop("version")
    confirm = body.pop("confirm_new_codes")
    annex = services.update_annex(annex, membership, body, version, user, confirm_new_codes=confirm)
    return _summary(annex, membership)


@api.post("/annexes/<id:annex_id>/events")
@api.auth_required(token_auth)
@api.input(EventIn, arg_name="body")
@api.output(EventOut)
@api.doc(
    summary="Fire a workflow event: submit, approve, request_changes, reject, withdraw, sign",
    description="`sign` needs the signer's `password`; `request_changes` and `reject` a `comment`. "
    "`approve` and `sign` name the `review_round` read: the annex submitted again since "
    "answers 409, so that a side's word is given for the content it saw. "
    "An event the state does not allow answers 409 with `allowed_events`; one the role "
    "does not allow answers 403.",
    responses=[401, 403, 404, 409, 422],
)
def fire_event(annex_id: int, body: dict[str, Any]) -> Any:
    user = api_user()

    def fire() -> Any:
        return services.fire_event(
            annex_id,
            body["event"],
            user,
            comment=body["comment"],
            password=body["password"],
            review_round=body["review_round"],
        )

    if services.needs_password(body["event"]):
        annex = with_password_limit(user, "sign an annex", fire)
    else:
        annex = fire()
    _annex, membership = services.annex_for(user, annex_id)
    return {
        "state": annex.state,
        "allowed_events": services.events_for(annex, user, membership),
        "version": annex.lock_version,
    }
