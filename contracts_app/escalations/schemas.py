from __future__ import annotations

from apiflask import Schema, fields, validators

from contracts_app.api_common import PageQuery, sort_param
from contracts_app.dates import Day
from contracts_app.escalations.services import ESCALATION_SORTING
from workflows.escalation import USER_EVENTS, EscalationState

_REF = validators.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


class EscalationIn(Schema):
    subject = fields.String(required=True, validate=validators.Length(1, 200))
    description = fields.String(load_default="", validate=validators.Length(max=20_000))
    task = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validators.Range(1, 2**31 - 1)
    )
    service_level = fields.String(load_default=None, allow_none=True, validate=_REF)
    clause = fields.String(load_default=None, allow_none=True, validate=_REF)
    period = fields.String(
        load_default=None,
        allow_none=True,
        validate=validators.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"),
        metadata={"description": "YYYY-MM, for a service level missed in that month"},
    )


class EscalationEventIn(Schema):
    event = fields.String(required=True, validate=validators.OneOf([e.value for e in USER_EVENTS]))
    message = fields.String(load_default="", validate=validators.Length(max=20_000))
    decision = fields.String(
        load_default=None,
        allow_none=True,
        validate=validators.OneOf(["accept", "reject", "propose_annex"]),
        metadata={"description": "with propose_resolution on a task's escalation"},
    )
    level = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validators.Range(1, 100),
        metadata={
            "description": "the level you saw: escalating from a level already "
            "passed joins that climb"
        },
    )


class HoldOut(Schema):
    side = fields.String()
    from_ = fields.DateTime(data_key="from", attribute="from")
    to = fields.DateTime(allow_none=True)
    seconds = fields.Integer()
    hours = fields.String()


class MessageOut(Schema):
    kind = fields.String()
    event = fields.String(allow_none=True)
    author = fields.String(attribute="author.name", allow_none=True)
    side = fields.String(allow_none=True)
    body = fields.String()
    from_level = fields.Integer(allow_none=True)
    to_level = fields.Integer(allow_none=True)
    by_deadline = fields.Boolean()
    at = fields.DateTime(attribute="created_at")


class EscalationOut(Schema):
    id = fields.Integer()
    number = fields.Integer()
    agreement = fields.String()
    subject = fields.String()
    description = fields.String()
    state = fields.String()
    level = fields.Integer()
    level_name = fields.String()
    ball_with = fields.String()
    raised_side = fields.String()
    deadline = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    hours_left = fields.String(allow_none=True)
    task = fields.Integer(allow_none=True)
    service_level = fields.String(allow_none=True)
    clause = fields.String(allow_none=True)
    period = fields.String(allow_none=True)
    proposed_by = fields.String(allow_none=True)
    proposed_decision = fields.String(allow_none=True)
    proposal = fields.String(allow_none=True)
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    holds = fields.List(fields.Nested(HoldOut))
    messages = fields.List(fields.Nested(MessageOut))
    allowed_events = fields.List(fields.String())


class EscalationPage(Schema):
    items = fields.List(fields.Nested(EscalationOut(exclude=("messages", "holds"))))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class EscalationQuery(PageQuery):
    level = fields.Integer(load_default=None, validate=validators.Range(1, 100))
    ball_with = fields.String(
        load_default=None, validate=validators.OneOf(["customer", "provider"])
    )
    overdue = fields.Boolean(load_default=None)
    state = fields.String(
        load_default=None, validate=validators.OneOf([s.value for s in EscalationState])
    )
    sort = sort_param(ESCALATION_SORTING)


class StatsQuery(Schema):
    from_ = Day(data_key="from", required=True)
    to = Day(required=True)


class StatsOut(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    open_by_level = fields.List(fields.Dict())
    months = fields.List(fields.Dict())
    time_to_resolve_hours = fields.Dict()
    ball_hours = fields.Dict()
    levels_reached = fields.List(fields.Dict())
