from __future__ import annotations

import datetime as dt

from apiflask import Schema, fields, validators

from contracts_app.api_fields import decimal_out
from contracts_app.dates import Day
from contracts_app.scope.clauses import ClauseSchema
from contracts_app.scope.service_levels import ServiceLevelSchema


class AnnexRef(Schema):
    id = fields.Integer()
    number = fields.Integer()
    title = fields.String()


class VersionOut(Schema):
    version = fields.Integer(attribute="number")
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    recorded_at = fields.DateTime()
    superseded_at = fields.DateTime(allow_none=True)
    annex = fields.Nested(AnnexRef, allow_none=True)


class ScopeOut(VersionOut):
    items = fields.List(fields.Nested(ClauseSchema))
    service_levels = fields.List(fields.Nested(ServiceLevelSchema))
    calendar = fields.Dict(allow_none=True)
    monthly_fee = decimal_out(allow_none=True)


class ScopeQuery(Schema):
    as_of = Day(load_default=None)
    recorded_at = fields.AwareDateTime(load_default=None, default_timezone=dt.UTC)


class VersionsQuery(Schema):
    include_superseded = fields.Boolean(load_default=False)


class DiffQuery(Schema):
    from_ = fields.Integer(
        data_key="from", required=True, validate=validators.Range(min=1, max=2**31 - 1)
    )
    to = fields.Integer(required=True, validate=validators.Range(min=1, max=2**31 - 1))


class ModifiedClause(Schema):
    ref = fields.String()
    title = fields.String(metadata={"description": "the clause's title (after the change)"})
    changes = fields.Dict(keys=fields.String(), values=fields.Dict())


class DiffOut(Schema):
    added = fields.List(fields.Nested(ClauseSchema))
    removed = fields.List(fields.Nested(ClauseSchema))
    modified = fields.List(fields.Nested(ModifiedClause))
    service_levels = fields.Dict(metadata={"description": "added, removed, modified"})
    terms = fields.List(fields.Dict(), metadata={"description": "calendar and monthly fee"})
