"""Pages: the search results, grouped by kind."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from contracts_app.errors import ValidationFailed
from contracts_app.pagination import Page, page_args
from contracts_app.search import services

pages = Blueprint("search", __name__)

# On the page of all kinds, the first few of each; a kind's own page shows a full page.
PREVIEW = 5


@pages.get("/search")
@login_required
def index() -> Any:
    text = " ".join(request.args.get("q", "").split())[: services.MAX_LENGTH]
    kind = request.args.get("kind") if request.args.get("kind") in services.KINDS else None
    number, per_page = page_args()
    groups: list[Page] = []
    error = None
    if text:
        try:
            found = services.search(
                current_user,
                text,
                kinds=(kind,) if kind else services.KINDS,
                page=number if kind else 1,
                per_page=per_page if kind else PREVIEW,
            )
        except ValidationFailed as exc:
            error = " ".join(exc.errors.get("q", []))
        else:
            groups = [(g.kind, Page(g.items, g.page, g.per_page, g.total)) for g in found]
    return render_template("search/index.html", q=text, kind=kind, groups=groups, error=error)
