"""Shared form helpers: service errors shown next to the right fields."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField
from wtforms.form import BaseForm

from contracts_app.errors import ValidationFailed


class ConfirmForm(FlaskForm):
    """An empty form: the CSRF token of a confirmed destructive action."""


def show_errors(
    form: FlaskForm, error: ValidationFailed, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's per-field messages on the form's fields, the rest in a flash
    (the message alone, without its path).

    Paths such as ``cap.limit`` map to ``cap_limit``; ``aliases`` maps others.
    """
    aliases = aliases or {}
    for path, messages in error.errors.items():
        name = aliases.get(path, path.replace(".", "_"))
        field: Field | None = getattr(form, name, None)
        if isinstance(field, Field):
            field.errors = [*list(field.errors or []), *messages]
        else:
            for message in messages:  # a plain sentence: a field path means nothing here
                flash(message, "error")


def add_problems(
    form: FlaskForm, problems: Mapping[str, list[str]], aliases: Mapping[str, str] | None = None
) -> None:
    """After the form's own checks failed: the service's checks of what could be read,
    on the fields the form left without an error, so that one submission shows every
    mistake (and no field is told the same thing twice). Messages for no field are
    dropped here: the service repeats them once the form is valid."""
    aliases = aliases or {}
    for path, messages in problems.items():
        field: Field | None = getattr(form, aliases.get(path, path.replace(".", "_")), None)
        if isinstance(field, Field) and not field.errors:
            field.errors = list(messages)


def form_problems(form: object) -> list[tuple[str, str]]:
    """Each field of ``form`` with an error, as (element id, label), in the form's order,
    the rows of a list included ("Change 2: Limit"): what the summary at the top of a
    form names and links to. Hidden fields (the CSRF token) are left to the page."""
    if not isinstance(form, BaseForm):
        return []
    problems: list[tuple[str, str]] = []

    def walk(fields: object, prefix: str) -> None:
        for field in fields:  # type: ignore[attr-defined]
            if isinstance(field, FieldList):
                for number, entry in enumerate(field.entries, 1):
                    walk(entry, f"{prefix}{_singular(field.label.text)} {number}: ")
            elif isinstance(field, FormField):
                walk(field, prefix)
            elif field.errors and getattr(field.widget, "input_type", None) != "hidden":
                problems.append((field.id, f"{prefix}{field.label.text}"))

    walk(form, "")
    return problems


def _singular(label: str) -> str:
    return label[:-1] if label.endswith("s") else label


def split_list(text: str | None) -> list[str]:
    """A comma- or newline-separated list typed in a form, without blanks."""
    if not text:
        return []
    parts = text.replace("\n", ",").split(",")
    return [part.strip() for part in parts if part.strip()]
