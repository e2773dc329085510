from __future__ import annotations

from apiflask import Schema, fields, validators

from contracts_app.dates import Day
from contracts_app.documents.models import DocumentState


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
    state = fields.String(
        validate=validators.OneOf([state.value for state in DocumentState]),
        metadata={
            "description": "awaiting_sign_off; signing (every side signed off, the signed PDF "
            "is being prepared); signing_failed (see signing_error: an approver may retry); "
            "signed_off (the signed PDF is stored)"
        },
    )
    signing_error = fields.String(
        allow_none=True,
        metadata={"description": "why the signed PDF could not be prepared (signing_failed)"},
    )
    content_hash = fields.String()
    issued_at = fields.DateTime()
    required_sides = fields.List(fields.String())
    sign_offs = fields.List(fields.Nested(SignOffOut))
    pdf_sha256 = fields.String(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)


class VerifyCheckOut(Schema):
    name = fields.String(
        metadata={"description": "hash, signature, or sign_off:<side> for each required side"}
    )
    passed = fields.Boolean(allow_none=True)
    detail = fields.String()


class VerifyOut(Schema):
    authentic = fields.Boolean()
    verdict = fields.String(
        validate=validators.OneOf(["authentic", "not_issued_here", "altered", "draft"]),
        metadata={
            "description": "authentic; or why not: not_issued_here, altered (after signing), "
            "draft (or not yet signed off by every side)"
        },
    )
    checks = fields.List(
        fields.Nested(VerifyCheckOut), metadata={"description": "what was checked"}
    )
    document_id = fields.String(allow_none=True)
    agreement = fields.String(allow_none=True)
    required_sides = fields.List(fields.String())
    signed_off_by = fields.List(fields.Dict())
    reason = fields.String()


class RenderIn(Schema):
    as_of = Day(load_default=None, metadata={"description": "the summary's day (default today)"})


class RenderOut(Schema):
    id = fields.Integer()
    agreement = fields.String(attribute="agreement.code")
    kind = fields.String(metadata={"description": "summary (live, as of a day) or document"})
    document = fields.String(
        attribute="document.uid", allow_none=True, metadata={"description": "an issued summary"}
    )
    as_of = fields.Date()
    state = fields.String(metadata={"description": "queued, rendering, done or failed"})
    pages_done = fields.Integer()
    pages_total = fields.Integer(
        allow_none=True, metadata={"description": "known once the pages are laid out"}
    )
    progress = fields.String(metadata={"description": "the state in words"})
    error = fields.String(allow_none=True)
    filename = fields.String()
    size = fields.Integer(attribute="pdf_size", allow_none=True)
    download = fields.String(
        allow_none=True, metadata={"description": "where to download the PDF once done"}
    )
    requested_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime()
