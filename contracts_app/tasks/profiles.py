"""Import profiles: how an export of Jira, ServiceNow, GLPI or a plain CSV reads as tasks.

A profile is the JSON of ``PUT /api/v1/agreements/{code}/import-profiles/{name}``::

    {"source": "jira" | "servicenow" | "glpi" | "csv",
     "timezone": "Europe/Warsaw", "date_format": null | "%d/%b/%y %I:%M %p",
     "columns": {"ref": ..., "title": ..., "opened_at": ..., "hours": ..., ...},
     "hours_unit": "seconds" | "minutes" | "hours",
     "hours_rounding": null | {"mode": "up" | "nearest", "step": "0.25"},
     "category": {"column": "Issue Type" | ["category", "subcategory"], "values": {...}},
     "system": {...}, "priority": {...}}

A tool's preset fills the columns, the date format and the unit of durations; what
the body gives wins. A plain CSV profile names its columns itself. Only managers
make, change or delete profiles; every member may read them.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.access import MANAGERS, require_role
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.errors import NotFound, ValidationFailed
from contracts_app.scope.clauses import CATEGORY_PATTERN
from contracts_app.sorting import Sorting
from contracts_app.tasks.import_models import ImportProfile

SOURCES = ("jira", "servicenow", "glpi", "csv")
FIELDS = (
    "ref",
    "title",
    "description",
    "category",
    "system",
    "priority",
    "opened_at",
    "responded_at",
    "resolved_at",
    "hours",
    "amount",
    "date",
)
MAPPED = ("category", "system", "priority")
TIMES = ("opened_at", "responded_at", "resolved_at")
HOURS_UNITS = ("seconds", "minutes", "hours")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_VALUES = 5000  # mapped values per field
MAX_TEXT = 200

PRESETS: dict[str, dict[str, Any]] = {
    # "Export CSV (all fields)": the exporting user's format, by default 24/Nov/26 3:15 PM
    "jira": {
        "date_format": "%d/%b/%y %I:%M %p",
        "hours_unit": "seconds",
        "columns": {
            "ref": "Issue key",
            "title": "Summary",
            "description": "Description",
            "category": "Issue Type",
            "system": "Component/s",
            "priority": "Priority",
            "opened_at": "Created",
            "resolved_at": "Resolved",
            "hours": "Time Spent",
        },
    },
    # list "Export > CSV" of incidents: field names as headers, dates 2026-11-24 15:03:12
    "servicenow": {
        "date_format": None,
        "hours_unit": "seconds",
        "columns": {
            "ref": "number",
            "title": "short_description",
            "description": "description",
            "category": ["category", "subcategory"],
            "system": "cmdb_ci",
            "priority": "priority",
            "opened_at": "opened_at",
            "resolved_at": "resolved_at",
            "hours": "time_worked",
        },
    },
    # ticket search, CSV export: semicolons, dates 2026-11-24 15:03, durations written out
    "glpi": {
        "date_format": None,
        "hours_unit": "seconds",
        "columns": {
            "ref": "ID",
            "title": "Title",
            "category": "Category",
            "system": "Associated elements",
            "priority": "Priority",
            "opened_at": "Opening date",
            "resolved_at": "Resolution date",
            "hours": "Total duration",
        },
    },
    "csv": {"date_format": None, "hours_unit": "hours", "columns": {}},
}


def _text(value: Any, where: str, errors: dict[str, list[str]]) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        errors[where] = [f"A column name of 1 to {MAX_TEXT} characters."]
        return None
    return value.strip()


def _columns(value: Any, where: str, errors: dict[str, list[str]]) -> Any:
    if isinstance(value, list):
        if not 1 <= len(value) <= 5:
            errors[where] = ["One to five column names."]
            return None
        names = [_text(v, where, errors) for v in value]
        return names if where not in errors else None
    return _text(value, where, errors)


def normalise(body: dict[str, Any]) -> dict[str, Any]:
    """The profile's settings, the preset filled in; refuses naming each field."""
    errors: dict[str, list[str]] = {}
    source = body.get("source")
    if source not in SOURCES:
        raise ValidationFailed({"source": [f"One of: {', '.join(SOURCES)}."]})
    preset = copy.deepcopy(PRESETS[source])
    unknown = sorted(
        set(body)
        - {"source", "timezone", "date_format", "columns", "hours_unit", "hours_rounding", *MAPPED}
    )
    if unknown:
        errors["body"] = [f"Unknown fields: {', '.join(unknown)}."]
    zone = body.get("timezone") or "UTC"
    try:
        if not isinstance(zone, str) or len(zone) > 64:
            raise ZoneInfoNotFoundError
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = ["An IANA time zone such as Europe/Warsaw."]
    date_format = body.get("date_format", preset["date_format"])
    if date_format is not None and (
        not isinstance(date_format, str)
        or not date_format.strip()
        or len(date_format) > 64
        or "%" not in date_format
    ):
        errors["date_format"] = ["A strptime format such as %d/%b/%y %I:%M %p, or null."]
    hours_unit = body.get("hours_unit", preset["hours_unit"])
    if hours_unit not in HOURS_UNITS:
        errors["hours_unit"] = [f"One of: {', '.join(HOURS_UNITS)}."]
    rounding = body.get("hours_rounding")
    if rounding is not None:
        rounding = _rounding(rounding, errors)
    columns = dict(preset["columns"])
    given = body.get("columns") or {}
    if not isinstance(given, dict):
        errors["columns"] = ["An object of field: column name."]
        given = {}
    for field, value in given.items():
        if field not in FIELDS:
            errors[f"columns.{field}"] = [f"Unknown field; known: {', '.join(FIELDS)}."]
        elif value is None:
            columns.pop(field, None)
        else:
            columns[field] = _columns(value, f"columns.{field}", errors)
    mappings: dict[str, Any] = {}
    for field in MAPPED:
        spec = body.get(field)
        if spec is None:
            continue
        if not isinstance(spec, dict) or set(spec) - {"column", "values"}:
            errors[field] = ['An object {"column": ..., "values": {...}}.']
            continue
        if spec.get("column") is not None:
            columns[field] = _columns(spec["column"], f"{field}.column", errors)
        values = spec.get("values") or {}
        if not isinstance(values, dict) or len(values) > MAX_VALUES:
            errors[f"{field}.values"] = [f"An object of at most {MAX_VALUES} value: mapped value."]
            continue
        mappings[field] = {"values": _values(field, values, errors)}
    for needed in ("ref", "title"):
        if not columns.get(needed):
            errors[f"columns.{needed}"] = ["Name the column (a plain CSV profile has no preset)."]
    if not columns.get("date") and not columns.get("opened_at"):
        errors["columns.date"] = ["Name a date column, or an opened_at column to date tasks by."]
    if errors:
        raise ValidationFailed(errors)
    settings: dict[str, Any] = {
        "source": source,
        "timezone": zone,
        "date_format": date_format,
        "hours_unit": hours_unit,
        "hours_rounding": rounding,
        "columns": columns,
    }
    for field in MAPPED:
        settings[field] = {"column": columns.get(field), **mappings.get(field, {"values": {}})}
    return settings


