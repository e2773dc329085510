"""Pages: my notifications, my preferences, one-click unsubscribe, failed deliveries."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contracts_app.errors import ValidationFailed
from contracts_app.extensions import csrf
from contracts_app.forms_common import ConfirmForm, show_errors
from contracts_app.notifications import services
from contracts_app.notifications.email import read_unsubscribe_token
from contracts_app.notifications.forms import PreferencesForm
from contracts_app.notifications.kinds import LABELS, Kind
from contracts_app.pagination import Page, page_args, sort_arg

pages = Blueprint("notifications", __name__)


@pages.app_context_processor
def _unread_count() -> dict[str, Any]:
    """The count beside "Notifications" in the navigation bar, computed when a page shows it."""

    def unread_notifications() -> int:
        return services.unread_count(current_user) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}


@pages.get("/notifications")
@login_required
def index() -> Any:
    number, per_page = page_args()
    sort = sort_arg(services.NOTIFICATION_SORTING)
    rows, total, unread = services.list_notifications(
        current_user, page=number, per_page=per_page, sort=sort
    )
    return render_template(
        "notifications/index.html",
        sort=sort,
        page=Page(rows, number, per_page, total),
        unread=unread,
        form=ConfirmForm(),
    )


@pages.post("/notifications/read")
@login_required
def mark_read() -> Any:
    form = ConfirmForm()
    if form.validate_on_submit():
        raw = request.form.get("id", "")
        services.mark_read(current_user, [int(raw)] if raw.isdigit() else None)
    return redirect(url_for("notifications.index"))


@pages.post("/notifications/<id:notification_id>/open")
@login_required
def open_one(notification_id: int) -> Any:
    """Opening a notification marks it read: a POST, since a GET never writes."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("notifications.index"))
    return redirect(services.open_notification(current_user, notification_id))


@pages.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Any:
    current = services.preferences_of(current_user)
    form = PreferencesForm()
    if request.method == "GET":
        form.time_zone.data = current["time_zone"]
        for row in current["kinds"]:
            getattr(form, row["kind"]).data = row["delivery"]
    if form.validate_on_submit():
        try:
            services.set_preferences(
                current_user,
                {kind.value: getattr(form, kind.value).data for kind in Kind},
                form.time_zone.data or "UTC",
            )
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            flash("Preferences saved.", "info")
            return redirect(url_for("notifications.preferences"))
    return render_template(
        "notifications/preferences.html", form=form, kinds=[kind.value for kind in Kind]
    )


@pages.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client posts without a session; the signed token is the key
def unsubscribe(token: str) -> Any:
    found = read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user_id, kind = found
    if request.method == "POST":
        services.unsubscribe(user_id, kind)
        return render_template("notifications/unsubscribed.html", label=LABELS[kind], done=True)
    return render_template("notifications/unsubscribed.html", label=LABELS[kind], done=False)


@pages.get("/admin/notifications/failed")
@login_required
def failed() -> Any:
    if not current_user.is_admin:
        abort(404)
    sort = sort_arg(services.FAILED_SORTING)
    return render_template(
        "notifications/failed.html", rows=services.failed_notifications(sort=sort), sort=sort
    )
