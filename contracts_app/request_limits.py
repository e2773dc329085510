"""Limits on requests that hold before any handler runs.

Python's JSON parser recurses once per nesting level, so a body of 100,000 ``[``
exhausts the stack: the depth is measured here, over the raw bytes, first. A NUL
character, which PostgreSQL's text cannot store, is refused in the query, a JSON body
or a form's fields.
"""

from __future__ import annotations

import re

from flask import Flask, request

from contracts_app.errors import DomainError

MAX_JSON_DEPTH = 32

# A JSON string (skipped as a whole, so brackets inside strings do not count) or a bracket.
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENING = frozenset(b"[{")


class TooDeep(DomainError):
    status = 422
    title = "Nested too deeply"


def json_depth(body: bytes, stop_at: int) -> int:
    """The deepest nesting of arrays and objects in ``body`` (stops counting past ``stop_at``)."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(body):
        token = match.group()
        if len(token) != 1:
            continue  # a string
        if token[0] in _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
        else:
            depth -= 1
    return deepest


def refuse_deep_json() -> None:
    """Before a handler: a JSON body nested deeper than the limit is refused unparsed."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return
    body = request.get_data(cache=True)
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return  # too few brackets to nest deeper than the limit (most bodies): no scan
    if json_depth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise TooDeep(
            f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep; "
            "no request of this API needs that many."
        )


class NulCharacter(DomainError):
    status = 422
    title = "Unreadable text"


NUL_REFUSAL = (
    "The request holds a NUL character (\\u0000), which no text of this application can hold."
)


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_characters() -> None:
    """Before a handler: a NUL character in the query, a JSON body or a form field is
    refused (PostgreSQL's text cannot store it). Uploaded files are the import's to read."""
    if b"%00" in request.query_string or b"\x00" in request.query_string:
        raise NulCharacter(NUL_REFUSAL)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.is_json:
        body = request.get_data(cache=True)
        if b"\\u0000" in body or b"\x00" in body:
            raise NulCharacter(NUL_REFUSAL)
    elif request.mimetype in FORMS and any(
        "\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)
    ):
        raise NulCharacter(NUL_REFUSAL)


def register(app: Flask) -> None:
    app.before_request(refuse_deep_json)
    app.before_request(refuse_nul_characters)
