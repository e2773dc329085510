"""Fields shared by the API schemas: decimals travel as strings ("120.00"), never floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

from contracts_app.figures import MAX_MONEY_SCALE, decimal_text, scale_error

DECIMAL_METADATA = {"type": "string", "format": "decimal", "example": "120.00"}


class ExactDecimal(fields.Decimal):
    """A figure as exact text with at least two decimals ("85.125", "120.00")."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return decimal_text(Decimal(value))


def decimal_field(
    *,
    minimum: Decimal | int = 0,
    maximum: Decimal,
    exclusive_minimum: bool = False,
    scale: int = MAX_MONEY_SCALE,
    what: str = "the largest money scale",
    **kwargs: Any,
) -> fields.Decimal:
    """A decimal documented as a decimal string; bounds and scale are checked.

    The value is kept exactly as sent: more than ``scale`` decimals is refused, never
    rounded (money fields are checked again against the currency's minor unit by the
    services, which know the currency). The bounds are a plain validator, not
    ``Range``: the OpenAPI document would otherwise give a string ``maximum`` to a
    string field, which is not valid.
    """
    low, high = Decimal(minimum), Decimal(maximum)

    def within_bounds(value: Decimal) -> None:
        too_low = value <= low if exclusive_minimum else value < low
        if too_low or value > high:
            relation = "greater than" if exclusive_minimum else "at least"
            raise ValidationError(f"Must be {relation} {low} and at most {high}.")
        message = scale_error(value, scale, what)
        if message:
            raise ValidationError(message)

    digits = rf"[0-9]{{1,12}}(\.[0-9]{{1,{scale}}})?"
    pattern = f"^{digits}$" if low >= 0 else f"^-?{digits}$"
    return ExactDecimal(
        as_string=True,
        places=None,
        validate=within_bounds,
        metadata={**DECIMAL_METADATA, "pattern": pattern},
        **kwargs,
    )


def decimal_out(**kwargs: Any) -> fields.Decimal:
    return ExactDecimal(as_string=True, metadata=DECIMAL_METADATA, **kwargs)
