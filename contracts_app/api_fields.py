"""Fields shared by the API schemas: decimals travel as strings ("120.00"), never floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

DECIMAL_METADATA = {"type": "string", "format": "decimal", "example": "120.00"}
# The canonical form of an input decimal, documented so that clients send numbers.
DECIMAL_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
NON_NEGATIVE_DECIMAL_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def decimal_field(
    *, minimum: Decimal | int = 0, maximum: Decimal, exclusive_minimum: bool = False, **kwargs: Any
) -> fields.Decimal:
    """A decimal with two places, documented as a decimal string; bounds are checked.

    The bounds are a plain validator, not ``Range``: the OpenAPI document would
    otherwise give a string ``maximum`` to a string field, which is not valid.
    """
    low, high = Decimal(minimum), Decimal(maximum)

    def within_bounds(value: Decimal) -> None:
        too_low = value <= low if exclusive_minimum else value < low
        if too_low or value > high:
            relation = "greater than" if exclusive_minimum else "at least"
            raise ValidationError(f"Must be {relation} {low} and at most {high}.")

    pattern = NON_NEGATIVE_DECIMAL_PATTERN if low >= 0 else DECIMAL_PATTERN
    return fields.Decimal(
        as_string=True,
        places=2,
        validate=within_bounds,
        metadata={**DECIMAL_METADATA, "pattern": pattern},
        **kwargs,
    )


def decimal_out(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(as_string=True, metadata=DECIMAL_METADATA, **kwargs)
