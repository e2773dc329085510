"""JSON API for import profiles: make or replace, read, list, delete."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators

from contracts_app.agreements.access import agreement_for
from contracts_app.api_common import api_user, sort_param
from contracts_app.extensions import token_auth
from contracts_app.scope.clauses import CATEGORY_PATTERN
from contracts_app.tasks import profile_import, profiles, services

api = APIBlueprint("import_profiles_api", __name__, tag="Import profiles")


def _column_names(**kwargs: Any) -> fields.Raw:
    """A column name, or a list of one to five (joined, e.g. category and subcategory)."""
    name = {"type": "string", "maxLength": profiles.MAX_TEXT, "pattern": r"\S"}
    choices: list[dict[str, Any]] = [
        name,
        {"type": "array", "items": name, "minItems": 1, "maxItems": 5},
    ]
    if kwargs.get("allow_none"):
        choices.append({"type": "null"})
    return fields.Raw(metadata={"anyOf": choices}, **kwargs)


class MappingIn(Schema):
    column = _column_names(load_default=None, allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


class CategoryMappingIn(MappingIn):
    pass


class PriorityMappingIn(MappingIn):
    pass


# What each mapping maps a value to (tasks/profiles.py ``_values``), documented per schema.
_MAPPED_VALUES = {
    "MappingIn": {"maxLength": 100, "pattern": r"\S"},
    "CategoryMappingIn": {"maxLength": 100, "pattern": CATEGORY_PATTERN},
    "PriorityMappingIn": {"maxLength": 20, "pattern": r"\S"},
}


# A step of hours from 0.01 to 24 in hundredths.
_ROUNDING_STEP = (
    r"^(0\.(0[1-9]|[1-9][0-9]?)|(1?[1-9]|10|2[0-3])\.[0-9]{1,2}|([1-9]|1[0-9]|2[0-4])|24\.00?)$"
)


class ProfileIn(Schema):
    """Documented as tasks/profiles.py ``normalise`` checks it; a csv profile must also name
    its ref, title and date (or opened_at) columns, which no preset gives it."""

    source = fields.String(required=True, validate=validators.OneOf(profiles.SOURCES))
    timezone = fields.String(
        load_default="UTC",
        validate=validators.Length(max=64),
        metadata={"description": "an IANA time zone such as Europe/Warsaw"},
    )
    date_format = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"maxLength": 64, "pattern": "%", "description": "a strptime format"},
    )
    hours_unit = fields.String(load_default=None, validate=validators.OneOf(profiles.HOURS_UNITS))
    columns = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        metadata={
            "properties": {
                field: _column_names(allow_none=True).metadata for field in profiles.FIELDS
            },
            "description": "field: column name(s); null drops a preset's column",
        },
    )
    hours_rounding = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={
            "properties": {
                "mode": {"type": "string", "enum": ["up", "nearest"]},
                "step": {"type": "string", "pattern": _ROUNDING_STEP},
            },
            "required": ["mode", "step"],
            "additionalProperties": False,
        },
    )
    category = fields.Nested(CategoryMappingIn, load_default=None, allow_none=True)
    system = fields.Nested(MappingIn, load_default=None, allow_none=True)
    priority = fields.Nested(PriorityMappingIn, load_default=None, allow_none=True)


class MappingOut(Schema):
    column = fields.Raw(allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.String())


class ProfileOut(Schema):
    name = fields.String()
    source = fields.String()
    timezone = fields.String()
    date_format = fields.String(allow_none=True)
    hours_unit = fields.String()
    columns = fields.Dict(keys=fields.String(), values=fields.Raw())
    hours_rounding = fields.Dict(allow_none=True)
    category = fields.Nested(MappingOut)
    system = fields.Nested(MappingOut)
    priority = fields.Nested(MappingOut)
    updated_at = fields.DateTime()


class IncomingChangeOut(Schema):
    profile_name = fields.String()
    changes = fields.Dict(keys=fields.String(), values=fields.Dict())
    received_at = fields.DateTime()


def _body(body: dict[str, Any]) -> dict[str, Any]:
    """The body as given: fields left out take the preset (None means "not given")."""
    out = {k: v for k, v in body.items() if v is not None}
    if "date_format" in body and body["date_format"] is None:
        out.pop("date_format", None)
    return out


@api.put("/agreements/<code>/import-profiles/<name>")
@api.auth_required(token_auth)
@api.input(ProfileIn, arg_name="body")
@api.output(ProfileOut)
@api.doc(
    summary="Make or replace an import profile (managers)",
    description="A preset (jira, servicenow, glpi) fills the columns, the date format and "
    "the unit of durations; a plain csv profile names its columns.",
    responses=[401, 403, 404, 422],
)
def put_profile(code: str, name: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    profile, _created = profiles.put_profile(agreement, membership, name, _body(body), user)
    return profiles.as_json(profile)


class ProfileQuery(Schema):
    sort = sort_param(profiles.PROFILE_SORTING)


@api.get("/agreements/<code>/import-profiles")
@api.auth_required(token_auth)
@api.input(ProfileQuery, location="query", arg_name="query")
@api.output(ProfileOut(many=True))
@api.doc(
    summary="The agreement's import profiles, by name unless sorted", responses=[401, 404, 422]
)
def list_profiles(code: str, query: dict[str, Any]) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    return [profiles.as_json(p) for p in profiles.profiles_of(agreement, query["sort"])]


@api.get("/agreements/<code>/import-profiles/<name>")
@api.auth_required(token_auth)
@api.output(ProfileOut)
@api.doc(summary="One import profile", responses=[401, 404])
def get_profile(code: str, name: str) -> Any:
    agreement, _membership = agreement_for(api_user(), code)
    return profiles.as_json(profiles.profile_of(agreement, name))


@api.delete("/agreements/<code>/import-profiles/<name>")
@api.auth_required(token_auth)
@api.output({}, status_code=204)
@api.doc(summary="Delete an import profile (managers)", responses=[401, 403, 404])
def delete_profile(code: str, name: str) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    profiles.delete_profile(agreement, membership, name, user)
    return ""


@api.get("/tasks/<id:task_id>/incoming-changes")
@api.auth_required(token_auth)
@api.output(IncomingChangeOut(many=True))
@api.doc(
    summary="What later exports would have changed on a task already decided, newest first",
    responses=[401, 404],
)
def incoming_changes(task_id: int) -> Any:
    task, _membership = services.task_for(api_user(), task_id)
    return profile_import.incoming_changes_of(task)


_IMPORT = "/api/v1/agreements/{code}/tasks/import"
_FILE = {"type": "string", "description": "the export: CSV (UTF-8 or Windows-1252) or XLSX"}


def add_import_documentation(spec: dict[str, Any]) -> dict[str, Any]:
    """What the decorators cannot say: a profile's name is a slug, and an import reads its
    file from the raw body or from a multipart ``file``."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else ():
                if parameter.get("in") == "path" and parameter["name"] == "name":
                    parameter["schema"] = {
                        "type": "string",
                        "pattern": profiles.NAME_PATTERN.pattern,
                        "maxLength": 40,
                    }
    schemas = spec.get("components", {}).get("schemas", {})
    if "ProfileIn" in schemas:
        schemas["ProfileIn"]["properties"]["columns"]["additionalProperties"] = False
    for name, value in _MAPPED_VALUES.items():
        if name in schemas:
            values = schemas[name]["properties"]["values"]
            values["additionalProperties"] = {"type": "string", **value}
            values["propertyNames"] = {"maxLength": 500}
    operation = spec.get("paths", {}).get(_IMPORT, {}).get("post")
    if operation is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "text/csv": {"schema": _FILE},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {**_FILE, "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    return spec
