"""Jinja filters shared by pages and PDFs."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Flask

from contracts_app.figures import decimal_text


def clause_value(value: Any) -> str:
    """A clause field's value in words: caps, lists and empty values read naturally."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, dict) and {"unit", "limit", "period"} <= set(value):
        return f"{value['limit']} {value['unit']} per {value['period']}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def figure(value: Any, grouped: bool = False) -> str:
    """A decimal figure exactly, with at least two decimals ("85.125", "10.00")."""
    if value is None:
        return "—"
    text = decimal_text(Decimal(value)) or "—"
    if grouped:
        places = len(text.partition(".")[2])
        return f"{Decimal(value):,.{places}f}"
    return text


def css_string(value: Any) -> str:
    """Text safe inside a double-quoted CSS string (for page headers and footers)."""
    return re.sub(r"[^A-Za-z0-9 .:_\-/+]", "", str(value))


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["clause_value"] = clause_value
    app.jinja_env.filters["css_string"] = css_string
    app.jinja_env.filters["figure"] = figure
