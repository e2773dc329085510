from __future__ import annotations

from apiflask import Schema, fields, validators

from contracts_app.dates import Day


class IssueIn(Schema):
    as_of = Day(load_default=None)


class SignOffIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validators.Length(1, 1000))


class SummaryQuery(Schema):
    as_of = Day(load_default=None)


class SignOffOut(Schema):
    name = fields.String()
    email = fields.String()
    side = fields.String()
    role = fields.String()
    signed_at = fields.DateTime()


class DocumentOut(Schema):
    id = fields.Integer()
    uid = fields.String(metadata={"description": "the document id printed on every page"})
    agreement = fields.String(attribute="agreement.code")
    as_of = fields.Date()
    kind = fields.String(metadata={"description": "summary or service_report"})
    period = fields.String(allow_none=True, metadata={"description": "a service report's month"})
    state = fields.String()
    content_hash = fields.String()
    issued_at = fields.DateTime()
    required_sides = fields.List(fields.String())
    sign_offs = fields.List(fields.Nested(SignOffOut))
    pdf_sha256 = fields.String(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)


class VerifyOut(Schema):
    authentic = fields.Boolean()
    document_id = fields.String(allow_none=True)
    agreement = fields.String(allow_none=True)
    required_sides = fields.List(fields.String())
    signed_off_by = fields.List(fields.Dict())
    reason = fields.String()
