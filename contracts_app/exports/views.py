"""Pages: the export links of the scope, tasks, usage and annex pages (signed-in browsers;
the API's export routes take a token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_login import current_user, login_required

from contracts_app.agreements.access import agreement_for
from contracts_app.annexes.services import ANNEX_SORTING
from contracts_app.dates import parse_day
from contracts_app.exports import services
from contracts_app.exports.api import export_response, today
from contracts_app.tasks.services import TASK_SORTING
from contracts_app.tasks.views import task_filters
from workflows.annex_states import AnnexState

pages = Blueprint("exports", __name__)


def _format() -> str:
    chosen = request.args.get("format", "csv")
    return chosen if chosen in services.FORMATS else "csv"


@pages.get("/agreements/<code>/<any(scope, tasks, usage, annexes):kind>/export")
@login_required
def export(code: str, kind: str) -> Any:
    """The same file as the API's export of this list, with the page's filters and order."""
    agreement, _membership = agreement_for(current_user, code)
    args = request.args
    if kind == "scope":
        day = parse_day(args.get("as_of"), "as_of") or services.scope_day(agreement, today())
        table = services.scope_table(agreement, day)
    elif kind == "tasks":
        table = services.tasks_table(
            agreement, task_filters(args), TASK_SORTING.chosen(args.get("sort"))
        )
    elif kind == "usage":
        clause = (args.get("clause") or "").strip()[:40] or None
        table = services.usage_table(agreement, today(), clause)
    else:
        state = args.get("state") if args.get("state") in {s.value for s in AnnexState} else None
        table = services.annexes_table(agreement, state, ANNEX_SORTING.chosen(args.get("sort")))
    return export_response(agreement, table, _format())
