"""Turning the annex form's rows into scope changes, and the service's errors back into rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash

from contracts_app.annexes.forms import AnnexForm, ChangeRowForm
from contracts_app.errors import ValidationFailed
from contracts_app.scope.clauses import CLAUSE_FIELDS, ClauseSpec, parse_clause


def rows_to_changes(
    form: AnnexForm, current: Mapping[str, ClauseSpec]
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The changes the rows describe; a modify row sends only the fields it changes.

    Returns the changes and per-row errors found before the service sees them.
    """
    changes: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for index, entry in enumerate(form.changes.entries):
        row: ChangeRowForm = entry.form
        if row.is_blank():  # an empty row offered by the form is no change
            continue
        ref = (row.ref.data or "").strip()
        if row.op.data == "add":
            changes.append({"op": "add", "item": row.clause_json()})
        elif row.op.data == "remove":
            changes.append({"op": "remove", "ref": ref})
        else:
            existing = current.get(ref)
            if existing is None:
                changes.append({"op": "modify", "ref": ref, "fields": {"title": row.title.data}})
                continue
            try:
                edited = parse_clause(row.clause_json()).to_json()
            except ValidationFailed as exc:
                errors.update({f"changes.{index}.fields.{k}": v for k, v in exc.errors.items()})
                continue
            before = existing.to_json()
            fields = {name: edited[name] for name in CLAUSE_FIELDS if edited[name] != before[name]}
            if not fields:
                errors[f"changes.{index}"] = [f"Nothing changes in clause {ref}."]
            changes.append({"op": "modify", "ref": ref, "fields": fields})
    return changes, errors


def show_change_errors(form: AnnexForm, errors: Mapping[str, list[str]]) -> None:
    """Put ``changes.N.(item|fields).cap.limit``-style messages next to row N's fields."""
    for path, messages in errors.items():
        parts = path.split(".")
        if parts[0] != "changes" or len(parts) < 2 or not parts[1].isdigit():
            field = getattr(form, parts[0], None)
            if field is not None and hasattr(field, "errors") and parts[0] != "changes":
                field.errors = [*list(field.errors or []), *messages]
            else:
                _row_for_conflict(form, messages)
            continue
        if "governance" in parts:
            rule = getattr(form, parts[-1], None) or form.approval_sides
            rule.errors = [*list(rule.errors or []), *messages]
            continue
        index = int(parts[1])
        if index >= len(form.changes.entries):
            flash("; ".join(messages), "error")
            continue
        row = form.changes.entries[index].form
        rest = [p for p in parts[2:] if p not in ("item", "fields")]
        name = "_".join(rest[:2]) if rest[:1] == ["cap"] else (rest[0] if rest else "op")
        field = getattr(row, name, None) or row.op
        field.errors = [*list(field.errors or []), *messages]


def _row_for_conflict(form: AnnexForm, messages: list[str]) -> None:
    """A scope conflict names a ref: show it on that row, else at the top."""
    for message in messages:
        for entry in form.changes.entries:
            ref = (entry.form.ref.data or "").strip()
            if ref and f"clause {ref} " in message:
                entry.form.ref.errors = [*list(entry.form.ref.errors or []), message]
                break
        else:
            flash(message, "error")
