"""JSON API: search across what the token's user may see."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from contracts_app.api_common import api_user
from contracts_app.extensions import token_auth
from contracts_app.search import services
from contracts_app.search.schemas import SearchOut, SearchQuery

api = APIBlueprint("search_api", __name__, tag="Search")


@api.get("/search")
@api.auth_required(token_auth)
@api.input(SearchQuery, location="query", arg_name="query")
@api.output(SearchOut)
@api.doc(
    summary="Agreements, annexes and tasks you may see that match a text, grouped by kind",
    description="Only agreements you are a member of (administrators: all) and what they "
    "hold. Each kind is paginated on its own (`kind` with `page` for the next pages).",
    responses=[401, 422],
)
def search(query: dict[str, Any]) -> Any:
    kinds = (query["kind"],) if query["kind"] else services.KINDS
    groups = services.search(
        api_user(), query["q"], kinds=kinds, page=query["page"], per_page=query["per_page"]
    )
    return {"q": " ".join(query["q"].split()), "groups": groups}
