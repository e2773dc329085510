from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators
from marshmallow import ValidationError, validates_schema

from contracts_app.agreements.governance import FIELDS as GOVERNANCE
from contracts_app.annexes.services import ANNEX_SORTING, SIDE_EVENTS
from contracts_app.api_common import sort_param
from contracts_app.dates import Day
from contracts_app.identifiers import NON_BLANK_PATTERN
from contracts_app.scope.clauses import MAX_CLAUSES, REF_PATTERN
from workflows.annex import USER_EVENTS
from workflows.annex_states import AnnexState


class ChangeSchema(Schema):
    """One scope change: ``add`` with an item, ``modify`` a ref with fields, ``remove`` a ref."""

    class Meta:
        unknown = "include"  # validated in full by the service, with per-field messages

    op = fields.String(required=True, validate=validators.OneOf(["add", "modify", "remove"]))
    ref = fields.String()
    item = fields.Dict()
    fields_ = fields.Dict(data_key="fields")


_CLAUSE_REF = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": REF_PATTERN}
# What the service accepts, per operation; documented so that clients and fuzzers send it.
# One change: the list's items (a ``Raw`` field's metadata becomes the items' schema).
CHANGE_DOC = {
    "oneOf": [
        {
            "type": "object",
            "properties": {
                "op": {"type": "string", "enum": ["add"]},
                "item": {"$ref": "#/components/schemas/ClauseSchema"},
            },
            "required": ["op", "item"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "op": {"type": "string", "enum": ["modify"]},
                "ref": _CLAUSE_REF,
                "fields": {"$ref": "#/components/schemas/ClauseFields"},
            },
            "required": ["op", "ref", "fields"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "op": {"type": "string", "enum": ["remove"]},
                "ref": _CLAUSE_REF,
            },
            "required": ["op", "ref"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "op": {"type": "string", "enum": ["modify"]},
                "governance": {"$ref": "#/components/schemas/GovernanceFields"},
            },
            "required": ["op", "governance"],
            "additionalProperties": False,
        },
    ]
}


def add_change_components(spec: dict[str, Any]) -> dict[str, Any]:
    """The components a change refers to, derived from the schemas they mirror: the fields
    of a clause that a ``modify`` may change (any of a clause's but its ref), and the rules
    of consent a governance change may change (as the agreement documents them)."""
    schemas = spec.get("components", {}).get("schemas", {})
    clause, agreement = schemas.get("ClauseSchema"), schemas.get("AgreementIn")
    if clause is not None:
        properties = {k: v for k, v in clause["properties"].items() if k != "ref"}
        schemas["ClauseFields"] = {
            "type": "object",
            "properties": properties,
            "minProperties": 1,
            "additionalProperties": False,
            "description": "The clause fields to change, as in a clause.",
        }
    if agreement is not None:
        properties = {k: v for k, v in agreement["properties"].items() if k in GOVERNANCE}
        schemas["GovernanceFields"] = {
            "type": "object",
            "properties": properties,
            "minProperties": 1,
            "additionalProperties": False,
            "description": "The rules of consent to change, as the agreement gives them.",
        }
    return spec


CHANGES_DOC = {
    "description": "Scope changes: add a clause, modify fields of a clause, remove a clause; "
    "or change the rules of consent (governance).",
    "maxItems": MAX_CLAUSES,
}


def _title(**kwargs: object) -> fields.String:
    return fields.String(
        validate=[validators.Length(1, 200), validators.Regexp(NON_BLANK_PATTERN)], **kwargs
    )


CONFIRM_NEW_CODES_DOC = {
    "description": "A clause change bringing a category or system that looks like one the "
    "agreement already uses (e.g. ops.backup beside operations.backup) answers 422 naming "
    'it at the change\'s path (errors["changes.0.item.categories"]: "Did you mean '
    'operations.backup? ..."); true keeps the new code.'
}


class AnnexIn(Schema):
    title = _title(required=True)
    rationale = fields.String(load_default="", validate=validators.Length(max=20_000))
    effective_date = Day(required=True)
    changes = fields.List(
        fields.Raw(metadata=CHANGE_DOC),
        load_default=list,
        validate=validators.Length(max=MAX_CLAUSES),
        metadata=CHANGES_DOC,
    )
    confirm_new_codes = fields.Boolean(load_default=False, metadata=CONFIRM_NEW_CODES_DOC)


class AnnexPatch(Schema):
    version = fields.Integer(
        required=True,
        validate=validators.Range(min=1, max=2**31 - 1),
        metadata={"description": "the version you read"},
    )
    title = _title()
    rationale = fields.String(validate=validators.Length(max=20_000))
    effective_date = Day()
    changes = fields.List(
        fields.Raw(metadata=CHANGE_DOC),
        validate=validators.Length(max=MAX_CLAUSES),
        metadata=CHANGES_DOC,
    )
    confirm_new_codes = fields.Boolean(load_default=False, metadata=CONFIRM_NEW_CODES_DOC)


class AnnexQuery(Schema):
    state = fields.String(
        load_default=None, validate=validators.OneOf([s.value for s in AnnexState])
    )
    sort = sort_param(ANNEX_SORTING)


class EventIn(Schema):
    event = fields.String(required=True, validate=validators.OneOf([e.value for e in USER_EVENTS]))
    comment = fields.String(load_default="", validate=validators.Length(max=10_000))
    password = fields.String(
        load_default=None, load_only=True, validate=validators.Length(max=1000)
    )
    review_round = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validators.Range(min=0, max=2**31 - 1),
        metadata={
            "description": "The review round read (`review_round` of the annex): required "
            "to approve or sign, which are given for that round's content only."
        },
    )

    @validates_schema
    def _word_names_its_round(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("event") in SIDE_EVENTS and data.get("review_round") is None:
            raise ValidationError(
                "Name the review round you read (the annex's review_round).", "review_round"
            )


class PartyAct(Schema):
    side = fields.String()
    role = fields.String()
    name = fields.String(attribute="user.name", allow_none=True)
    email = fields.String(attribute="user.email", allow_none=True)
    review_round = fields.Integer()


class ApprovalOut(PartyAct):
    comment = fields.String()
    at = fields.DateTime(attribute="created_at")


class SignatureOut(PartyAct):
    at = fields.DateTime(attribute="signed_at")


class AnnexOut(Schema):
    id = fields.Integer()
    agreement = fields.String(attribute="agreement.code")
    number = fields.Integer()
    title = fields.String()
    rationale = fields.String()
    effective_date = fields.Date()
    state = fields.String()
    version = fields.Integer(attribute="lock_version")
    changes = fields.List(fields.Dict())
    author = fields.String(attribute="author.name", allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    effective_at = fields.DateTime(allow_none=True)
    review_round = fields.Integer()
    due = fields.Boolean(
        metadata={"description": "signed by every side and its date has come; applied daily"}
    )
    allowed_events = fields.List(fields.String())
    event_specs = fields.List(
        fields.Dict(),
        metadata={
            "description": "per allowed event: label, comment (required|optional|none), "
            "password, for_side, danger"
        },
    )


class AnnexDetail(AnnexOut):
    approvals = fields.List(fields.Nested(ApprovalOut))
    signatures = fields.List(fields.Nested(SignatureOut))
    diff = fields.Dict()


class EventOut(Schema):
    state = fields.String()
    allowed_events = fields.List(fields.String())
    version = fields.Integer()
