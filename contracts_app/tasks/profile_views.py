"""Pages: the agreement's import profiles, and importing an export through one of them.

The import is two steps: the file is previewed (nothing is stored), the manager adds
the mappings the preview found missing, and imports. The file travels with the
preview form (base64 in a hidden field), so no upload is kept on the server between
the steps.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from contracts_app.agreements.access import MANAGERS, agreement_for, can
from contracts_app.errors import ValidationFailed
from contracts_app.forms_common import show_errors
from contracts_app.pagination import sort_arg
from contracts_app.scope.vocabulary import vocabulary_of
from contracts_app.tasks import profile_import, profiles

pages = Blueprint("import_profiles", __name__)


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=40)])
    source = SelectField("Exported by", choices=[(s, s) for s in profiles.SOURCES])
    timezone = StringField(
        "Time zone of the export",
        default="UTC",
        validators=[Length(max=64)],
        description="e.g. Europe/Warsaw",
    )
    date_format = StringField(
        "Date format",
        validators=[Optional(), Length(max=64)],
        description="strptime syntax, e.g. %d/%b/%y %I:%M %p; empty: the tool's default",
    )
    settings = TextAreaField(
        "Columns and value mappings (JSON)",
        validators=[Optional(), Length(max=200_000)],
        description='e.g. {"category": {"values": {"Bug": "support.incident"}}}',
    )


class DeleteForm(FlaskForm):
    pass


class UploadForm(FlaskForm):
    file = FileField("Export (CSV or XLSX)")
    payload = HiddenField()
    skip_invalid = BooleanField("Import the valid rows and skip the invalid ones")


@pages.route("/agreements/<code>/import-profiles", methods=["GET", "POST"])
@login_required
def index(code: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    form = ProfileForm()
    editing = request.args.get("edit")
    if request.method == "GET" and editing:
        _fill(form, profiles.as_json(profiles.profile_of(agreement, editing)))
    if form.validate_on_submit():
        body: dict[str, Any] = {}
        try:
            body = json.loads(form.settings.data) if form.settings.data else {}
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            form.settings.errors = ["A JSON object, as in the API's profile."]
        else:
            body.update(source=form.source.data, timezone=form.timezone.data or "UTC")
            if form.date_format.data:
                body["date_format"] = form.date_format.data
            try:
                profile, created = profiles.put_profile(
                    agreement, membership, form.name.data, body, current_user
                )
            except ValidationFailed as exc:
                show_errors(form, exc)
            else:
                flash(f"Import profile {profile.name} {'made' if created else 'saved'}.", "info")
                return redirect(url_for("import_profiles.index", code=code))
    sort = sort_arg(profiles.PROFILE_SORTING)
    return render_template(
        "tasks/import_profiles.html",
        agreement=agreement,
        form=form,
        profiles=[profiles.as_json(p) for p in profiles.profiles_of(agreement, sort)],
        sort=sort,
        delete_form=DeleteForm(),
    )


def _fill(form: ProfileForm, profile: dict[str, Any]) -> None:
    """The form of an existing profile, its columns and mappings as JSON to edit."""
    form.name.data = profile["name"]
    form.source.data = profile["source"]
    form.timezone.data = profile["timezone"]
    form.date_format.data = profile["date_format"] or ""
    editable = {
        key: profile[key]
        for key in ("columns", "hours_unit", "hours_rounding", *profiles.MAPPED)
        if profile.get(key) is not None
    }
    form.settings.data = json.dumps(editable, indent=2, ensure_ascii=False)


@pages.post("/agreements/<code>/import-profiles/<name>/delete")
@login_required
def delete(code: str, name: str) -> Any:
    agreement, membership = agreement_for(current_user, code)
    if DeleteForm().validate_on_submit():
        profiles.delete_profile(agreement, membership, name, current_user)
        flash(f"Import profile {name} deleted.", "info")
    return redirect(url_for("import_profiles.index", code=code))


def _upload(form: UploadForm) -> bytes | None:
    if form.file.data:
        return form.file.data.read()
    try:
        return base64.b64decode(form.payload.data or "", validate=True) or None
    except (binascii.Error, ValueError):
        return None


@pages.route("/agreements/<code>/import-profiles/<name>/import", methods=["GET", "POST"])
@login_required
def run(code: str, name: str) -> Any:
    """Preview (the first step), add mappings, import."""
    agreement, membership = agreement_for(current_user, code)
    profile = profiles.profile_of(agreement, name)
    form = UploadForm()
    preview = report = problems = None
    if form.validate_on_submit():
        raw = _upload(form)
        step = request.form.get("step", "preview")
        if raw is None:
            form.file.errors = ["Choose the exported file."]
        else:
            form.payload.data = base64.b64encode(raw).decode("ascii")
            try:
                if step == "map":
                    _add_mappings(agreement, membership, name)
                    profile = profiles.profile_of(agreement, name)
                report_json = profile_import.import_with_profile(
                    agreement,
                    membership,
                    name,
                    raw,
                    current_user,
                    dry_run=step != "import",
                    skip_invalid=bool(form.skip_invalid.data),
                ).to_json()
            except ValidationFailed as exc:
                problems = exc
                if step == "import":  # show the preview again beside the refusal
                    preview = profile_import.import_with_profile(
                        agreement, membership, name, raw, current_user, dry_run=True
                    ).to_json()
            else:
                if step == "import":
                    report = report_json
                    form.payload.data = ""
                else:
                    preview = report_json
    return render_template(
        "tasks/profile_import.html",
        agreement=agreement,
        profile=profiles.as_json(profile),
        can_map=can(current_user, membership, MANAGERS),
        form=form,
        preview=preview,
        report=report,
        problems=problems,
        vocabulary=vocabulary_of(agreement) if preview else None,
    )


def _add_mappings(agreement: Any, membership: Any, name: str) -> None:
    """Mappings typed on the preview: fields ``map-<n>`` with ``field-<n>``, ``value-<n>``."""
    added: dict[str, dict[str, str]] = {}
    for key, mapped in request.form.items():
        if not key.startswith("map-") or not mapped.strip():
            continue
        n = key[4:]
        field, value = request.form.get(f"field-{n}", ""), request.form.get(f"value-{n}", "")
        if field in profiles.MAPPED and value:
            added.setdefault(field, {})[value] = mapped.strip()
    for field, values in added.items():
        profiles.add_mappings(agreement, membership, name, field, values, current_user)
