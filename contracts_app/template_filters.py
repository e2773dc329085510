"""Jinja filters shared by pages and PDFs: every figure, amount, unit and date a template
prints goes through ``contracts_app.formatting``."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from contracts_app import formatting
from contracts_app.dates import DAY_INPUT_ATTRIBUTES, MONTH_INPUT_ATTRIBUTES
from contracts_app.forms_common import form_problems


def _currency(context: Context, currency: str | None) -> str | None:
    """The currency named, else the one of the agreement the template shows."""
    if currency:
        return currency
    agreement = context.get("agreement")
    if agreement is not None and getattr(agreement, "currency", None):
        return agreement.currency
    content = context.get("c")  # a PDF's frozen content
    if isinstance(content, dict):
        return (content.get("agreement") or {}).get("currency")
    return None


@pass_context
def clause_value(
    context: Context, value: Any, currency: str | None = None, field: str | None = None
) -> str:
    """A clause field's value in words: caps, lists and empty values read naturally, and
    the ``rate`` field as money an hour in the agreement's currency."""
    if value in (None, "", []):
        return formatting.EMPTY
    if field == "rate":
        return _unbroken(formatting.rate_text(value, _currency(context, currency)))
    if isinstance(value, dict) and {"unit", "limit", "period"} <= set(value):
        return formatting.cap_text(value, _currency(context, currency))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _unbroken(text: str) -> Markup:
    """Money on a page never parts between its code and its figure ("EUR" / "85.50" on
    two lines of a phone): the whole text is kept on one line. The text itself keeps its
    plain spaces, as stored reasons and exports write it."""
    return Markup('<span class="nowrap">{}</span>').format(text)


@pass_context
def cap_text(context: Context, cap: Any, currency: str | None = None) -> str:
    return _unbroken(formatting.cap_text(cap, _currency(context, currency)))


@pass_context
def rate_text(context: Context, rate: Any, currency: str | None = None) -> str:
    return _unbroken(formatting.rate_text(rate, _currency(context, currency)))


@pass_context
def per_task_text(
    context: Context, limit: Any, cap: Any = None, currency: str | None = None
) -> str:
    return formatting.per_task_text(limit, cap, _currency(context, currency))


@pass_context
def measure(
    context: Context,
    value: Any,
    unit: Any,
    currency: str | None = None,
    label: str | None = None,
    singular: str | None = None,
) -> str:
    return formatting.measure(value, unit, _currency(context, currency), label, singular)


@pass_context
def cap_standing(
    context: Context,
    used: Any,
    limit: Any,
    unit: Any,
    currency: str | None = None,
    label: str | None = None,
    singular: str | None = None,
) -> str:
    return formatting.cap_standing(used, limit, unit, _currency(context, currency), label, singular)


@pass_context
def money(context: Context, value: Any, currency: str | None = None) -> str:
    return _unbroken(formatting.money(value, _currency(context, currency)))


def css_string(value: Any) -> str:
    """Text safe inside a double-quoted CSS string (for page headers and footers)."""
    return re.sub(r"[^A-Za-z0-9 .:_\-/+]", "", str(value))


def register_filters(app: Flask) -> None:
    formatting.init_app(app)
    app.jinja_env.globals["day_input_attributes"] = DAY_INPUT_ATTRIBUTES
    app.jinja_env.globals["month_input_attributes"] = MONTH_INPUT_ATTRIBUTES
    app.jinja_env.globals["form_problems"] = form_problems
    filters = app.jinja_env.filters
    filters["cap_standing"] = cap_standing
    filters["counted"] = formatting.counted
    filters["cap_text"] = cap_text
    filters["clause_value"] = clause_value
    filters["css_string"] = css_string
    filters["figure"] = formatting.figure
    filters["iso_date"] = formatting.iso_date
    filters["measure"] = measure
    filters["measured"] = formatting.measured
    filters["money"] = money
    filters["percent"] = formatting.percent
    filters["per_task_text"] = per_task_text
    filters["quantity"] = formatting.quantity
    filters["rate_text"] = rate_text
    filters["utc_time"] = formatting.utc_time
