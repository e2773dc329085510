"""The problems of an imported file, in one format wherever they are shown.

A problem is ``{"line": 6, "errors": {"date": ["Not a date."]}}``. People read it as
"Line 6, date: Not a date." on the import pages, in the command line's output and in the
API's problem details, whether the file was refused or its valid rows imported; the API
keeps the field paths (``line 6.date``) as the keys of its ``errors``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contracts_app import formatting
from contracts_app.errors import ValidationFailed


def line_message(line: int, field: str, message: str) -> str:
    return f"Line {line}, {field}: {message}"


def messages_of(problem: dict[str, Any]) -> list[str]:
    """A problem's messages as people read them."""
    return [
        line_message(problem["line"], field, message)
        for field, messages in problem["errors"].items()
        for message in messages
    ]


def described(problems: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The problems, each with its ``messages`` as people read them."""
    return [{**problem, "messages": messages_of(problem)} for problem in problems]


def file_refused(problems: list[dict[str, Any]]) -> ValidationFailed:
    """The refusal of a whole file: every problem at its path (``line 6.date``)."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        for field, messages in problem["errors"].items():
            errors.setdefault(f"line {problem['line']}.{field}", []).extend(
                line_message(problem["line"], field, message) for message in messages
            )
    rows = formatting.counted(len(problems), "row is", "rows are")
    return ValidationFailed(errors, f"{rows} invalid; nothing was imported.")
