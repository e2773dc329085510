from __future__ import annotations

from decimal import Decimal
from typing import Any

from apiflask import Schema, fields, validators
from marshmallow import ValidationError, validates_schema

from contracts_app.agreements.services import AGREEMENT_SORTING
from contracts_app.agreements.status import MUST_NAME_THE_REQUEST
from contracts_app.api_common import sort_param
from contracts_app.api_fields import decimal_field, decimal_out, decimal_pattern
from contracts_app.dates import Day
from contracts_app.enums import AgreementStatus, Role, Side
from contracts_app.formatting import DEFAULT_LOCALE, SUPPORTED_LOCALES
from contracts_app.identifiers import NON_BLANK_PATTERN, Name
from contracts_app.scope.clauses import MAX_AMOUNT, MAX_CLAUSES, ClauseSchema
from contracts_app.scope.service_levels import ServiceLevelSchema

_SIDES = [side.value for side in Side]


def _value_field(**kwargs: object) -> fields.Decimal:
    return decimal_field(maximum=MAX_AMOUNT, **kwargs)


class LadderMembers(Schema):
    customer = fields.List(fields.String(validate=validators.Length(3, 254)), load_default=list)
    provider = fields.List(fields.String(validate=validators.Length(3, 254)), load_default=list)


class LadderLevel(Schema):
    level = fields.Integer(required=True, validate=validators.Range(1, 10))
    name = fields.String(required=True, validate=validators.Length(1, 100))
    response_hours = fields.String(
        required=True,
        validate=validators.Regexp(decimal_pattern(Decimal(10_000), 2)),
        metadata={"description": "hours on the service calendar (wall-clock without one)"},
    )
    members = fields.Nested(LadderMembers, load_default=dict)


def _ladder_field(**kwargs: object) -> fields.List:
    return fields.List(
        fields.Nested(LadderLevel),
        validate=validators.Length(max=10),
        allow_none=True,
        metadata={
            "description": "levels 1..n; members must be members of that side; without a "
            "ladder one level of both sides' managers, 16 hours. Fixed after draft."
        },
        **kwargs,
    )


CODE_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{1,39}$"


def _title(**kwargs: object) -> fields.String:
    return fields.String(
        validate=[validators.Length(1, 200), validators.Regexp(NON_BLANK_PATTERN)], **kwargs
    )


_LEAD = validators.Range(0, 3660)
_PERCENT = validators.Range(1, 1000)
_RENEWALS = validators.OneOf(["none", "tacit"])
_DOCUMENT_LOCALE = {
    "description": "the locale its summary PDFs format numbers and money in (draft only)"
}


class AgreementIn(Schema):
    code = fields.String(
        required=True, validate=[validators.Length(2, 40), validators.Regexp(CODE_PATTERN)]
    )
    title = _title(required=True)
    customer = Name(required=True, validate=validators.Length(1, 200))
    provider = Name(required=True, validate=validators.Length(1, 200))
    start_date = Day(required=True)
    end_date = Day(load_default=None, allow_none=True)
    currency = fields.String(load_default="EUR", validate=validators.Regexp(r"^[A-Z]{3}$"))
    value = _value_field(load_default="0")
    sla_notes = fields.String(load_default="", validate=validators.Length(max=20_000))
    approval_sides = fields.List(
        fields.String(validate=validators.OneOf(_SIDES)),
        load_default=lambda: list(_SIDES),
        validate=validators.Length(1, 2),
        metadata={"description": "sides that approve and sign annexes; fixed after draft"},
    )
    signoff_sides = fields.List(
        fields.String(validate=validators.OneOf(_SIDES)),
        load_default=lambda: list(_SIDES),
        validate=validators.Length(1, 2),
        metadata={"description": "sides that sign off summaries; fixed after draft"},
    )
    escalation_ladder = _ladder_field(load_default=None)
    creator_side = fields.String(
        load_default="provider",
        validate=validators.OneOf(_SIDES),
        metadata={"description": "your side: you become its first manager"},
    )
    scope = fields.List(
        fields.Nested(ClauseSchema), load_default=list, validate=validators.Length(max=MAX_CLAUSES)
    )
    notice_days = fields.Integer(load_default=0, validate=_LEAD)
    renewal = fields.String(load_default="none", validate=_RENEWALS)
    document_locale = fields.String(
        load_default=DEFAULT_LOCALE,
        validate=validators.OneOf(SUPPORTED_LOCALES),
        metadata=_DOCUMENT_LOCALE,
    )
    renewal_months = fields.Integer(
        load_default=None, allow_none=True, validate=validators.Range(1, 120)
    )
    alert_days = fields.List(
        fields.Integer(validate=_LEAD),
        load_default=lambda: [90, 30, 7],
        validate=validators.Length(max=10),
    )
    cap_alert_percents = fields.List(
        fields.Integer(validate=_PERCENT),
        load_default=lambda: [80, 100],
        validate=validators.Length(max=10),
    )
    service_levels = fields.List(
        fields.Nested(ServiceLevelSchema), load_default=list, validate=validators.Length(max=100)
    )
    monthly_fee = _value_field(load_default=None, allow_none=True)
    calendar = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={"description": "timezone, working_days, working_hours, holidays, closed_days"},
    )


