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

    return ExactDecimal(
        as_string=True,
        places=None,
        validate=within_bounds,
        metadata={**DECIMAL_METADATA, "pattern": decimal_pattern(high, scale, signed=low < 0)},
        **kwargs,
    )


def decimal_pattern(maximum: Decimal, scale: int | None, *, signed: bool = False) -> str:
    """The pattern of a decimal string at most ``maximum`` with at most ``scale`` decimals
    (any number with None), so that what a client or a fuzzer builds from the document is
    what the validation accepts: exact when the maximum is a power of ten (100, 10000),
    by its number of digits otherwise."""
    fraction = rf"\.[0-9]{{1,{scale}}}" if scale else r"\.[0-9]+"
    zeros = rf"\.0{{1,{scale}}}" if scale else r"\.0+"
    top = int(maximum)
    if maximum == top and str(top).rstrip("0") == "1" and top >= 10:
        body = rf"{top}({zeros})?|[0-9]{{1,{len(str(top)) - 1}}}({fraction})?"
    else:
        body = rf"[0-9]{{1,{len(str(top))}}}({fraction})?"
    return rf"^{'-?' if signed else ''}({body})$"


def decimal_out(**kwargs: Any) -> fields.Decimal:
    return ExactDecimal(as_string=True, metadata=DECIMAL_METADATA, **kwargs)
