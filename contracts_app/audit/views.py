"""Pages: an agreement's activity, and the administrators' check of every chain."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from contracts_app.agreements.access import agreement_for
from contracts_app.audit.presenters import present
from contracts_app.audit.services import (
    EVENT_SORTING,
    all_chains,
    chain_of,
    list_events,
    verify_chain,
)
from contracts_app.pagination import Page, page_args, sort_arg

pages = Blueprint("audit", __name__)

# The orders the activity page offers (a list, not a table: links instead of headers).
ACTIVITY_ORDERS = (
    ("-entry", "Newest first"),
    ("entry", "Oldest first"),
    ("action", "By kind of change"),
    ("object", "By kind of object"),
)


@pages.get("/agreements/<code>/activity")
@login_required
def activity(code: str) -> Any:
    agreement, _membership = agreement_for(current_user, code)
    number, per_page = page_args()
    sort = sort_arg(EVENT_SORTING)
    rows, total = list_events(agreement.id, number, per_page, sort)
    return render_template(
        "audit/activity.html",
        sort=sort,
        orders=ACTIVITY_ORDERS,
        agreement=agreement,
        page=Page(present(rows), number, per_page, total),
        chain=verify_chain(chain_of(agreement.id)),
    )


@pages.get("/admin/audit")
@login_required
def chains() -> Any:
    if not current_user.is_admin:
        abort(404)
    return render_template("audit/chains.html", reports=[verify_chain(c) for c in all_chains()])