def _rounding(value: Any, errors: dict[str, list[str]]) -> dict[str, str] | None:
    if not isinstance(value, dict) or set(value) != {"mode", "step"}:
        errors["hours_rounding"] = ['{"mode": "up" | "nearest", "step": "0.25"}, or null.']
        return None
    if value["mode"] not in ("up", "nearest"):
        errors["hours_rounding.mode"] = ["up or nearest."]
    try:
        step = Decimal(str(value["step"]))
        ok = (
            step.is_finite()
            and Decimal("0.01") <= step <= 24
            and step == step.quantize(Decimal("0.01"))
        )
    except InvalidOperation:
        ok = False
    if not ok:
        errors["hours_rounding.step"] = ["A step of hours from 0.01 to 24 in hundredths."]
        return None
    return {"mode": value["mode"], "step": f"{step.quantize(Decimal('0.01'))}"}


def _values(field: str, values: dict[Any, Any], errors: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    limit = 20 if field == "priority" else 100
    for key, mapped in values.items():
        if not isinstance(mapped, str) or not mapped.strip() or len(mapped) > limit:
            errors[f"{field}.values"] = [f"Each value maps to text of 1 to {limit} characters."]
            continue
        mapped = mapped.strip()
        if field == "category":
            mapped = mapped.lower()
            if not re.match(CATEGORY_PATTERN, mapped):
                errors[f"{field}.values"] = [
                    f"{key!r} maps to {mapped!r}: use a dot-separated code "
                    "such as support.incident."
                ]
                continue
        if len(str(key)) > 500:
            errors[f"{field}.values"] = ["A value to map has at most 500 characters."]
            continue
        out[str(key)] = mapped
    return out


def as_json(profile: ImportProfile) -> dict[str, Any]:
    return {"name": profile.name, **profile.settings, "updated_at": profile.updated_at}


PROFILE_SORTING = Sorting(
    columns={
        "name": ImportProfile.name,
        "source": ImportProfile.source,
        "created": ImportProfile.created_at,
        "updated": ImportProfile.updated_at,
    },
    default="name",
    tiebreaker=ImportProfile.id,
)


def profiles_of(agreement: Agreement, sort: str | None = None) -> list[ImportProfile]:
    """The agreement's import profiles, by name unless ``sort`` says otherwise."""
    order = PROFILE_SORTING.order_by(sort)
    return list(
        db.session.scalars(
            sa.select(ImportProfile)
            .where(ImportProfile.agreement_id == agreement.id)
            .order_by(*order)
        )
    )


def profile_of(agreement: Agreement, name: str) -> ImportProfile:
    profile = db.session.scalar(
        sa.select(ImportProfile).where(
            ImportProfile.agreement_id == agreement.id, ImportProfile.name == name
        )
    )
    if profile is None:
        raise NotFound(f"No import profile {name!r} on this agreement.")
    return profile


def put_profile(
    agreement: Agreement,
    membership: Membership | None,
    name: str,
    body: dict[str, Any],
    actor: User,
) -> tuple[ImportProfile, bool]:
    """Make or replace profile ``name``; True when it is new. Managers only."""
    require_role(actor, agreement, membership, MANAGERS)
    if not NAME_PATTERN.match(name or ""):
        raise ValidationFailed(
            {"name": ["1 to 40 of a-z, 0-9, - and _, starting with a letter or digit."]}
        )
    settings = normalise(body)
    with unit_of_work():
        profile = db.session.scalar(
            sa.select(ImportProfile).where(
                ImportProfile.agreement_id == agreement.id, ImportProfile.name == name
            )
        )
        created = profile is None
        before = None if created else profile.settings  # type: ignore[union-attr]
        if profile is None:
            profile = ImportProfile(agreement_id=agreement.id, name=name)
            db.session.add(profile)
        profile.source = settings["source"]
        profile.settings = settings
        profile.updated_by_id = actor.id
        profile.updated_at = utcnow()
        db.session.flush()
        record(
            "import_profile.saved",
            agreement,
            actor,
            agreement_id=agreement.id,
            changes={"profile": {"before": before, "after": settings}},
            comment=name,
        )
    return profile, created


def add_mappings(
    agreement: Agreement,
    membership: Membership | None,
    name: str,
    field: str,
    values: dict[str, str],
    actor: User,
) -> ImportProfile:
    """Add value mappings to a profile (the preview page's missing values)."""
    require_role(actor, agreement, membership, MANAGERS)
    if field not in MAPPED:
        raise ValidationFailed({"field": [f"One of: {', '.join(MAPPED)}."]})
    profile = profile_of(agreement, name)
    body = dict(profile.settings)
    spec = dict(body.get(field) or {})
    spec["values"] = {**(spec.get("values") or {}), **{k: v for k, v in values.items() if v}}
    body[field] = spec
    return put_profile(agreement, membership, name, body, actor)[0]


def delete_profile(
    agreement: Agreement, membership: Membership | None, name: str, actor: User
) -> None:
    require_role(actor, agreement, membership, MANAGERS)
    with unit_of_work():
        profile = profile_of(agreement, name)
        before = profile.settings
        db.session.delete(profile)
        record(
            "import_profile.deleted",
            agreement,
            actor,
            agreement_id=agreement.id,
            changes={"profile": {"before": before, "after": None}},
            comment=name,
        )
