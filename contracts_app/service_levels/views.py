"""Pages: the service levels of an agreement, month by month."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from contracts_app.agreements.access import agreement_for
from contracts_app.db import utcnow
from contracts_app.errors import ValidationFailed
from contracts_app.service_levels import services

pages = Blueprint("service_levels", __name__)


@pages.get("/agreements/<code>/service-levels")
@login_required
def index(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    now = utcnow()
    error = None
    try:
        period = services.Period.parse(request.args.get("period") or f"{now:%Y-%m}")
    except ValidationFailed as exc:
        error = exc.errors["period"][0]
        period = services.Period.of(now.date())
    figures = services.overview(agreement, membership, current_user, period, now)
    return render_template(
        "service_levels/index.html",
        agreement=agreement,
        period=period,
        figures=figures,
        error=error,
        current=str(services.Period.of(now.date())) == str(period),
    )
