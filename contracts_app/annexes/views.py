"""Pages: the annex register, the drafting form with its diff preview, an annex's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from contracts_app.accounts.attempts import with_password_limit
from contracts_app.agreements.access import MANAGERS, agreement_for
from contracts_app.agreements.governance import is_governance_change
from contracts_app.annexes import diffs, services
from contracts_app.annexes.diffs import governance_change
from contracts_app.annexes.drafting import rows_to_changes, show_change_errors
from contracts_app.annexes.forms import AnnexForm, ChangeRowForm, EventForm
from contracts_app.annexes.models import Annex
from contracts_app.annexes.services import SIDE_EVENTS
from contracts_app.audit.presenters import annex_timeline
from contracts_app.audit.services import history_of
from contracts_app.dates import parse_day_or_none
from contracts_app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    TooManyAttempts,
    ValidationFailed,
)
from contracts_app.pagination import sort_arg
from contracts_app.scope.services import clause_map, version_on
from contracts_app.scope.vocabulary import vocabulary_of
from workflows.annex import diagram_svg
from workflows.annex_states import EDITABLE_STATES, AnnexState
from workflows.binding import highlight_state

pages = Blueprint("annexes", __name__)


@pages.get("/agreements/<code>/annexes")
@login_required
def index(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    state = request.args.get("state") or None
    if state not in {s.value for s in AnnexState}:
        state = None
    sort = sort_arg(services.ANNEX_SORTING)
    return render_template(
        "annexes/index.html",
        agreement=agreement,
        annexes=services.list_annexes(agreement, state, sort=sort),
        state=state or "",
        sort=sort,
        states=[s.value for s in AnnexState],
        can_draft=current_user.is_admin or (membership is not None and membership.role in MANAGERS),
    )


@pages.get("/agreements/<code>/scope.json")
@login_required
def scope_json(code: str) -> Any:
    """The clauses valid on a date, for pre-filling the form's modify rows.

    A date outside the term answers its error and no clauses: the form keeps the list it
    has and shows the error beside the date.
    """
    agreement, _membership = agreement_for(current_user, code)
    day = parse_day_or_none(request.args.get("as_of"))
    if day is None:
        return jsonify({"clauses": {}, "error": "Enter a date as YYYY-MM-DD."})
    problem = diffs.outside_term(agreement, day)
    if problem:
        return jsonify({"clauses": {}, "error": problem})
    version = version_on(agreement, day)
    clauses = clause_map(version) if version else {}
    return jsonify({"clauses": {ref: spec.to_json() for ref, spec in clauses.items()}})


def _current_scope(agreement: Any, day: dt.date | None) -> dict[str, Any]:
    version = version_on(agreement, diffs.scope_day_for_draft(agreement, day))
    return clause_map(version) if version else {}


@pages.route("/agreements/<code>/annexes/new", methods=["GET", "POST"])
@pages.route("/annexes/<id:annex_id>/edit", methods=["GET", "POST"])
@login_required
def edit(code: str | None = None, annex_id: int | None = None) -> Any:
    annex = None
    if annex_id is not None:
        annex, membership = services.annex_for(current_user, annex_id)
        agreement = annex.agreement
        if not services.is_editor(annex, current_user, membership):
            raise Forbidden("Only the author or a manager edits a draft annex.")
        if annex.state not in EDITABLE_STATES:
            flash(
                f"{annex.label} is {annex.state.value.replace('_', ' ')}; only drafts are edited.",
                "error",
            )
            return redirect(url_for("annexes.show", annex_id=annex.id))
    else:
        agreement, membership = agreement_for(current_user, code or "", MANAGERS)

    form = AnnexForm()
    if request.method == "GET":
        if annex is not None:
            # Field by field: the stored changes are JSON, not rows, so the form is not
            # populated from the object (that would add a second, broken row per change).
            form.title.data = annex.title
            form.rationale.data = annex.rationale
            form.effective_date.data = annex.effective_date
            form.version.data = str(annex.lock_version)
            _fill_rows(form, annex)
        else:
            form.effective_date.data = max(dt.date.today(), agreement.start_date)
            form.changes.append_entry()
    current = _current_scope(agreement, form.effective_date.data)
    diff = None
    action = request.form.get("action", "save")
    if request.method == "POST" and action == "add_row":
        form.changes.append_entry()
    elif form.is_submitted():
        # Everything at once: the form's own checks, the rows, the date and every change
        # against the scope, so one submission shows every mistake beside its field.
        form_valid = form.validate()
        if getattr(getattr(form, "csrf_token", None), "errors", None):
            flash("The form expired; nothing was saved. Please submit it again.", "error")
        changes, errors = rows_to_changes(form, current)
        governance = form.governance_json(
            governance_change(annex.changes) if annex is not None else None
        )
        if governance is not None:
            changes.append(governance)
        try:
            diff = diffs.preview_diff(agreement, form.effective_date.data, changes)
        except ValidationFailed as exc:
            for path, messages in exc.errors.items():
                errors.setdefault(path, []).extend(messages)
        if not form.confirm_new_codes.data:
            kept = annex.changes if annex is not None else ()
            lookalikes = services.annex_lookalikes(agreement, changes, kept)
            for path, messages in lookalikes.items():
                errors.setdefault(path, []).extend(messages)
        if errors or not form_valid:
            diff = None
            show_change_errors(form, errors)
        elif action == "save":
            data = {
                "title": form.title.data or "",
                "rationale": form.rationale.data or "",
                "effective_date": form.effective_date.data,
                "changes": changes,
            }
            try:
                if annex is None:
                    annex = services.create_annex(
                        agreement, membership, services.AnnexInput(**data), current_user
                    )
                else:
                    services.update_annex(
                        annex, membership, data, int(form.version.data or 0), current_user
                    )
            except ValidationFailed as exc:
                diff = None
                show_change_errors(form, exc.errors)
            except Conflict as exc:
                flash(exc.message, "error")
            else:
                flash(f"{annex.label} saved as a draft.", "info")
                return redirect(url_for("annexes.show", annex_id=annex.id))
    return render_template(
        "annexes/form.html",
        form=form,
        agreement=agreement,
        annex=annex,
        diff=diff,
        clauses={ref: spec.to_json() for ref, spec in current.items()},
        kept_rules=sorted(
            set((governance_change(annex.changes) or {}).get("governance", {}))
            - {"approval_sides", "signoff_sides"}
        )
        if annex is not None
        else [],
        row_template=ChangeRowForm(prefix="changes-__prefix__-"),
        vocabulary=vocabulary_of(agreement),
        asks_confirmation=form.confirm_new_codes.data
        or any(
            message.startswith("Did you mean")
            for entry in form.changes.entries
            for message in [*entry.form.categories.errors, *entry.form.systems.errors]
        ),
    )


def _fill_rows(form: AnnexForm, annex: Annex) -> None:
    current = _current_scope(annex.agreement, annex.effective_date)
    for change in annex.changes:
        if is_governance_change(change):
            form.fill_governance(change)
            continue
        row = form.changes.append_entry().form
        if change["op"] == "add":
            row.fill_from("add", change["item"])
        elif change["op"] == "remove":
            row.fill_from("remove", {"ref": change["ref"]})
        else:
            base = (
                current[change["ref"]].to_json()
                if change["ref"] in current
                else {"ref": change["ref"]}
            )
            row.fill_from("modify", {**base, **change["fields"]})


@pages.get("/annexes/<id:annex_id>")
@login_required
def show(annex_id: int) -> Any:
    annex, membership = services.annex_for(current_user, annex_id)
    return _render_show(annex, membership)


def _render_show(
    annex: Annex,
    membership: Any,
    form_event: str = "",
    field_errors: dict[str, list[str]] | None = None,
) -> str:
    return render_template(
        "annexes/show.html",
        annex=annex,
        agreement=annex.agreement,
        membership=membership,
        event_specs=services.event_specs_for(annex, current_user, membership),
        due=services.is_due(annex),
        can_edit=services.may_edit(annex, current_user, membership),
        diff=diffs.annex_diff(annex),
        events=annex_timeline(annex, history_of(annex)),
        event_form=EventForm(),
        form_event=form_event,
        field_errors=field_errors or {},
        diagram=Markup(highlight_state(diagram_svg(), annex.state.value)),
    )


@pages.post("/annexes/<id:annex_id>/events")
@login_required
def fire(annex_id: int) -> Any:
    form = EventForm()
    if not form.validate_on_submit():
        flash("The form expired or was incomplete; nothing was done. Please try again.", "error")
        return redirect(url_for("annexes.show", annex_id=annex_id))
    event = form.event.data or ""
    if event in SIDE_EVENTS and not form.review_round.data:
        # a side's word names the round the page showed, as the API's does
        flash("Nothing was done: read the annex as it stands now, then give your word.", "error")
        return redirect(url_for("annexes.show", annex_id=annex_id))

    def fire() -> Any:
        return services.fire_event(
            annex_id,
            event,
            current_user,
            comment=form.comment.data or "",
            password=form.password.data or None,
            review_round=int(form.review_round.data) if form.review_round.data else None,
        )

    try:
        if services.needs_password(event):
            annex = with_password_limit(current_user, "sign an annex", fire)
        else:
            annex = fire()
    except (ValidationFailed, TooManyAttempts) as exc:
        # Shown beside the field of the event's form, which stays open.
        annex, membership = services.annex_for(current_user, annex_id)
        field_errors = (
            {exc.field: [exc.message]} if isinstance(exc, TooManyAttempts) else exc.errors
        )
        status = 429 if isinstance(exc, TooManyAttempts) else 422
        return _render_show(annex, membership, form_event=event, field_errors=field_errors), status
    except Conflict as exc:
        flash(exc.message, "error")
    except DomainError:
        raise
    else:
        flash(services.outcome_message(annex, event), "info")
    return redirect(url_for("annexes.show", annex_id=annex_id))
