"""Clauses as values, and the pure rules of scope changes: apply, diff, categories.

Nothing here touches the database, so the rules can be tested and benchmarked alone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts_app.api_fields import decimal_field
from contracts_app.enums import CapPeriod, CapUnit, ClauseKind
from contracts_app.errors import ScopeConflict, ValidationFailed, flatten_messages
from contracts_app.figures import (
    COUNT_SCALE,
    HOURS_SCALE,
    currency_scale,
    decimal_text,
    money_what,
    scale_error,
)
from contracts_app.identifiers import Identifier

CATEGORY_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# What a count cap counts: a noun of letters (any script) and single spaces.
UNIT_LABEL_PATTERN = re.compile(r"[^\W\d_]+( [^\W\d_]+)*")
UNIT_LABEL_MAX = 40
MAX_AMOUNT = Decimal("999999999999.99")  # within what Numeric(16, 4) holds
# Sizes that keep a scope renderable within the PDF time limit and a check fast.
MAX_CLAUSES = 2_000
MAX_DESCRIPTION = 20_000

CLAUSE_FIELDS = (
    "title",
    "description",
    "kind",
    "categories",
    "systems",
    "keywords",
    "cap",
    "per_task_limit",
    "rate",
)


def _positive_amount(**kwargs: Any) -> fields.Decimal:
    return decimal_field(maximum=MAX_AMOUNT, exclusive_minimum=True, **kwargs)


def _a_noun(example: str) -> Any:
    def check(value: str) -> None:
        # Checked here rather than as a documented pattern: letters of any script, which
        # the regular expressions of OpenAPI (ECMA, without the u flag) cannot say.
        if not UNIT_LABEL_PATTERN.fullmatch(value):
            raise ValidationError(f'One noun of letters and spaces, e.g. "{example}".')

    return check


def _label_length() -> list[Any]:
    # Two checks so that a label too long is told its limit, not a range: an empty one
    # is refused with the noun check's example instead.
    return [
        validate.Length(min=1, error='One noun of letters and spaces, e.g. "releases".'),
        validate.Length(max=UNIT_LABEL_MAX, error=f"At most {UNIT_LABEL_MAX} characters."),
    ]


class CapSchema(Schema):
    unit = fields.String(
        required=True,
        validate=validate.OneOf([u.value for u in CapUnit]),
        error_messages={
            "null": "Choose what the cap counts.",
            "required": "Choose what the cap counts.",
        },
    )
    limit = _positive_amount(required=True)
    period = fields.String(
        required=True,
        validate=validate.OneOf([p.value for p in CapPeriod]),
        error_messages={"null": "Choose the cap's period.", "required": "Choose the cap's period."},
    )
    unit_label = fields.String(
        allow_none=True,
        load_default=None,
        validate=[*_label_length(), _a_noun("releases")],
        metadata={
            "description": "What a count cap counts, as written after any number but one: "
            'a plural noun, letters and spaces ("releases"), shown as given '
            '("4 releases / month"). Only for unit count.'
        },
    )
    unit_label_singular = fields.String(
        allow_none=True,
        load_default=None,
        validate=[*_label_length(), _a_noun("release")],
        metadata={
            "description": 'The same noun as written after exactly one ("release"); '
            "without it, one reads with ``unit_label`` too. Only with ``unit_label``."
        },
    )

    @validates_schema
    def _label_only_for_counts(self, data: dict[str, Any], **_kwargs: Any) -> None:
        unit = data.get("unit")
        given = [name for name in ("unit_label", "unit_label_singular") if data.get(name)]
        # The real problem first: a label on hours or money is wrong whichever is given,
        # so asking for the missing plural would only lead to this refusal next.
        if given and unit is not None and unit != CapUnit.COUNT:
            raise ValidationError(
                f"Only a cap of count takes a unit label; a cap of {unit} has its own: "
                "leave the label empty.",
                given[0],
            )
        if data.get("unit_label_singular") and not data.get("unit_label"):
            raise ValidationError(
                "Give what it counts for other numbers too (the plural), "
                "or leave the singular empty.",
                "unit_label",
            )

    @validates_schema
    def _limit_at_the_unit_scale(self, data: dict[str, Any], **_kwargs: Any) -> None:
        # Hours and counts take two decimals whatever the currency; an amount's
        # scale is the currency's, checked where the agreement is known.
        unit, limit = data.get("unit"), data.get("limit")
        if unit in (CapUnit.HOURS, CapUnit.COUNT) and limit is not None:
            message = scale_error(limit, HOURS_SCALE, f"a cap of {unit}")
            if message:
                raise ValidationError(message, "limit")


class ClauseSchema(Schema):
    """A scope item as the API and the services take and give it."""

    ref = fields.String(
        required=True, validate=[validate.Length(1, 40), validate.Regexp(REF_PATTERN)]
    )
    title = fields.String(required=True, validate=validate.Length(1, 300))
    description = fields.String(load_default="", validate=validate.Length(max=MAX_DESCRIPTION))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ClauseKind]))
    categories = fields.List(
        fields.String(validate=[validate.Length(1, 100), validate.Regexp(CATEGORY_PATTERN)]),
        load_default=list,
    )
    systems = fields.List(Identifier(validate=validate.Length(1, 100)), load_default=list)
    keywords = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list)
    cap = fields.Nested(CapSchema, allow_none=True, load_default=None)
    per_task_limit = _positive_amount(allow_none=True, load_default=None)
    rate = decimal_field(maximum=MAX_AMOUNT, allow_none=True, load_default=None)

    @validates_schema
    def _exclusions_have_no_cap(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("kind") == ClauseKind.EXCLUDED and data.get("cap"):
            raise ValidationError("An excluded clause cannot have a cap.", "cap")


@dataclasses.dataclass(frozen=True, slots=True)
class Cap:
    unit: CapUnit
    limit: Decimal
    period: CapPeriod
    unit_label: str | None = None  # plural: "4 releases"
    unit_label_singular: str | None = None  # "1 release", when given

    def to_json(self) -> dict[str, str]:
        return {
            "unit": self.unit.value,
            "limit": decimal_text(self.limit) or "",
            "period": self.period.value,
            **self.labels(),
        }

    def labels(self) -> dict[str, str]:
        """What a count cap counts, as the labels given (none when there are none)."""
        labels = {}
        if self.unit_label:
            labels["unit_label"] = self.unit_label
        if self.unit_label_singular:
            labels["unit_label_singular"] = self.unit_label_singular
        return labels


@dataclasses.dataclass(frozen=True, slots=True)
class ClauseSpec:
    """One clause's content, independent of where it is stored."""

    ref: str
    title: str
    kind: ClauseKind
    description: str = ""
    categories: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    cap: Cap | None = None
    per_task_limit: Decimal | None = None
    rate: Decimal | None = None

    @classmethod
    def from_loaded(cls, data: Mapping[str, Any]) -> ClauseSpec:
        """Build from data already validated by ``ClauseSchema``."""
        cap = data.get("cap")
        return cls(
            ref=data["ref"],
            title=data["title"],
            kind=ClauseKind(data["kind"]),
            description=data.get("description") or "",
            categories=tuple(dict.fromkeys(c.lower() for c in data.get("categories") or ())),
            systems=tuple(dict.fromkeys(data.get("systems") or ())),
            keywords=tuple(dict.fromkeys(data.get("keywords") or ())),
            cap=Cap(
                CapUnit(cap["unit"]),
                _money(cap["limit"]),
                CapPeriod(cap["period"]),
                (cap.get("unit_label") or "").strip() or None,
                (cap.get("unit_label_singular") or "").strip() or None,
            )
            if cap
            else None,
            per_task_limit=_money(data.get("per_task_limit")),
            rate=_money(data.get("rate")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "title": self.title,
            "description": self.description,
            "kind": self.kind.value,
            "categories": list(self.categories),
            "systems": list(self.systems),
            "keywords": list(self.keywords),
            "cap": self.cap.to_json() if self.cap else None,
            "per_task_limit": _money_text(self.per_task_limit),
            "rate": _money_text(self.rate),
        }


def _money(value: Any) -> Decimal | None:
    """The figure exactly as entered (its scale was checked when it was parsed)."""
    return None if value is None else Decimal(value)


def _money_text(value: Decimal | None) -> str | None:
    return decimal_text(value)


def per_task_unit(cap: Cap | None) -> CapUnit:
    """What a per-task limit measures: the cap's unit, hours when there is no cap."""
    return cap.unit if cap else CapUnit.HOURS


def _unit_scale(unit: CapUnit, currency: str) -> tuple[int, str]:
    if unit == CapUnit.AMOUNT:
        return currency_scale(currency), money_what(currency)
    if unit == CapUnit.COUNT:
        return COUNT_SCALE, "counts"
    return HOURS_SCALE, "hours"


def figure_errors(
    values: Mapping[str, Any], currency: str, field: str = "", unit: CapUnit | None = None
) -> dict[str, list[str]]:
    """Figures of a clause (whole or some fields) with more decimals than their scale.

    The cap limit and the per-task limit take the scale of their unit (an amount:
    the currency's minor unit); the rate is money. ``unit`` is the clause's cap unit
    when ``values`` does not give the cap (a modification of some fields).
    """
    prefix = f"{field}." if field else ""
    errors: dict[str, list[str]] = {}
    cap = values.get("cap")
    if isinstance(cap, Cap):
        cap_unit, limit = cap.unit, cap.limit
    elif isinstance(cap, Mapping):
        cap_unit, limit = CapUnit(cap["unit"]), cap.get("limit")
    else:
        cap_unit, limit = (unit if "cap" not in values else None), None
    if limit is not None and cap_unit is not None:
        message = scale_error(Decimal(limit), *_unit_scale(cap_unit, currency))
        if message:
            errors[f"{prefix}cap.limit"] = [message]
    per_task = values.get("per_task_limit")
    if per_task is not None:
        message = scale_error(Decimal(per_task), *_unit_scale(cap_unit or CapUnit.HOURS, currency))
        if message:
            errors[f"{prefix}per_task_limit"] = [message]
    rate = values.get("rate")
    if rate is not None:
        message = scale_error(Decimal(rate), currency_scale(currency), money_what(currency))
        if message:
            errors[f"{prefix}rate"] = [message]
    return errors


def parse_clause(raw: Any, field: str = "", currency: str | None = None) -> ClauseSpec:
    """Validate one clause given as JSON; errors name the field path under ``field``.

    With ``currency``, money figures are held to its minor unit.
    """
    try:
        spec = ClauseSpec.from_loaded(ClauseSchema().load(raw))
    except ValidationError as exc:
        raise ValidationFailed(flatten_messages(exc.messages, field)) from None
    if currency is not None:
        errors = figure_errors(
            {"cap": spec.cap, "per_task_limit": spec.per_task_limit, "rate": spec.rate},
            currency,
            field,
        )
        if errors:
            raise ValidationFailed(errors)
    return spec


def parse_scope(
    raw_items: Any, field: str = "scope", currency: str | None = None
) -> list[ClauseSpec]:
    """Validate a list of clauses: each one well formed, and no ref twice."""
    if not isinstance(raw_items, list):
        raise ValidationFailed({field: ["Must be a list of clauses."]})
    if len(raw_items) > MAX_CLAUSES:
        raise ValidationFailed(
            {field: [f"At most {MAX_CLAUSES} clauses; this scope has {len(raw_items)}."]}
        )
    errors: dict[str, list[str]] = {}
    clauses: list[ClauseSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        try:
            clause = parse_clause(raw, f"{field}.{index}", currency)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if clause.ref in seen:
            errors[f"{field}.{index}.ref"] = [f"Clause ref {clause.ref} appears twice."]
        seen.add(clause.ref)
        clauses.append(clause)
    if errors:
        raise ValidationFailed(errors)
    return clauses


# --- changes ---------------------------------------------------------------------------

CHANGE_OPS = ("add", "modify", "remove")
# keys that mark a change to something else than a clause: the governance, or the
# terms of service (scope/service_levels.py)
NOT_CLAUSE_KEYS = frozenset(
    {"governance", "service_level", "service_level_ref", "calendar", "monthly_fee"}
)


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    op: str
    ref: str
    item: ClauseSpec | None = None  # for add
    fields: Mapping[str, Any] | None = None  # for modify: validated values, only those changing

    def to_json(self) -> dict[str, Any]:
        if self.op == "add":
            assert self.item is not None
            return {"op": "add", "item": self.item.to_json()}
        if self.op == "modify":
            assert self.fields is not None
            return {"op": "modify", "ref": self.ref, "fields": _fields_json(self.fields)}
        return {"op": "remove", "ref": self.ref}


def _fields_json(values: Mapping[str, Any]) -> dict[str, Any]:
    return ClauseSchema(only=tuple(values)).dump(values)


def is_clause_change(raw: Any) -> bool:
    """Whether an annex's change is about clauses; other changes an annex carries (its
    governance changes, ``{"op": "modify", "governance": {...}}``) are not the scope's."""
    return not (isinstance(raw, Mapping) and bool(NOT_CLAUSE_KEYS & set(raw)))


def parse_changes(
    raw_changes: Any, field: str = "changes", currency: str | None = None
) -> list[Change]:
    """Validate a list of annex changes (``add``, ``modify``, ``remove``) to the clauses.

    Governance changes in the same list are not scope changes: they are skipped here
    (and validated by ``agreements.governance``), keeping the positions for messages.
    With ``currency``, money figures are held to its minor unit; a per-task limit
    changed without its cap is held to the larger of the hours and money scales.
    """
    if not isinstance(raw_changes, list):
        raise ValidationFailed({field: ["Must be a list of changes."]})
    errors: dict[str, list[str]] = {}
    changes: list[Change] = []
    positions: list[int] = []
    for index, raw in enumerate(raw_changes):
        if not is_clause_change(raw):
            continue
        path = f"{field}.{index}"
        positions.append(index)
        try:
            changes.append(_parse_change(raw, path, currency))
        except ValidationFailed as exc:
            positions.pop()
            errors.update(exc.errors)
    touched: dict[str, int] = {}
    for index, change in zip(positions, changes, strict=False):
        if change.ref in touched:
            errors.setdefault(f"{field}.{index}", []).append(
                f"Clause {change.ref} is changed twice in one annex."
            )
        touched[change.ref] = index
    if errors:
        raise ValidationFailed(errors)
    return changes


def _parse_change(raw: Any, path: str, currency: str | None = None) -> Change:
    if not isinstance(raw, dict):
        raise ValidationFailed({path: ["Must be an object."]})
    op = raw.get("op")
    allowed_keys = {
        "add": {"op", "item"},
        "modify": {"op", "ref", "fields"},
        "remove": {"op", "ref"},
    }
    if not isinstance(op, str) or op not in allowed_keys:
        raise ValidationFailed({f"{path}.op": [f"Must be one of: {', '.join(CHANGE_OPS)}."]})
    unknown = set(raw) - allowed_keys[op]
    if unknown:
        raise ValidationFailed({f"{path}.{key}": ["Unknown field."] for key in sorted(unknown)})
    if op == "add":
        item = parse_clause(raw.get("item"), f"{path}.item", currency)
        return Change("add", item.ref, item=item)
    ref = raw.get("ref")
    if not isinstance(ref, str) or not re.match(REF_PATTERN, ref):
        raise ValidationFailed({f"{path}.ref": ["A clause ref is required."]})
    if op == "remove":
        return Change("remove", ref)
    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, dict) or not raw_fields:
        raise ValidationFailed({f"{path}.fields": ["Give the fields that change."]})
    if "ref" in raw_fields:
        raise ValidationFailed({f"{path}.fields.ref": ["A clause's ref cannot change."]})
    try:
        loaded = ClauseSchema(partial=True).load({"ref": ref, **raw_fields})
    except ValidationError as exc:
        raise ValidationFailed(flatten_messages(exc.messages, f"{path}.fields")) from None
    loaded.pop("ref")
    cap = loaded.get("cap")
    if cap is not None and not {"unit", "limit", "period"} <= set(cap):
        # a partial load leaves the nested cap partial too; a cap is replaced whole
        raise ValidationFailed({f"{path}.fields.cap": ["Give the cap's unit, limit and period."]})
    if currency is not None:
        unit = None
        if "cap" not in loaded and loaded.get("per_task_limit") is not None:
            # the cap's unit is not known here: the looser of hours and money
            hours_loose = currency_scale(currency) <= HOURS_SCALE
            unit = CapUnit.HOURS if hours_loose else CapUnit.AMOUNT
        errors = figure_errors(loaded, currency, f"{path}.fields", unit)
        if errors:
            raise ValidationFailed(errors)
    return Change("modify", ref, fields=loaded)


def changes_from_json(raw_changes: Sequence[Mapping[str, Any]]) -> list[Change]:
    """Rebuild changes stored as JSON (already validated when stored)."""
    return parse_changes(list(raw_changes))


def _replace_fields(clause: ClauseSpec, values: Mapping[str, Any]) -> ClauseSpec:
    new = ClauseSpec.from_loaded({**clause.to_json(), **values})
    if new.kind == ClauseKind.EXCLUDED and new.cap is not None:
        raise ValueError("an excluded clause cannot have a cap")
    return new


def apply_changes(
    clauses: Mapping[str, ClauseSpec], changes: Iterable[Change], annex_label: str, on: str
) -> dict[str, ClauseSpec]:
    """The scope after ``changes``; refuses, naming the ref and the annex, what cannot apply.

    ``on`` describes the date the changes apply at, for the message.
    """
    result = dict(clauses)
    for change in changes:
        exists = change.ref in result
        if change.op == "add":
            if exists:
                raise ScopeConflict(change.ref, annex_label, f"already exists on {on}")
            assert change.item is not None
            result[change.ref] = change.item
        elif not exists:
            raise ScopeConflict(change.ref, annex_label, f"does not exist on {on}")
        elif change.op == "remove":
            del result[change.ref]
        else:
            assert change.fields is not None
            try:
                result[change.ref] = _replace_fields(result[change.ref], change.fields)
            except ValueError as exc:
                raise ScopeConflict(change.ref, annex_label, f"cannot change: {exc}") from None
    return dict(sorted(result.items(), key=lambda pair: ref_sort_key(pair[0])))


def ref_sort_key(ref: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order of clause refs: 1.2 before 1.10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in ref.split("."))


# --- diff --------------------------------------------------------------------------------


def diff_scopes(
    before: Mapping[str, ClauseSpec], after: Mapping[str, ClauseSpec]
) -> dict[str, list[dict[str, Any]]]:
    """Added, removed and modified clauses, with field-level before and after."""
    added = [after[ref].to_json() for ref in after if ref not in before]
    removed = [before[ref].to_json() for ref in before if ref not in after]
    modified = []
    for ref in after:
        if ref in before and before[ref] != after[ref]:
            old, new = before[ref].to_json(), after[ref].to_json()
            field_changes = {
                name: {"before": old[name], "after": new[name]}
                for name in CLAUSE_FIELDS
                if old[name] != new[name]
            }
            # the title people know the clause by (the new one, if it changed)
            modified.append({"ref": ref, "title": new["title"], "changes": field_changes})
    return {"added": added, "removed": removed, "modified": modified}


# --- categories --------------------------------------------------------------------------


def category_covers(code: str, category: str) -> bool:
    """A code covers itself and its descendants on dot boundaries, case-insensitively.

    ``support`` covers ``support.incident`` but not ``supportive``.
    """
    code, category = code.lower(), category.lower()
    return category == code or category.startswith(code + ".")
