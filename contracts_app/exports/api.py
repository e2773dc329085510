"""JSON API: an agreement's lists as CSV or XLSX files, with the lists' filters and order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apiflask import APIBlueprint
from flask import Response

from contracts_app.agreements.access import agreement_for
from contracts_app.agreements.models import Agreement
from contracts_app.api_common import api_user
from contracts_app.exports import services
from contracts_app.exports.schemas import (
    AnnexExportQuery,
    ScopeExportQuery,
    TaskExportQuery,
    UsageExportQuery,
)
from contracts_app.extensions import token_auth
from contracts_app.tasks.services import TaskFilters

api = APIBlueprint("exports_api", __name__, tag="Exports")

FILE_RESPONSE = {
    "description": "The file, as an attachment named like AMS-2026-01-tasks-2026-11-25.csv",
    "content": {
        content_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
        for content_type in services.FORMATS.values()
    },
}
RESPONSES = {200: FILE_RESPONSE, 401: {}, 404: {}, 422: {}}


def export_response(agreement: Agreement, table: services.Table, format: str) -> Response:
    """The table as a download in ``format``, named after the agreement, the list and today."""
    response = Response(services.export(table, format), content_type=services.FORMATS[format])
    name = services.filename(agreement, table.kind, format, today())
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def today() -> dt.date:
    return dt.date.today()


@api.get("/agreements/<code>/scope/export")
@api.auth_required(token_auth)
@api.input(ScopeExportQuery, location="query", arg_name="query")
@api.doc(summary="The scope valid on a date as CSV or XLSX", responses=RESPONSES)
def export_scope(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    day = query["as_of"] or services.scope_day(agreement, today())
    return export_response(agreement, services.scope_table(agreement, day), query["format"])


@api.get("/agreements/<code>/tasks/export")
@api.auth_required(token_auth)
@api.input(TaskExportQuery, location="query", arg_name="query")
@api.doc(
    summary="Every task the list's filters select, in its order, as CSV or XLSX",
    responses=RESPONSES,
)
def export_tasks(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    filters = TaskFilters(
        verdict=query["verdict"],
        state=query["state"],
        date_from=query["date_from"],
        date_to=query["date_to"],
        clause=query["clause"],
        attention=query["attention"],
    )
    table = services.tasks_table(agreement, filters, query["sort"])
    return export_response(agreement, table, query["format"])


@api.get("/agreements/<code>/usage/export")
@api.auth_required(token_auth)
@api.input(UsageExportQuery, location="query", arg_name="query")
@api.doc(summary="Use of each capped clause per period as CSV or XLSX", responses=RESPONSES)
def export_usage(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    table = services.usage_table(agreement, today(), query["clause"])
    return export_response(agreement, table, query["format"])


@api.get("/agreements/<code>/annexes/export")
@api.auth_required(token_auth)
@api.input(AnnexExportQuery, location="query", arg_name="query")
@api.doc(summary="The annex register as CSV or XLSX", responses=RESPONSES)
def export_annexes(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    table = services.annexes_table(agreement, query["state"], query["sort"])
    return export_response(agreement, table, query["format"])