class AgreementPatch(Schema):
    title = _title()
    customer = Name(validate=validators.Length(1, 200))
    provider = Name(validate=validators.Length(1, 200))
    start_date = Day()
    end_date = Day(allow_none=True)
    currency = fields.String(validate=validators.Regexp(r"^[A-Z]{3}$"))
    value = _value_field()
    sla_notes = fields.String(validate=validators.Length(max=20_000))
    approval_sides = fields.List(
        fields.String(validate=validators.OneOf(_SIDES)),
        validate=validators.Length(1, 2),
        metadata={"description": "in draft only; later by an annex's governance change (409)"},
    )
    signoff_sides = fields.List(
        fields.String(validate=validators.OneOf(_SIDES)),
        validate=validators.Length(1, 2),
        metadata={"description": "in draft only; later by an annex's governance change (409)"},
    )
    escalation_ladder = _ladder_field()
    status = fields.String(
        validate=validators.OneOf([s.value for s in AgreementStatus]),
        metadata={"description": "never changed here: 409 naming the status events"},
    )
    scope = fields.List(fields.Nested(ClauseSchema), validate=validators.Length(max=MAX_CLAUSES))
    confirm_new_codes = fields.Boolean(
        load_default=False,
        metadata={
            "description": "A scope bringing a category or system that looks like one the "
            "agreement already uses (e.g. ops.backup beside operations.backup) answers 422 "
            'naming it at the clause\'s path (errors["scope.0.categories"]: "Did you mean '
            'operations.backup? ..."); true keeps the new code.'
        },
    )
    notice_days = fields.Integer(validate=_LEAD)
    renewal = fields.String(validate=_RENEWALS)
    document_locale = fields.String(
        validate=validators.OneOf(SUPPORTED_LOCALES), metadata=_DOCUMENT_LOCALE
    )
    renewal_months = fields.Integer(allow_none=True, validate=validators.Range(1, 120))
    alert_days = fields.List(fields.Integer(validate=_LEAD), validate=validators.Length(max=10))
    cap_alert_percents = fields.List(
        fields.Integer(validate=_PERCENT), validate=validators.Length(max=10)
    )
    service_levels = fields.List(
        fields.Nested(ServiceLevelSchema), validate=validators.Length(max=100)
    )
    monthly_fee = _value_field(allow_none=True)
    calendar = fields.Dict(allow_none=True)


