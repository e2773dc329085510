from __future__ import annotations

from apiflask import Schema, fields, validators

from contracts_app.annexes.schemas import AnnexQuery
from contracts_app.dates import Day
from contracts_app.exports.services import FORMATS
from contracts_app.tasks.schemas import TaskQuery


def _format() -> fields.String:
    return fields.String(
        load_default="csv",
        validate=validators.OneOf(list(FORMATS)),
        metadata={"description": "csv (UTF-8, comma-separated) or xlsx (a workbook)"},
    )


class ScopeExportQuery(Schema):
    format = _format()
    as_of = Day(load_default=None, metadata={"description": "The day (today by default)"})


class TaskExportQuery(TaskQuery):
    """The task list's filters and order; every matching task, not one page."""

    format = _format()

    class Meta:
        exclude = ("page", "per_page")


class UsageExportQuery(Schema):
    format = _format()
    clause = fields.String(
        load_default=None,
        validate=validators.Length(min=1, max=40),
        metadata={"description": "One clause's ref (every capped clause by default)"},
    )


class AnnexExportQuery(AnnexQuery):
    format = _format()
