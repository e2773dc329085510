"""JSON API for an agreement's scope: as of a date, the versions, diffs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apiflask import APIBlueprint

from contracts_app.agreements.access import agreement_for
from contracts_app.api_common import api_user
from contracts_app.extensions import token_auth
from contracts_app.scope import services
from contracts_app.scope.schemas import (
    DiffOut,
    DiffQuery,
    ScopeOut,
    ScopeQuery,
    VersionOut,
    VersionsQuery,
)

api = APIBlueprint("scope_api", __name__, tag="Scope")


def scope_body(version: Any) -> dict[str, Any]:
    return {
        "number": version.number,
        "valid_from": version.valid_from,
        "valid_to": version.valid_to,
        "recorded_at": version.recorded_at,
        "superseded_at": version.superseded_at,
        "annex": version.annex,
        "items": [spec.to_json() for spec in services.clause_map(version).values()],
        **services.terms_of(version).to_json(),
    }


@api.get("/agreements/<code>/scope")
@api.auth_required(token_auth)
@api.input(ScopeQuery, location="query", arg_name="query")
@api.output(ScopeOut)
@api.doc(
    summary="The scope valid on a date (today by default), optionally as recorded at a time",
    responses=[401, 404, 422],
)
def scope(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    day = query["as_of"] or dt.date.today()
    return scope_body(services.scope_on(agreement, day, query["recorded_at"]))


@api.get("/agreements/<code>/scope/versions")
@api.auth_required(token_auth)
@api.input(VersionsQuery, location="query", arg_name="query")
@api.output(VersionOut(many=True))
@api.doc(summary="Scope versions, oldest first", responses=[401, 404, 422])
def versions(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    return services.list_versions(agreement, query["include_superseded"])


@api.get("/agreements/<code>/scope/diff")
@api.auth_required(token_auth)
@api.input(DiffQuery, location="query", arg_name="query")
@api.output(DiffOut)
@api.doc(summary="What changed between two versions", responses=[401, 404, 422])
def diff(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    return services.diff_versions(agreement, query["from_"], query["to"])
