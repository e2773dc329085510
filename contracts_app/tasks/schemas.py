from __future__ import annotations

from decimal import Decimal

from apiflask import Schema, fields, validators

from contracts_app.api_common import sort_param
from contracts_app.api_fields import decimal_field, decimal_out
from contracts_app.dates import Day
from contracts_app.figures import HOURS_SCALE
from contracts_app.tasks.services import TASK_SORTING
from workflows.task import BULK_EVENTS, TaskEvent
from workflows.task_states import TaskState, Verdict


def _decimal(**kwargs: object) -> fields.Decimal:
    return decimal_field(maximum=Decimal("99999999"), allow_none=True, load_default=None, **kwargs)


def _hours() -> fields.Decimal:
    return _decimal(scale=HOURS_SCALE, what="hours")


class CheckIn(Schema):
    title = fields.String(required=True, validate=validators.Length(1, 300))
    description = fields.String(load_default="", validate=validators.Length(max=20_000))
    category = fields.String(
        load_default=None, allow_none=True, validate=validators.Length(max=100)
    )
    system = fields.String(load_default=None, allow_none=True, validate=validators.Length(max=100))
    date = Day(required=True)
    hours = _hours()
    amount = _decimal()


class PauseIn(Schema):
    from_ = fields.AwareDateTime(data_key="from", required=True)
    to = fields.AwareDateTime(required=True)


class TaskIn(CheckIn):
    ref = fields.String(required=True, validate=validators.Length(1, 80))
    # ticket times for service levels, all optional
    priority = fields.String(load_default=None, allow_none=True, validate=validators.Length(max=20))
    opened_at = fields.AwareDateTime(load_default=None, allow_none=True)
    responded_at = fields.AwareDateTime(load_default=None, allow_none=True)
    resolved_at = fields.AwareDateTime(load_default=None, allow_none=True)
    pauses = fields.List(
        fields.Nested(PauseIn), load_default=list, validate=validators.Length(max=200)
    )
    confirm_new_codes = fields.Boolean(
        load_default=False,
        metadata={
            "description": "A category or system that looks like one the agreement already "
            "uses (e.g. ops.backup beside operations.backup) answers 422 naming it "
            "(errors.category, errors.system); true keeps the new code."
        },
    )


class CapOut(Schema):
    unit = fields.String()
    limit = fields.String()
    used = fields.String()
    remaining = fields.String()
    period = fields.String()
    period_start = fields.String()
    period_end = fields.String(allow_none=True)
    unit_label = fields.String(
        metadata={"description": "What a count cap counts, for numbers other than one."}
    )
    unit_label_singular = fields.String(
        metadata={"description": "What a count cap counts, for exactly one, when given."}
    )


class CandidateOut(Schema):
    ref = fields.String()
    score = fields.Float()


class VerdictOut(Schema):
    verdict = fields.String(validate=validators.OneOf([v.value for v in Verdict]))
    clause = fields.String(allow_none=True)
    scope_version = fields.Integer(allow_none=True)
    reasons = fields.List(fields.String())
    candidates = fields.List(fields.Nested(CandidateOut))
    cap = fields.Nested(CapOut, allow_none=True)
    priced_amount = fields.String(allow_none=True)


class TaskOut(Schema):
    id = fields.Integer()
    agreement = fields.String(attribute="agreement_code")
    ref = fields.String()
    title = fields.String()
    description = fields.String()
    category = fields.String(allow_none=True)
    system = fields.String(allow_none=True)
    date = fields.Date(attribute="day")
    hours = decimal_out(allow_none=True)
    amount = decimal_out(allow_none=True)
    state = fields.String()
    verdict = fields.Nested(VerdictOut, attribute="verdict_detail")
    needs_attention = fields.Boolean()
    proposed_annex_id = fields.Integer(allow_none=True)
    checked_at = fields.DateTime()
    priority = fields.String(allow_none=True)
    opened_at = fields.DateTime(allow_none=True)
    responded_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    pauses = fields.List(fields.Dict())
    allowed_events = fields.List(fields.String())


class TaskPage(Schema):
    items = fields.List(fields.Nested(TaskOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class TaskQuery(Schema):
    verdict = fields.String(
        load_default=None, validate=validators.OneOf([v.value for v in Verdict])
    )
    state = fields.String(
        load_default=None, validate=validators.OneOf([s.value for s in TaskState])
    )
    date_from = Day(load_default=None)
    date_to = Day(load_default=None)
    clause = fields.String(load_default=None, validate=validators.Length(max=40))
    attention = fields.Boolean(load_default=False)
    to_decide = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Only tasks that wait for a decision: flagged by a re-check, or "
            "needing review, over a cap, out of scope or escalated (as in My work)."
        },
    )
    sort = sort_param(TASK_SORTING)
    page = fields.Integer(load_default=1, validate=validators.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=25, validate=validators.Range(min=1, max=100))


class TaskEventIn(Schema):
    event = fields.String(required=True, validate=validators.OneOf([e.value for e in TaskEvent]))
    comment = fields.String(load_default="", validate=validators.Length(max=10_000))


class BulkDecisionIn(Schema):
    event = fields.String(required=True, validate=validators.OneOf([e.value for e in BULK_EVENTS]))
    tasks = fields.List(
        fields.Integer(strict=True, validate=validators.Range(1, 2**31 - 1)),
        required=True,
        validate=validators.Length(min=1, max=200),
        metadata={"description": "Ids of the agreement's tasks, each decided by its own event."},
    )
    comment = fields.String(load_default="", validate=validators.Length(max=10_000))


class DecisionOut(Schema):
    task = fields.Integer()
    ref = fields.String()
    before = fields.String()
    after = fields.String()


class BulkDecisionOut(Schema):
    decisions = fields.List(fields.Nested(DecisionOut))


class ImportQuery(Schema):
    skip_invalid = fields.Boolean(load_default=False)
    profile = fields.String(load_default=None, validate=validators.Length(min=1, max=40))
    dry_run = fields.Boolean(load_default=False)


class ImportOut(Schema):
    created = fields.Integer()
    skipped_existing = fields.Integer()
    invalid = fields.List(fields.Dict())
    verdicts = fields.Dict(keys=fields.String(), values=fields.Integer())
    # with a profile (tasks/profile_import.py)
    profile = fields.String()
    dry_run = fields.Boolean()
    updated = fields.Integer()
    unchanged = fields.Integer()
    flagged = fields.Integer()
    unmapped = fields.List(fields.Dict())
    file = fields.Dict()
    rows = fields.List(fields.Dict())
    times_stored = fields.List(fields.String())


class VerdictChangeOut(Schema):
    task_id = fields.Integer()
    task_ref = fields.String(attribute="task.ref")
    annex_id = fields.Integer(allow_none=True)
    old_verdict = fields.String()
    new_verdict = fields.String()
    old_clause = fields.String(allow_none=True)
    new_clause = fields.String(allow_none=True)
    task_state = fields.String()
    flagged = fields.Boolean()
    checked_at = fields.DateTime()