class AgreementOut(Schema):
    code = fields.String()
    title = fields.String()
    customer = fields.String(attribute="customer.name")
    provider = fields.String(attribute="provider.name")
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    currency = fields.String()
    value = decimal_out()
    status = fields.String()
    sla_notes = fields.String()
    approval_sides = fields.List(fields.String())
    signoff_sides = fields.List(fields.String())
    escalation_ladder = fields.List(fields.Dict(), allow_none=True)
    notice_days = fields.Integer()
    renewal = fields.String()
    document_locale = fields.String(metadata=_DOCUMENT_LOCALE)
    renewal_months = fields.Integer(allow_none=True)
    alert_days = fields.List(fields.Integer())
    cap_alert_percents = fields.List(fields.Integer())
    next_dates = fields.Method("_next_dates")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _next_dates(self, agreement: object) -> list[dict[str, str]]:
        """The notice deadline and end of term ahead, from agreements/terms.py."""
        import datetime as dt

        from contracts_app.agreements.terms import Renewal, next_dates

        today = dt.datetime.now(dt.UTC).date()
        return [
            {"kind": d.kind, "date": d.day.isoformat()}
            for d in next_dates(Renewal.of(agreement), today)
        ]


class AgreementPage(Schema):
    items = fields.List(fields.Nested(AgreementOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class AgreementQuery(Schema):
    q = fields.String(load_default="", validate=validators.Length(max=200))
    status = fields.String(
        load_default=None, validate=validators.OneOf([s.value for s in AgreementStatus])
    )
    party = fields.String(load_default="", validate=validators.Length(max=200))
    sort = sort_param(AGREEMENT_SORTING)
    page = fields.Integer(load_default=1, validate=validators.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=25, validate=validators.Range(min=1, max=100))


class RoleIn(Schema):
    role = fields.String(required=True, validate=validators.OneOf([r.value for r in Role]))


class InvitationOut(Schema):
    id = fields.Integer()
    agreement = fields.String(attribute="agreement.code")
    email = fields.String()
    side = fields.String()
    role = fields.String()
    state = fields.Method("_state")
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)

    def _state(self, invitation: object) -> str:
        from contracts_app.db import utcnow

        return invitation.status_at(utcnow())  # type: ignore[attr-defined]


class StatusEventIn(Schema):
    event = fields.String(
        required=True,
        validate=validators.OneOf(
            [
                "activate",
                "suspend",
                "resume",
                "terminate",
                "confirm",
                "decline",
                "cancel",
                "give_notice",
            ]
        ),
    )
    effective_date = Day(
        load_default=None,
        allow_none=True,
        metadata={"description": "when the change takes effect; activate: the start date"},
    )
    reason = fields.String(load_default="", validate=validators.Length(max=10_000))
    comment = fields.String(load_default="", validate=validators.Length(max=10_000))
    change = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validators.Range(min=1, max=2**63 - 1),
        metadata={
            "description": "The id of the open request answered (`open_change.id`): "
            "required to confirm or decline, so that an answer never applies to a request "
            "that replaced the one read (409)."
        },
    )

    @validates_schema
    def _answers_name_their_request(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("event") in MUST_NAME_THE_REQUEST and data.get("change") is None:
            raise ValidationError("Name the request you answer: its id (open_change.id).", "change")


class StatusChangeOut(Schema):
    id = fields.Integer()
    event = fields.String()
    state = fields.String()
    from_status = fields.String()
    to_status = fields.String()
    effective_date = fields.Date()
    reason = fields.String()
    requested_by = fields.String(attribute="requested_by.email", allow_none=True)
    requested_side = fields.String(allow_none=True)
    requested_at = fields.DateTime()
    decided_by = fields.String(attribute="decided_by.email", allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_comment = fields.String()


class StatusOut(Schema):
    status = fields.String()
    open_change = fields.Nested(StatusChangeOut, allow_none=True)
    history = fields.List(fields.Nested(StatusChangeOut))
    allowed_events = fields.List(fields.String())
    missing_staff = fields.List(fields.String())


class MemberIn(Schema):
    email = fields.String(
        required=True, validate=validators.Length(3, 254), metadata={"format": "email"}
    )
    side = fields.String(required=True, validate=validators.OneOf(_SIDES))
    role = fields.String(required=True, validate=validators.OneOf([r.value for r in Role]))


class MemberOut(Schema):
    id = fields.Integer()
    email = fields.String(attribute="user.email")
    name = fields.String(attribute="user.name")
    side = fields.String()
    role = fields.String()
    created_at = fields.DateTime()
