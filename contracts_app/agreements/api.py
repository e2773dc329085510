"""JSON API for agreements and their members."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from contracts_app.agreements import services
from contracts_app.agreements.access import agreement_for
from contracts_app.agreements.schemas import (
    AgreementIn,
    AgreementOut,
    AgreementPage,
    AgreementPatch,
    AgreementQuery,
    MemberIn,
    MemberOut,
)
from contracts_app.annexes.workflow import activate_due_on_read
from contracts_app.api_common import api_user, page_of
from contracts_app.extensions import token_auth

api = APIBlueprint("agreements_api", __name__, tag="Agreements")


@api.get("/agreements")
@api.auth_required(token_auth)
@api.input(AgreementQuery, location="query", arg_name="query")
@api.output(AgreementPage)
@api.doc(summary="Agreements you may see, filtered and paginated", responses=[401, 422])
def list_agreements(query: dict[str, Any]) -> Any:
    items, total = services.search_agreements(
        api_user(),
        text=query["q"],
        status=query["status"],
        party=query["party"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return page_of(items, total, query["page"], query["per_page"])


@api.post("/agreements")
@api.auth_required(token_auth)
@api.input(AgreementIn, arg_name="body")
@api.output(AgreementOut, status_code=201)
@api.doc(summary="Create a draft agreement with its base scope", responses=[401, 422])
def create_agreement(body: dict[str, Any]) -> Any:
    return services.create_agreement(services.AgreementInput(**body), api_user())


@api.get("/agreements/<code>")
@api.auth_required(token_auth)
@api.output(AgreementOut)
@api.doc(summary="One agreement", responses=[401, 404])
def get_agreement(code: str) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    activate_due_on_read(agreement)
    return agreement


@api.patch("/agreements/<code>")
@api.auth_required(token_auth)
@api.input(AgreementPatch, arg_name="body")
@api.output(AgreementOut)
@api.doc(summary="Change fields or status (managers)", responses=[401, 403, 404, 409, 422])
def update_agreement(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return services.update_agreement(agreement, membership, body, user)


@api.get("/agreements/<code>/members")
@api.auth_required(token_auth)
@api.output(MemberOut(many=True))
@api.doc(summary="Members of an agreement", responses=[401, 404])
def list_members(code: str) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    return services.list_members(agreement)


@api.post("/agreements/<code>/members")
@api.auth_required(token_auth)
@api.input(MemberIn, arg_name="body")
@api.output(MemberOut, status_code=201)
@api.doc(summary="Give a user a side and a role (managers)", responses=[401, 403, 404, 409, 422])
def add_member(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return services.add_member(
        agreement, membership, body["email"], body["side"], body["role"], user
    )


@api.delete("/agreements/<code>/members/<id:member_id>")
@api.auth_required(token_auth)
@api.output({}, status_code=204)
@api.doc(summary="Remove a member (managers)", responses=[401, 403, 404, 409])
def remove_member(code: str, member_id: int) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    services.remove_member(agreement, membership, member_id, user)
    return ""
