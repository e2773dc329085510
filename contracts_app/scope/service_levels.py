"""Service levels, the service calendar and the monthly fee: the scope's terms of service.

They live in each scope version beside the clauses, so annexes change them exactly as
they change clauses (same diff, same retroactive replay, same bitemporal reads).
Pure rules: nothing here touches the database.

Annex changes:
``{"op": "add", "service_level": {...}}``,
``{"op": "modify", "service_level_ref": "SL-1", "fields": {...}}``,
``{"op": "remove", "service_level_ref": "SL-1"}``,
``{"op": "modify", "calendar": {...} | null}`` and ``{"op": "modify", "monthly_fee": "..."}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts_app.api_fields import DECIMAL_METADATA, decimal_field, decimal_pattern
from contracts_app.errors import ScopeConflict, ValidationFailed, flatten_messages
from contracts_app.figures import decimal_text
from contracts_app.scope.clauses import CATEGORY_PATTERN, MAX_AMOUNT, REF_PATTERN, ref_sort_key
from contracts_app.service_levels.clock import Calendar, CalendarError

METRICS = ("response_time", "resolution_time", "availability")
CLOCKS = ("business", "always")
SERVICE_LEVEL_FIELDS = (
    "title",
    "metric",
    "applies_to",
    "target_hours",
    "clock",
    "objective_percent",
    "period",
    "credits",
)
TERMS_KEYS = frozenset({"service_level", "service_level_ref", "calendar", "monthly_fee"})


def _decimal(
    low: Decimal, high: Decimal, exclusive_minimum: bool = False, **kwargs: Any
) -> fields.Decimal:
    """A decimal string kept as given (no rounding: objectives compare unrounded)."""

    def within_bounds(value: Decimal) -> None:
        if (value <= low if exclusive_minimum else value < low) or value > high:
            relation = "greater than" if exclusive_minimum else "at least"
            raise ValidationError(f"Must be {relation} {low} and at most {high}.")

    return fields.Decimal(
        as_string=True,
        validate=within_bounds,
        metadata={**DECIMAL_METADATA, "pattern": decimal_pattern(high, None)},
        **kwargs,
    )


def _percent(**kwargs: Any) -> fields.Decimal:
    return _decimal(Decimal(0), Decimal(100), **kwargs)


class AppliesToSchema(Schema):
    categories = fields.List(
        fields.String(validate=[validate.Length(1, 100), validate.Regexp(CATEGORY_PATTERN)]),
        load_default=list,
    )
    priorities = fields.List(fields.String(validate=validate.Length(1, 20)), load_default=list)
    systems = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list)


class CreditTierSchema(Schema):
    below_percent = _percent(required=True)
    credit_percent = _percent(required=True)


class ServiceLevelSchema(Schema):
    """A service level as the API and the services take and give it."""

    ref = fields.String(
        required=True, validate=[validate.Length(1, 40), validate.Regexp(REF_PATTERN)]
    )
    title = fields.String(required=True, validate=validate.Length(1, 300))
    metric = fields.String(required=True, validate=validate.OneOf(METRICS))
    applies_to = fields.Nested(AppliesToSchema, load_default=dict)
    target_hours = _decimal(
        Decimal(0), Decimal(100_000), exclusive_minimum=True, allow_none=True, load_default=None
    )
    clock = fields.String(load_default="business", validate=validate.OneOf(CLOCKS))
    objective_percent = _percent(required=True)
    period = fields.String(load_default="month", validate=validate.OneOf(["month"]))
    credits = fields.List(
        fields.Nested(CreditTierSchema), load_default=list, validate=validate.Length(max=20)
    )

    @validates_schema
    def _target_matches_metric(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "metric" not in data:
            return
        if data["metric"] == "availability":
            if data.get("target_hours") is not None:
                raise ValidationError("Availability has no target in hours.", "target_hours")
            if not (data.get("applies_to") or {}).get("systems"):
                raise ValidationError(
                    "Availability is measured over the systems listed here.", "applies_to"
                )
        elif data.get("target_hours") is None:
            raise ValidationError("Give the target in hours.", "target_hours")
        belows = [tier["below_percent"] for tier in data.get("credits") or ()]
        if len(set(belows)) != len(belows):
            raise ValidationError("Each tier needs its own below_percent.", "credits")


@dataclasses.dataclass(frozen=True, slots=True)
class CreditTier:
    below_percent: Decimal
    credit_percent: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceLevelSpec:
    """One service level's content, independent of where it is stored."""

    ref: str
    title: str
    metric: str
    objective_percent: Decimal
    categories: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    target_hours: Decimal | None = None
    clock: str = "business"
    period: str = "month"
    credits: tuple[CreditTier, ...] = ()

    @classmethod
    def from_loaded(cls, data: Mapping[str, Any]) -> ServiceLevelSpec:
        applies = data.get("applies_to") or {}
        return cls(
            ref=data["ref"],
            title=data["title"],
            metric=data["metric"],
            objective_percent=Decimal(data["objective_percent"]),
            categories=tuple(dict.fromkeys(c.lower() for c in applies.get("categories") or ())),
            priorities=tuple(dict.fromkeys(applies.get("priorities") or ())),
            systems=tuple(dict.fromkeys(applies.get("systems") or ())),
            target_hours=None
            if data.get("target_hours") is None
            else Decimal(data["target_hours"]),
            clock=data.get("clock") or "business",
            period=data.get("period") or "month",
            credits=tuple(
                sorted(
                    (
                        CreditTier(Decimal(t["below_percent"]), Decimal(t["credit_percent"]))
                        for t in data.get("credits") or ()
                    ),
                    key=lambda tier: tier.below_percent,
                    reverse=True,
                )
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "title": self.title,
            "metric": self.metric,
            "applies_to": {
                "categories": list(self.categories),
                "priorities": list(self.priorities),
                "systems": list(self.systems),
            },
            "target_hours": None if self.target_hours is None else str(self.target_hours),
            "clock": self.clock,
            "objective_percent": str(self.objective_percent),
            "period": self.period,
            "credits": [
                {"below_percent": str(t.below_percent), "credit_percent": str(t.credit_percent)}
                for t in self.credits
            ],
        }

    def credit_for(self, percent: Decimal) -> Decimal:
        """The most severe tier the percent falls below (lowest ``below_percent``); 0 if none.

        Compared unrounded; no credit when the objective is met.
        """
        if percent >= self.objective_percent:
            return Decimal(0)
        applying = [tier for tier in self.credits if percent < tier.below_percent]
        if not applying:
            return Decimal(0)
        return min(applying, key=lambda tier: tier.below_percent).credit_percent


@dataclasses.dataclass(frozen=True, slots=True)
class Terms:
    """The terms of service in one scope version."""

    service_levels: Mapping[str, ServiceLevelSpec] = dataclasses.field(default_factory=dict)
    calendar: Calendar | None = None
    monthly_fee: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "service_levels": [spec.to_json() for spec in self.service_levels.values()],
            "calendar": self.calendar.to_json() if self.calendar else None,
            "monthly_fee": decimal_text(self.monthly_fee),
        }


