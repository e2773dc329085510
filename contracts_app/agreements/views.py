"""Pages: the agreements list, an agreement with its scope, editing, members."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contracts_app.agreements import members as member_services
from contracts_app.agreements import services, terms
from contracts_app.agreements import status as status_services
from contracts_app.agreements.access import MANAGERS, agreement_for, can
from contracts_app.agreements.forms import (
    AgreementForm,
    ClauseForm,
    InviteForm,
    RoleForm,
    StatusEventForm,
)
from contracts_app.annexes.services import list_annexes
from contracts_app.dates import parse_day_or_none
from contracts_app.db import utcnow
from contracts_app.enums import AgreementStatus
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.forms_common import ConfirmForm, add_problems, show_errors
from contracts_app.pagination import Page, page_args, sort_arg
from contracts_app.scope import services as scope_services
from contracts_app.scope.vocabulary import vocabulary_of
from contracts_app.tasks.services import (
    RECHECK_SORTING,
    recent_verdict_changes,
    verdict_counts,
)

pages = Blueprint("agreements", __name__)


@pages.get("/")
def home() -> Any:
    return redirect(url_for("work.index"))


@pages.get("/agreements")
@login_required
def index() -> Any:
    number, per_page = page_args()
    status = request.args.get("status") or None
    if status not in {s.value for s in AgreementStatus}:
        status = None
    filters = {
        "q": request.args.get("q", "")[:200],
        "status": status or "",
        "party": request.args.get("party", "")[:200],
    }
    sort = sort_arg(services.AGREEMENT_SORTING)
    rows, total = services.search_agreements(
        current_user,
        text=filters["q"],
        status=status,
        party=filters["party"],
        sort=sort,
        page=number,
        per_page=per_page,
    )
    return render_template(
        "agreements/index.html",
        invitations=len(member_services.invitations_for(current_user)),
        page=Page(rows, number, per_page, total),
        filters=filters,
        sort=sort,
        statuses=[s.value for s in AgreementStatus],
    )


@pages.route("/agreements/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    form = AgreementForm()
    submitted = form.is_submitted()
    if submitted and not form.validate():
        values = {"code": form.code.data or "", **form.values()}
        add_problems(form, services.field_problems(values))
    elif submitted:
        try:
            agreement = services.create_agreement(
                services.AgreementInput(
                    code=form.code.data or "",
                    creator_side=form.creator_side.data or "provider",
                    **form.values(),
                ),
                current_user,
            )
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            flash(f"Agreement {agreement.code} created as a draft. Add its clauses.", "info")
            return redirect(url_for("agreements.show", code=agreement.code))
    return render_template("agreements/form.html", form=form, agreement=None)


def _parse_day(text: str | None) -> dt.date | None:
    return parse_day_or_none(text)


def _version_number(text: str | None) -> int | None:
    """A scope version number from a query string; none beyond what a row can hold."""
    if not text or not text.isdigit() or len(text) > 9:
        return None
    return int(text)


@pages.get("/agreements/<code>")
@login_required
def show(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    today = dt.date.today()
    recheck_sort = sort_arg(RECHECK_SORTING)
    as_of = _parse_day(request.args.get("as_of"))
    if as_of is None:
        as_of = min(max(today, agreement.start_date), agreement.end_date or today)
        if as_of < agreement.start_date:
            as_of = agreement.start_date
    show_superseded = request.args.get("superseded") == "1"
    version = scope_services.version_on(agreement, as_of) if agreement.covers(as_of) else None
    versions = scope_services.list_versions(agreement, include_superseded=show_superseded)
    diff = None
    diff_from = _version_number(request.args.get("from"))
    diff_to = _version_number(request.args.get("to"))
    if diff_from and diff_to:
        try:
            diff = scope_services.diff_versions(agreement, diff_from, diff_to)
        except ValidationFailed as exc:
            for messages in exc.errors.values():
                for message in messages:
                    flash(message, "error")
    return render_template(
        "agreements/show.html",
        agreement=agreement,
        membership=membership,
        can_manage=can(current_user, membership, MANAGERS),
        base_scope_editable=can(current_user, membership, MANAGERS)
        and services.base_scope_editable(agreement),
        as_of=as_of,
        version=version,
        clauses=scope_services.clause_map(version).values() if version else [],
        versions=versions,
        show_superseded=show_superseded,
        diff=diff,
        diff_from=diff_from,
        diff_to=diff_to,
        status_form=StatusEventForm(),
        status_specs=status_services.event_specs_for(agreement, current_user, membership),
        open_change=status_services.open_change(agreement),
        missing_staff=member_services.missing_staff(agreement.id),
        today=today,
        term_text=agreement.term_text,
        next_dates=terms.next_dates(terms.Renewal.of(agreement), today),
        annexes=list_annexes(agreement),
        verdict_counts=verdict_counts(agreement),
        verdict_changes=recent_verdict_changes(agreement, limit=20, sort=recheck_sort),
        recheck_sort=recheck_sort,
    )


@pages.route("/agreements/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code, MANAGERS)
    form = AgreementForm(obj=None if request.method == "POST" else agreement)
    form.code.data = agreement.code
    frozen = services.frozen_fields(agreement)
    if request.method == "GET":
        form.customer.data = agreement.customer.name
        form.provider.data = agreement.provider.name
        form.fill_governance(agreement.approval_sides, agreement.signoff_sides)
    submitted = form.is_submitted()
    if submitted and not form.validate():
        values = {k: v for k, v in form.values().items() if k not in frozen}
        add_problems(form, services.field_problems(values))
    elif submitted:
        values = {k: v for k, v in form.values().items() if k not in frozen}
        try:
            services.update_agreement(agreement, membership, values, current_user)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            flash("Agreement saved.", "info")
            return redirect(url_for("agreements.show", code=agreement.code))
    return render_template("agreements/form.html", form=form, agreement=agreement, frozen=frozen)


@pages.post("/agreements/<code>/events")
@login_required
def status_event(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    form = StatusEventForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(f"Nothing was done: {message}", "error")
        return redirect(url_for("agreements.show", code=agreement.code))
    if form.event.data in status_services.MUST_NAME_THE_REQUEST and not form.change_id.data:
        # an answer names the request the page showed, as the API's does
        flash(
            "Nothing was done: answer the request shown on the page, after reloading it.", "error"
        )
        return redirect(url_for("agreements.show", code=agreement.code))
    try:
        change = status_services.fire_event(
            agreement,
            membership,
            form.event.data or "",
            current_user,
            effective_date=form.effective_date.data,
            reason=form.reason.data or "",
            change_id=int(form.change_id.data) if form.change_id.data else None,
        )
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(status_services.outcome_message(agreement, change), "info")
    return redirect(url_for("agreements.show", code=agreement.code))


@pages.route("/agreements/<code>/clauses/new", methods=["GET", "POST"])
@pages.route("/agreements/<code>/clauses/<ref>/edit", methods=["GET", "POST"])
@login_required
def edit_clause(code: str, ref: str | None = None) -> Any:
    agreement, membership = agreement_for(current_user, code, MANAGERS)
    if not services.base_scope_editable(agreement):  # said before anything is typed
        return render_template(
            "agreements/clause_locked.html",
            agreement=agreement,
            ref=ref,
            message=services.BASE_SCOPE_LOCKED,
        ), 409 if request.method == "POST" else 200
    form = ClauseForm()
    if request.method == "GET" and ref is not None:
        current = scope_services.base_scope(agreement.id)
        if ref not in current:
            flash(f"No clause {ref} in the base scope.", "error")
            return redirect(url_for("agreements.show", code=code))
        form.fill_from(current[ref].to_json())
    if form.validate_on_submit():
        try:
            clause = services.save_base_clause(
                agreement,
                membership,
                form.clause_json(),
                current_user,
                replacing_ref=ref,
                confirm_new_codes=bool(form.confirm_new_codes.data),
            )
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            flash(f"Clause {clause.ref} saved.", "info")
            return redirect(url_for("agreements.show", code=code))
    elif form.is_submitted():  # the service's checks too, so every mistake shows at once
        raw = form.clause_json()
        if raw["cap"] and form.cap_limit.errors:
            # a limit the form refused stands in as 1, so the cap's other checks still run
            raw["cap"]["limit"] = "1"
        add_problems(form, services.clause_problems(agreement, raw))
    return render_template(
        "agreements/clause_form.html",
        form=form,
        agreement=agreement,
        ref=ref,
        vocabulary=vocabulary_of(agreement),
        asks_confirmation=form.confirm_new_codes.data
        or any(
            message.startswith("Did you mean")
            for message in [*form.categories.errors, *form.systems.errors]
        ),
    )


@pages.route("/agreements/<code>/clauses/<ref>/remove", methods=["GET", "POST"])
@login_required
def remove_clause(code: str, ref: str) -> Any:
    agreement, membership = agreement_for(current_user, code, MANAGERS)
    if not services.base_scope_editable(agreement):
        return render_template(
            "agreements/clause_locked.html",
            agreement=agreement,
            ref=ref,
            message=services.BASE_SCOPE_LOCKED,
        ), 409 if request.method == "POST" else 200
    form = ConfirmForm()
    if form.validate_on_submit():
        services.remove_base_clause(agreement, membership, ref, current_user)
        flash(f"Clause {ref} removed.", "info")
        return redirect(url_for("agreements.show", code=code))
    return render_template(
        "confirm.html",
        form=form,
        title=f"Remove clause {ref}?",
        message=f"Clause {ref} will be removed from the base scope of {agreement.code}.",
        action="Remove clause",
        cancel=url_for("agreements.show", code=code),
    )


@pages.route("/agreements/<code>/members", methods=["GET", "POST"])
@login_required
def members(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    sides = member_services.invitable_sides(current_user, agreement, membership)
    if request.method == "POST" and not sides:
        raise Forbidden("Only a side's managers invite its people.")
    form = InviteForm()
    if form.validate_on_submit():  # every side is accepted here: the service decides
        try:
            invitation = member_services.invite_member(
                agreement,
                membership,
                form.email.data or "",
                form.side.data or "",
                form.role.data or "",
                current_user,
            )
        except ValidationFailed as exc:
            show_errors(form, exc)
        except Conflict as exc:
            form.email.errors = [*form.email.errors, exc.message]
        else:
            flash(
                f"{invitation.email} is invited as {invitation.side.value} "
                f"{invitation.role.value}; they become a member once they accept.",
                "info",
            )
            return redirect(url_for("agreements.members", code=code))
    return _members_page(agreement, membership, form, sides)


def _members_page(
    agreement: Any,
    membership: Any,
    form: InviteForm,
    sides: Any = None,
    role_errors: dict[int, tuple[str, list[str]]] | None = None,
    status: int = 200,
) -> Any:
    """The members page; ``role_errors`` maps a member to the role asked and why not."""
    if sides is None:
        sides = member_services.invitable_sides(current_user, agreement, membership)
    form.side.choices = [(side.value, side.value) for side, _first in sides]  # what it offers
    sort = sort_arg(member_services.MEMBER_SORTING)
    invitation_sort = sort_arg(member_services.INVITATION_SORTING, "invitations")
    member_list = member_services.list_members(agreement, sort)
    return render_template(
        "agreements/members.html",
        sort=sort,
        agreement=agreement,
        members=member_list,
        governed={
            m.id
            for m in member_list
            if member_services.may_govern_side(current_user, agreement, membership, m.side)
        },
        invitations=member_services.list_invitations(agreement, invitation_sort),
        invitation_sort=invitation_sort,
        now=utcnow(),
        form=form,
        role_form=RoleForm(),
        first_manager_only=[side.value for side, first in sides if first],
        missing_staff=member_services.missing_staff(agreement.id),
        role_errors=role_errors or {},
    ), status


@pages.post("/agreements/<code>/members/<id:member_id>/role")
@login_required
def change_role(code: str, member_id: int) -> Any:
    agreement, membership = agreement_for(current_user, code)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            member = member_services.change_role(
                agreement, membership, member_id, form.role.data or "", current_user
            )
        except (ValidationFailed, Conflict) as exc:
            # beside the row's role, the role asked for still chosen
            messages = [m for ms in getattr(exc, "errors", {}).values() for m in ms] or [
                exc.message
            ]
            errors = {member_id: (form.role.data or "", messages)}
            return _members_page(
                agreement, membership, InviteForm(formdata=None), role_errors=errors, status=409
            )
        else:
            flash(f"{member.user.name} is now {member.side.value} {member.role.value}.", "info")
    return redirect(url_for("agreements.members", code=code))


@pages.route("/agreements/<code>/members/<id:member_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(code: str, member_id: int) -> Any:
    agreement, membership = agreement_for(current_user, code)
    member = next((m for m in member_services.list_members(agreement) if m.id == member_id), None)
    if member is None:
        flash("No such member.", "error")
        return redirect(url_for("agreements.members", code=code))
    if not member_services.may_govern_side(current_user, agreement, membership, member.side):
        raise Forbidden(f"Only a manager of the {member.side.value} side removes its people.")
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            member_services.remove_member(agreement, membership, member_id, current_user)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(f"{member.user.name} was removed from {agreement.code}.", "info")
        return redirect(url_for("agreements.members", code=code))
    return render_template(
        "confirm.html",
        form=form,
        title=f"Remove {member.user.name}?",
        message=(
            f"{member.user.name} ({member.side.value} {member.role.value}) "
            f"loses access to {agreement.code}."
        ),
        action="Remove member",
        cancel=url_for("agreements.members", code=code),
    )


@pages.get("/invitations")
@login_required
def invitations() -> Any:
    return render_template(
        "agreements/invitations.html",
        invitations=member_services.invitations_for(current_user),
        form=ConfirmForm(),
    )


@pages.post("/invitations/<id:invitation_id>/<any(accept, decline, withdraw):decision>")
@login_required
def decide_invitation(invitation_id: int, decision: str) -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The form expired; nothing was done. Please try again.", "error")
        return redirect(url_for("agreements.invitations"))
    act = {
        "accept": member_services.accept_invitation,
        "decline": member_services.decline_invitation,
        "withdraw": member_services.withdraw_invitation,
    }[decision]
    try:
        invitation = act(invitation_id, current_user)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("agreements.invitations"))
    code = invitation.agreement.code
    if decision == "accept":
        flash(f"You are now {invitation.side.value} {invitation.role.value} on {code}.", "info")
        return redirect(url_for("agreements.show", code=code))
    if decision == "withdraw":
        flash(f"The invitation of {invitation.email} is withdrawn.", "info")
        return redirect(url_for("agreements.members", code=code))
    flash(f"You declined the invitation to {code}.", "info")
    return redirect(url_for("agreements.invitations"))
