from __future__ import annotations

from apiflask import Schema, fields, validators

from contracts_app.tasks.schemas import PauseIn


class OutageIn(Schema):
    system = fields.String(required=True, validate=validators.Length(1, 100))
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)
    planned = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=validators.Length(max=2000))
    confirm_new_codes = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Keep a system that looks like one the agreement knows "
            "(refused otherwise, naming it: a misspelt system's outage counts nowhere)."
        },
    )


class OutageOut(Schema):
    id = fields.Integer()
    system = fields.String()
    started_at = fields.DateTime()
    ended_at = fields.DateTime()
    planned = fields.Boolean()
    note = fields.String()
    created_at = fields.DateTime()


class ReportQuery(Schema):
    period = fields.String(
        required=True,
        validate=validators.Regexp(r"^(199\d|20\d\d)-(0[1-9]|1[0-2])$"),
        metadata={"description": "a month, YYYY-MM, in the calendar's time zone"},
    )


class BreachOut(Schema):
    task = fields.String(metadata={"description": "the ticket's ref"})
    elapsed_hours = fields.String()
    target_hours = fields.String()


class AtRiskOut(Schema):
    task = fields.String()
    deadline = fields.String(allow_none=True)
    hours_left = fields.String()


class ServiceLevelResultOut(Schema):
    ref = fields.String()
    title = fields.String()
    metric = fields.String()
    measured = fields.Integer()
    met = fields.Integer()
    percent = fields.String(allow_none=True, metadata={"description": "unrounded"})
    objective_percent = fields.String()
    status = fields.String(validate=validators.OneOf(["met", "missed", "no_data"]))
    credit_percent = fields.String()
    credit_amount = fields.String()
    breaches = fields.List(fields.Nested(BreachOut))
    open_at_risk = fields.List(fields.Nested(AtRiskOut))


class ReportOut(Schema):
    period = fields.String()
    currency = fields.String()
    monthly_fee = fields.String(allow_none=True)
    service_levels = fields.List(fields.Nested(ServiceLevelResultOut))
    total_credit_percent = fields.String()
    total_credit_amount = fields.String()


class TicketTimesIn(Schema):
    priority = fields.String(allow_none=True, validate=validators.Length(max=20))
    opened_at = fields.AwareDateTime(allow_none=True)
    responded_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    pauses = fields.List(fields.Nested(PauseIn), validate=validators.Length(max=200))


class TicketClockOut(Schema):
    ref = fields.String()
    status = fields.String()
    elapsed_hours = fields.String()
    target_hours = fields.String()
    deadline = fields.DateTime(allow_none=True)
    period = fields.String(allow_none=True)


class TicketTimesOut(Schema):
    id = fields.Integer()
    ref = fields.String()
    priority = fields.String(allow_none=True)
    opened_at = fields.DateTime(allow_none=True)
    responded_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    pauses = fields.List(fields.Dict())
    service_levels = fields.List(fields.Nested(TicketClockOut))


class ServiceReportIn(Schema):
    period = fields.String(
        required=True,
        validate=validators.Regexp(r"^(199\d|20\d\d)-(0[1-9]|1[0-2])$"),
        metadata={"description": "a closed month, YYYY-MM"},
    )
