"""Declared scales of the decimal figures a contract holds, and their exact text.

A figure is stored exactly as entered: more decimals than its field's scale are
refused, never rounded. Hours and counts take 2 decimals, percentages 2, money the
minor unit of the agreement's currency (ISO 4217: EUR 2, JPY 0, BHD 3). Money columns
are ``Numeric(16, 4)``: the largest minor unit in ISO 4217 (4, the CLF and UYW fund
codes) with the same twelve integer digits as before.
"""

from __future__ import annotations

from decimal import Decimal

HOURS_SCALE = 2
MAX_HOURS = Decimal("99999999.99")  # what a task's hours column, Numeric(10, 2), holds
COUNT_SCALE = 2
PERCENT_SCALE = 2
DEFAULT_MONEY_SCALE = 2
MAX_MONEY_SCALE = 4  # the scale of the money columns

# ISO 4217 currencies whose minor unit is not 2 decimals (list of 2024).
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        (
            [
                "BIF",
                "CLP",
                "DJF",
                "GNF",
                "ISK",
                "JPY",
                "KMF",
                "KRW",
                "PYG",
                "RWF",
                "UGX",
                "UYI",
                "VND",
                "VUV",
                "XAF",
                "XOF",
                "XPF",
            ]
        ),
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def currency_scale(currency: str | None) -> int:
    """Decimals of ``currency``'s minor unit (2 for a code not listed as different)."""
    return _MINOR_UNITS.get((currency or "").upper(), DEFAULT_MONEY_SCALE)


def decimals_of(value: Decimal) -> int:
    """Significant decimals of ``value``: trailing zeros say nothing and are not counted."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:  # infinities, whole numbers
        return 0
    if not value:
        return 0
    # trailing zeros: strip them only when the written form has any to strip
    exponent = value.normalize().as_tuple().exponent if value % 1 else 0
    return max(0, -int(exponent))


def scale_message(scale: int, what: str) -> str:
    if scale == 0:
        return f"Whole numbers only ({what} has no decimals); nothing is rounded."
    return f"At most {scale} decimal places ({what}); nothing is rounded."


def scale_error(value: Decimal | None, scale: int, what: str) -> str | None:
    """The message when ``value`` has more decimals than ``scale``, else None."""
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent <= scale:  # as written: within the scale
        return None
    if decimals_of(value) <= scale:
        return None
    return scale_message(scale, what)


def money_what(currency: str | None) -> str:
    code = (currency or "").upper() or "the currency"
    return f"the minor unit of {code}"


def decimal_text(value: Decimal | None) -> str | None:
    """The exact figure as text, with at least two decimals: 85.125, 120.00, 7.50."""
    if value is None:
        return None
    value = Decimal(value)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:  # the common case: two decimals or fewer
        return f"{value:.2f}"
    places = max(2, decimals_of(value))
    return f"{value:.{places}f}"
