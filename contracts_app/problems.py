"""Errors as HTTP: RFC 9457 problem details for the API, error pages for the browser.

This is the one place where domain errors and HTTP errors become responses.
"""

from __future__ import annotations

from typing import Any

from apiflask import HTTPError, Schema, fields
from flask import Flask, Response, flash, jsonify, redirect, render_template, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from contracts_app.db import db
from contracts_app.errors import (
    Conflict,
    DomainError,
    TooManyAttempts,
    ValidationFailed,
    flatten_messages,
)

API_PREFIX = "/api/"
PROBLEM_TYPE = "about:blank"


class ProblemSchema(Schema):
    """An RFC 9457 problem detail; ``errors`` maps field paths to messages."""

    type = fields.String(load_default=PROBLEM_TYPE)
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    allowed_events = fields.List(fields.String())


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    errors: dict[str, list[str]] | None = None,
    allowed: list[str] | None = None,
    headers: Any = None,
) -> Response:
    body: dict[str, Any] = {"type": PROBLEM_TYPE, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if allowed is not None:
        body["allowed_events"] = allowed
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if headers:
        for key, value in dict(headers).items():
            if key.lower() != "content-type":
                response.headers[key] = value
    return response


def problem_from_http_error(error: HTTPError) -> Response:
    """APIFlask's errors (input validation, auth) as problem details."""
    errors = None
    detail = ""
    if error.status_code == 422 and isinstance(error.detail, dict):
        # detail is {"json": {...}} or {"query": {...}}: the location is not part of the path
        merged: dict[str, Any] = {}
        for location_errors in error.detail.values():
            if isinstance(location_errors, dict):
                merged.update(location_errors)
        errors = flatten_messages(merged)
        detail = "The request has invalid fields."
    elif error.status_code == 401:
        detail = "Send a valid API token as 'Authorization: Bearer <token>'."
    return problem(
        error.status_code, error.message or "Error", detail, errors=errors, headers=error.headers
    )


def _wants_api() -> bool:
    return request.path.startswith(API_PREFIX)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        db.session.rollback()
        errors = error.errors if isinstance(error, ValidationFailed) else None
        allowed = error.allowed if isinstance(error, Conflict) else None
        if isinstance(error, TooManyAttempts):
            errors = {error.field: [error.message]}
        if _wants_api():
            headers = (
                {"Retry-After": str(error.retry_after)}
                if isinstance(error, TooManyAttempts)
                else None
            )
            return problem(
                error.status,
                error.title,
                error.message,
                errors=errors,
                allowed=allowed,
                headers=headers,
            )
        if error.status in (404, 403):
            return render_template("errors/error.html", error=error), error.status
        flash(error.message, "error")
        return (
            redirect(request.referrer or "/")
            if request.method == "POST"
            else (
                render_template("errors/error.html", error=error),
                error.status,
            )
        )

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def _write_conflict(error: Exception) -> Any:
        # A unique key or a version check refused a write that raced another one.
        db.session.rollback()
        message = "Someone else changed this at the same moment; reload and try again."
        if _wants_api():
            return problem(409, "Conflict", message)
        flash(message, "error")
        return redirect(request.referrer or "/")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if _wants_api():
            detail = error.description or ""
            if error.code == 413:
                limit = app.config.get("MAX_CONTENT_LENGTH") or 0
                detail = (
                    f"The request body is larger than the limit of {limit // (1024 * 1024)} MiB."
                )
            return problem(error.code or 500, error.name, detail, headers=error.get_headers())
        return render_template("errors/error.html", error=error), error.code or 500

    @app.errorhandler(500)
    def _server_error(error: Exception) -> Any:
        db.session.rollback()
        if _wants_api():
            return problem(500, "Internal server error", "The error was logged.")
        return render_template("errors/error.html", error=None), 500
