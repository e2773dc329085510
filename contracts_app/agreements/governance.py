"""The agreement's governance: the rules of consent (which sides approve and sign annexes,
which sides sign off summaries), fixed when the agreement leaves draft.

On a running agreement they change only through an annex, approved and signed under
the rule in force before it, carrying a governance change beside its scope changes:
``{"op": "modify", "governance": {"approval_sides": [...], "signoff_sides": [...]}}``.
Later capabilities register their own fields here (notice terms, the escalation ladder).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from contracts_app.agreements.models import Agreement
from contracts_app.agreements.terms import PARSERS
from contracts_app.enums import Side
from contracts_app.errors import ValidationFailed

SIDES = tuple(side.value for side in Side)


def _sides(value: Any, path: str) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or any(side not in SIDES for side in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationFailed({path: ["Give one or both of: customer, provider."]})
    return [side for side in SIDES if side in value]  # a canonical order


@dataclasses.dataclass(frozen=True)
class GovernanceField:
    name: str
    label: str
    parse: Callable[[Any, str], Any]


def _ladder(value: Any, path: str) -> Any:
    from contracts_app.agreements.ladder import parse_ladder

    return parse_ladder(value, path)


FIELDS: dict[str, GovernanceField] = {
    "approval_sides": GovernanceField(
        "approval_sides", "Sides that approve and sign annexes", _sides
    ),
    "signoff_sides": GovernanceField("signoff_sides", "Sides that sign off summaries", _sides),
    "escalation_ladder": GovernanceField("escalation_ladder", "Escalation ladder", _ladder),
    # renewal, notice and alert rules (agreements/terms.py)
    **{name: GovernanceField(name, label, parse) for name, (label, parse) in PARSERS.items()},
}


def is_governance_change(raw: Any) -> bool:
    return isinstance(raw, Mapping) and raw.get("op") == "modify" and "governance" in raw


def parse_governance_change(raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Validate one governance change; returns the canonical stored form."""
    unknown = set(raw) - {"op", "governance"}
    if unknown:
        raise ValidationFailed({f"{path}.{key}": ["Unknown field."] for key in sorted(unknown)})
    values = raw.get("governance")
    if not isinstance(values, Mapping) or not values:
        raise ValidationFailed(
            {f"{path}.governance": [f"Give the rules that change: {', '.join(FIELDS)}."]}
        )
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Any] = {}
    for name, value in values.items():
        field = FIELDS.get(name)
        if field is None:
            errors[f"{path}.governance.{name}"] = [
                f"Not a rule of governance; one of: {', '.join(FIELDS)}."
            ]
            continue
        try:
            parsed[name] = field.parse(value, f"{path}.governance.{name}")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return {"op": "modify", "governance": parsed}


def governance_of(agreement: Agreement) -> dict[str, Any]:
    return {name: copy.deepcopy(getattr(agreement, name)) for name in FIELDS}


def governance_diff(agreement: Agreement, change: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a governance change would change on the agreement, field by field."""
    current = governance_of(agreement)
    return [
        {
            "field": name,
            "label": FIELDS[name].label,
            "before": current[name],
            "after": value,
        }
        for name, value in change["governance"].items()
        if current[name] != value
    ]


def apply_governance(agreement: Agreement, change: Mapping[str, Any]) -> dict[str, Any]:
    """Set the rules the change names; returns the audit diff."""
    diff: dict[str, Any] = {}
    for row in governance_diff(agreement, change):
        setattr(agreement, row["field"], copy.deepcopy(row["after"]))
        diff[row["field"]] = {"before": row["before"], "after": row["after"]}
    return diff
