"""JSON API for agreements and their members."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema

from contracts_app.agreements import members as member_services
from contracts_app.agreements import services
from contracts_app.agreements import status as status_services
from contracts_app.agreements.access import agreement_for
from contracts_app.agreements.schemas import (
    AgreementIn,
    AgreementOut,
    AgreementPage,
    AgreementPatch,
    AgreementQuery,
    InvitationOut,
    MemberIn,
    MemberOut,
    RoleIn,
    StatusEventIn,
    StatusOut,
)
from contracts_app.api_common import api_user, page_of, sort_param
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
        sort=query["sort"],
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
    return agreement


@api.patch("/agreements/<code>")
@api.auth_required(token_auth)
@api.input(AgreementPatch, arg_name="body")
@api.output(AgreementOut)
@api.doc(summary="Change fields or status (managers)", responses=[401, 403, 404, 409, 422])
def update_agreement(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    confirm = body.pop("confirm_new_codes", False)
    return services.update_agreement(agreement, membership, body, user, confirm_new_codes=confirm)


class MemberQuery(Schema):
    sort = sort_param(member_services.MEMBER_SORTING)


class InvitationQuery(Schema):
    sort = sort_param(member_services.INVITATION_SORTING)


@api.get("/agreements/<code>/members")
@api.auth_required(token_auth)
@api.input(MemberQuery, location="query", arg_name="query")
@api.output(MemberOut(many=True))
@api.doc(
    summary="Members of an agreement, by side, role and name unless sorted",
    responses=[401, 404, 422],
)
def list_members(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    return member_services.list_members(agreement, query["sort"])


@api.post("/agreements/<code>/members")
@api.auth_required(token_auth)
@api.input(MemberIn, arg_name="body")
@api.output(InvitationOut, status_code=201)
@api.doc(
    summary="Invite someone to a side and a role (that side's managers)",
    description="Makes an invitation; the membership exists once the person accepts it "
    "(`POST /api/v1/invitations/{id}/accept`). The answer is the same whether or not an "
    "account has this email. While a side has no manager, the agreement's creator or an "
    "administrator invites its first manager.",
    responses=[401, 403, 404, 409, 422],
)
def add_member(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return member_services.invite_member(
        agreement, membership, body["email"], body["side"], body["role"], user
    )


@api.patch("/agreements/<code>/members/<id:member_id>")
@api.auth_required(token_auth)
@api.input(RoleIn, arg_name="body")
@api.output(MemberOut)
@api.doc(
    summary="Change a member's role (that side's managers); the side never changes",
    responses=[401, 403, 404, 409, 422],
)
def change_role(code: str, member_id: int, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return member_services.change_role(agreement, membership, member_id, body["role"], user)


@api.delete("/agreements/<code>/members/<id:member_id>")
@api.auth_required(token_auth)
@api.output({}, status_code=204)
@api.doc(
    summary="Remove a member (that side's managers)",
    description="A running agreement keeps a manager and an approver on each side (409).",
    responses=[401, 403, 404, 409],
)
def remove_member(code: str, member_id: int) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    member_services.remove_member(agreement, membership, member_id, user)
    return ""


@api.get("/agreements/<code>/invitations")
@api.auth_required(token_auth)
@api.input(InvitationQuery, location="query", arg_name="query")
@api.output(InvitationOut(many=True))
@api.doc(
    summary="Invitations of an agreement, newest first unless sorted", responses=[401, 404, 422]
)
def list_invitations(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    return member_services.list_invitations(agreement, query["sort"])


@api.get("/me/invitations")
@api.auth_required(token_auth)
@api.output(InvitationOut(many=True))
@api.doc(summary="Open invitations addressed to you", responses=[401])
def my_invitations() -> Any:
    return member_services.invitations_for(api_user())


@api.post("/invitations/<id:invitation_id>/<any(accept, decline, withdraw):decision>")
@api.auth_required(token_auth)
@api.output(InvitationOut)
@api.doc(
    summary="Accept or decline an invitation (the person invited) or withdraw it "
    "(the inviting side's managers)",
    responses=[401, 403, 404, 409],
)
def decide_invitation(invitation_id: int, decision: str) -> Any:
    act = {
        "accept": member_services.accept_invitation,
        "decline": member_services.decline_invitation,
        "withdraw": member_services.withdraw_invitation,
    }[decision]
    return act(invitation_id, api_user())


def _status_body(agreement: Any, membership: Any) -> dict[str, Any]:
    user = api_user()
    return {
        "status": agreement.status.value,
        "open_change": status_services.open_change(agreement),
        "history": status_services.history(agreement),
        "allowed_events": status_services.events_for(agreement, user, membership),
        "missing_staff": member_services.missing_staff(agreement.id),
    }


@api.get("/agreements/<code>/status")
@api.auth_required(token_auth)
@api.output(StatusOut)
@api.doc(
    summary="The status, the change awaiting the other side, the dated history",
    responses=[401, 404],
)
def get_status(code: str) -> Any:
    agreement, membership = agreement_for(api_user(), code)
    return _status_body(agreement, membership)


@api.post("/agreements/<code>/events")
@api.auth_required(token_auth)
@api.input(StatusEventIn, arg_name="body")
@api.output(StatusOut)
@api.doc(
    summary="Ask for, confirm, decline or cancel a change of status",
    description="`activate`, `suspend`, `resume` and `terminate` by a manager of one side "
    "stay pending until a manager of the other side fires `confirm` (or `decline`), naming "
    "the request it answers (`change`: `open_change.id` of the status read); the "
    "asking side may `cancel`. A draft is terminated by one side at once. The change takes "
    "effect on `effective_date` (activate: the start date by default; others: today).",
    responses=[401, 403, 404, 409, 422],
)
def fire_status_event(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    status_services.fire_event(
        agreement,
        membership,
        body["event"],
        user,
        effective_date=body["effective_date"],
        reason=body["reason"] or body["comment"],
        change_id=body["change"],
    )
    return _status_body(agreement, membership)
