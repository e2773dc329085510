"""JSON API of the audit trail."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields

from contracts_app.agreements.access import agreement_for
from contracts_app.api_common import PageQuery, api_user, page_of, sort_param
from contracts_app.audit.services import EVENT_SORTING, chain_of, list_events, verify_chain
from contracts_app.extensions import token_auth

api = APIBlueprint("audit_api", __name__, tag="Audit")


class EventOut(Schema):
    seq = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String(attribute="actor.name", allow_none=True)
    action = fields.String()
    object_type = fields.String()
    object_id = fields.Integer(allow_none=True)
    changes = fields.Dict()
    comment = fields.String()
    mac = fields.String()


class ChainOut(Schema):
    intact = fields.Boolean()
    events = fields.Integer()
    head = fields.String(allow_none=True)
    broken_at = fields.Integer(allow_none=True)
    reason = fields.String()


class AuditQuery(PageQuery):
    sort = sort_param(EVENT_SORTING)


class AuditPage(Schema):
    items = fields.List(fields.Nested(EventOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    chain = fields.Nested(ChainOut)


@api.get("/agreements/<code>/audit")
@api.auth_required(token_auth)
@api.input(AuditQuery, location="query", arg_name="query")
@api.output(AuditPage)
@api.doc(
    summary="The agreement's audit events, newest first unless sorted, and whether the "
    "chain is intact",
    responses=[401, 404, 422],
)
def audit(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    rows, total = list_events(agreement.id, query["page"], query["per_page"], query["sort"])
    body = page_of(rows, total, query["page"], query["per_page"])
    body["chain"] = verify_chain(chain_of(agreement.id)).to_json()
    return body