def parse_service_level(raw: Any, field: str = "") -> ServiceLevelSpec:
    try:
        return ServiceLevelSpec.from_loaded(ServiceLevelSchema().load(raw))
    except ValidationError as exc:
        raise ValidationFailed(flatten_messages(exc.messages, field)) from None


def parse_service_levels(raw_items: Any, field: str = "service_levels") -> list[ServiceLevelSpec]:
    if not isinstance(raw_items, list):
        raise ValidationFailed({field: ["Must be a list of service levels."]})
    errors: dict[str, list[str]] = {}
    specs: list[ServiceLevelSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        try:
            spec = parse_service_level(raw, f"{field}.{index}")
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if spec.ref in seen:
            errors[f"{field}.{index}.ref"] = [f"Service level {spec.ref} appears twice."]
        seen.add(spec.ref)
        specs.append(spec)
    if errors:
        raise ValidationFailed(errors)
    return specs


def parse_calendar(raw: Any, field: str = "calendar") -> Calendar | None:
    if raw is None:
        return None
    try:
        return Calendar.from_json(raw)
    except CalendarError as exc:
        raise ValidationFailed(
            {f"{field}.{exc.field}" if exc.field else field: [exc.message]}
        ) from None


def parse_monthly_fee(raw: Any, field: str = "monthly_fee") -> Decimal | None:
    if raw is None:
        return None
    try:
        value = decimal_field(minimum=Decimal(0), maximum=MAX_AMOUNT).deserialize(raw)
    except ValidationError as exc:
        raise ValidationFailed(flatten_messages({"": exc.messages}, field)) from None
    return Decimal(value)  # exactly as entered (its scale is checked by the field)


def parse_terms(raw: Mapping[str, Any]) -> Terms:
    """The terms given in an agreement's create or draft-edit body (all optional)."""
    errors: dict[str, list[str]] = {}
    levels: list[ServiceLevelSpec] = []
    calendar = fee = None
    try:
        levels = parse_service_levels(raw.get("service_levels") or [])
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        calendar = parse_calendar(raw.get("calendar"))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        fee = parse_monthly_fee(raw.get("monthly_fee"))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return Terms(_ordered({spec.ref: spec for spec in levels}), calendar, fee)


def _ordered(levels: Mapping[str, ServiceLevelSpec]) -> dict[str, ServiceLevelSpec]:
    return dict(sorted(levels.items(), key=lambda pair: ref_sort_key(pair[0])))


# --- changes ---------------------------------------------------------------------------


def is_terms_change(raw: Any) -> bool:
    return isinstance(raw, Mapping) and bool(TERMS_KEYS & set(raw))


def parse_terms_change(raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Validate one change to the terms; returns its canonical stored form."""
    op = raw.get("op")
    if "service_level" in raw:
        shape, name = {"op", "service_level"}, "add"
    elif "service_level_ref" in raw:
        shape = (
            {"op", "service_level_ref", "fields"} if op == "modify" else {"op", "service_level_ref"}
        )
        name = op
    elif "calendar" in raw:
        shape, name = {"op", "calendar"}, "modify"
    else:
        shape, name = {"op", "monthly_fee"}, "modify"
    if op != name or op not in ("add", "modify", "remove"):
        allowed = (
            "add"
            if name == "add"
            else ("modify or remove" if "service_level_ref" in raw else "modify")
        )
        raise ValidationFailed({f"{path}.op": [f"Must be {allowed} here."]})
    unknown = set(raw) - shape
    if unknown:
        raise ValidationFailed({f"{path}.{key}": ["Unknown field."] for key in sorted(unknown)})
    if "service_level" in raw:
        spec = parse_service_level(raw["service_level"], f"{path}.service_level")
        return {"op": "add", "service_level": spec.to_json()}
    if "calendar" in raw:
        calendar = parse_calendar(raw["calendar"], f"{path}.calendar")
        return {"op": "modify", "calendar": calendar.to_json() if calendar else None}
    if "monthly_fee" in raw:
        fee = parse_monthly_fee(raw["monthly_fee"], f"{path}.monthly_fee")
        return {"op": "modify", "monthly_fee": decimal_text(fee)}
    ref = raw.get("service_level_ref")
    if not isinstance(ref, str) or not ref:
        raise ValidationFailed({f"{path}.service_level_ref": ["A service level ref is required."]})
    if op == "remove":
        return {"op": "remove", "service_level_ref": ref}
    values = raw.get("fields")
    if not isinstance(values, dict) or not values:
        raise ValidationFailed({f"{path}.fields": ["Give the fields that change."]})
    if "ref" in values:
        raise ValidationFailed({f"{path}.fields.ref": ["A service level's ref cannot change."]})
    try:
        ServiceLevelSchema(partial=True).load({"ref": ref, **values})
    except ValidationError as exc:
        raise ValidationFailed(flatten_messages(exc.messages, f"{path}.fields")) from None
    return {"op": "modify", "service_level_ref": ref, "fields": values}


def apply_terms_changes(
    terms: Terms, changes: Iterable[Mapping[str, Any]], annex_label: str, on: str
) -> Terms:
    """The terms after the stored changes (other kinds of change are ignored).

    Refuses, naming the ref and the annex, a service level added twice, changed or
    removed where it does not exist, or left inconsistent by a modification.
    """
    levels = dict(terms.service_levels)
    calendar, fee = terms.calendar, terms.monthly_fee
    for change in changes:
        if not is_terms_change(change):
            continue
        if "service_level" in change:
            spec = ServiceLevelSpec.from_loaded(ServiceLevelSchema().load(change["service_level"]))
            if spec.ref in levels:
                raise ScopeConflict(spec.ref, annex_label, f"already exists on {on}")
            levels[spec.ref] = spec
        elif "service_level_ref" in change:
            ref = change["service_level_ref"]
            if ref not in levels:
                raise ScopeConflict(ref, annex_label, f"does not exist on {on}")
            if change["op"] == "remove":
                del levels[ref]
            else:
                merged = {**levels[ref].to_json(), **change["fields"]}
                try:
                    levels[ref] = ServiceLevelSpec.from_loaded(ServiceLevelSchema().load(merged))
                except ValidationError as exc:
                    problem = "; ".join(
                        f"{key}: {' '.join(messages)}"
                        for key, messages in flatten_messages(exc.messages).items()
                    )
                    raise ScopeConflict(ref, annex_label, f"cannot change: {problem}") from None
        elif "calendar" in change:
            calendar = Calendar.from_json(change["calendar"]) if change["calendar"] else None
        else:
            fee = None if change["monthly_fee"] is None else Decimal(change["monthly_fee"])
    return Terms(_ordered(levels), calendar, fee)


def diff_terms(before: Terms, after: Terms) -> dict[str, Any]:
    """Service levels added, removed and modified (field by field), and calendar and fee."""
    old_levels, new_levels = before.service_levels, after.service_levels
    modified = []
    for ref in new_levels:
        if ref in old_levels and old_levels[ref] != new_levels[ref]:
            old, new = old_levels[ref].to_json(), new_levels[ref].to_json()
            modified.append(
                {
                    "ref": ref,
                    "title": new["title"],
                    "changes": {
                        name: {"before": old[name], "after": new[name]}
                        for name in SERVICE_LEVEL_FIELDS
                        if old[name] != new[name]
                    },
                }
            )
    old_json, new_json = before.to_json(), after.to_json()
    return {
        "service_levels": {
            "added": [new_levels[ref].to_json() for ref in new_levels if ref not in old_levels],
            "removed": [old_levels[ref].to_json() for ref in old_levels if ref not in new_levels],
            "modified": modified,
        },
        "terms": [
            {"field": name, "before": old_json[name], "after": new_json[name]}
            for name in ("calendar", "monthly_fee")
            if old_json[name] != new_json[name]
        ],
    }


def terms_from_json(
    service_levels: Sequence[Mapping[str, Any]] | None,
    calendar: Mapping[str, Any] | None,
    monthly_fee: Decimal | None,
) -> Terms:
    """Rebuild terms stored on a scope version (already validated when stored)."""
    levels = {
        raw["ref"]: ServiceLevelSpec.from_loaded(ServiceLevelSchema().load(raw))
        for raw in service_levels or ()
    }
    return Terms(_ordered(levels), Calendar.from_json(calendar) if calendar else None, monthly_fee)
