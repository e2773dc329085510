"""Page: My work, the home page after sign-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from contracts_app.db import utcnow
from contracts_app.forms_common import ConfirmForm
from contracts_app.pagination import sort_arg
from contracts_app.work.services import WORK_SORTING, my_work

pages = Blueprint("work", __name__)


@pages.get("/work")
@login_required
def index() -> Any:
    sort = sort_arg(WORK_SORTING)
    return render_template(
        "work/index.html", work=my_work(current_user, sort=sort), sort=sort, form=ConfirmForm()
    )


@pages.app_context_processor
def _navigation_count() -> dict[str, Any]:
    """The count beside "My work" in the navigation bar, computed when a page shows it."""

    def work_count() -> int:
        return my_work(current_user).total if current_user.is_authenticated else 0

    def utc_today() -> dt.date:
        return utcnow().date()

    return {"work_count": work_count, "utc_today": utc_today}
