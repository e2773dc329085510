"""Contract and annex management: agreements, versioned scope, annexes, tasks, summaries."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from flask import Response
from werkzeug.routing import IntegerConverter

from contracts_app.config import load_config
from contracts_app.db import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def create_app(config: dict[str, Any] | None = None) -> APIFlask:
    """Build the application; ``config`` overrides what the environment gives."""
    app = APIFlask(
        __name__,
        title="Contracts API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path=None,  # the interactive docs UI would load scripts from a CDN
        json_errors=False,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=os.environ.get("INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
    )
    app.url_map.converters["id"] = RowIdConverter
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    _require_secret_key(app)
    _require_shared_production_settings(app)
    _configure_openapi(app)

    db.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)
    _connect_domains()

    from contracts_app.cli import register_commands
    from contracts_app.problems import register_error_handlers

    register_error_handlers(app)
    register_commands(app)
    from contracts_app import request_limits

    request_limits.register(app)
    app.after_request(_security_headers)
    from contracts_app.pagination import url_with

    app.jinja_env.globals["url_with"] = url_with
    from contracts_app.scope.services import version_validity

    app.jinja_env.globals["scope_version_validity"] = version_validity
    from contracts_app.template_filters import register_filters

    register_filters(app)
    return app


class RowIdConverter(IntegerConverter):
    """A row id in a URL. Ids beyond the database's integer range cannot exist, so they
    become 0 (never a row id) and the lookup answers "not found" instead of overflowing."""

    MAX_ROW_ID = 2**31 - 1

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= self.MAX_ROW_ID else 0


def _require_secret_key(app: APIFlask) -> None:
    """Outside development, refuse to start without a real SECRET_KEY."""
    key = app.config.get("SECRET_KEY") or ""
    if app.config["ENV_NAME"] != "development" and not app.config.get("TESTING") and len(key) < 32:
        raise RuntimeError(
            "Set SECRET_KEY to a long random value (32 characters or more) outside development."
        )


def _require_shared_production_settings(app: APIFlask) -> None:
    """Outside development, refuse to start without a real audit key and shared counters.

    A generated audit key would sit in instance/, beside the database it protects; and
    sign-in limits counted in each worker's memory are multiplied by the number of workers.
    """
    if app.config["ENV_NAME"] == "development" or app.config.get("TESTING"):
        return
    if len(app.config.get("AUDIT_HMAC_KEY") or "") < 32:
        raise RuntimeError(
            "Set AUDIT_HMAC_KEY to a long random value (32 characters or more) outside "
            "development, and keep it outside the database and its backups."
        )
    if (app.config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        raise RuntimeError(
            "Set REDIS_URL (or RATELIMIT_STORAGE_URI) outside development: sign-in limits "
            "counted in each worker's memory multiply by the number of workers."
        )


def _configure_openapi(app: APIFlask) -> None:
    from contracts_app.annexes.schemas import add_change_components
    from contracts_app.openapi_links import add_links
    from contracts_app.problems import ProblemSchema
    from contracts_app.tasks.profile_api import add_import_documentation

    app.config["DESCRIPTION"] = (
        "Agreements with versioned scope, annexes, task checks and signed summaries. "
        "Errors are RFC 9457 problem details."
    )
    app.config["HTTP_ERROR_SCHEMA"] = ProblemSchema
    app.config["VALIDATION_ERROR_SCHEMA"] = ProblemSchema
    app.config["VALIDATION_ERROR_DESCRIPTION"] = "Validation failed: per-field messages in errors"

    @app.spec_processor
    def _problem_details(spec: dict[str, Any]) -> dict[str, Any]:
        """Errors are served as application/problem+json; a malformed body is a 400."""
        problem_ref = {"$ref": "#/components/schemas/ProblemSchema"}
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "path" and parameter["name"].endswith("_id"):
                        parameter["schema"] = {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 2**31 - 1,
                        }
                _require_body_with_required_fields(operation, spec)
                responses = operation["responses"]
                if "requestBody" in operation or operation.get("parameters"):
                    responses.setdefault(
                        "400",
                        {
                            "description": "Malformed request",
                            "content": {"application/problem+json": {"schema": problem_ref}},
                        },
                    )
                for code, response in responses.items():
                    content = response.get("content", {})
                    if code.isdigit() and int(code) >= 400 and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
        _document_choice_segments(app, spec)
        return add_links(add_import_documentation(add_change_components(spec)))


_CHOICE_SEGMENT = re.compile(r"<any\(([^)]*)\):(\w+)>")


def _document_choice_segments(app: APIFlask, spec: dict[str, Any]) -> None:
    """A path segment that is one of a few words (``<any(accept, decline):decision>``) is
    documented with them as its enumeration: any other word is a 404 of the router."""
    paths = spec.get("paths", {})
    for rule in app.url_map.iter_rules():
        choices = {name: words for words, name in _CHOICE_SEGMENT.findall(rule.rule)}
        if not choices:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", _CHOICE_SEGMENT.sub(r"<\2>", rule.rule))
        for method in rule.methods or ():
            operation = paths.get(path, {}).get(method.lower())
            for parameter in (operation or {}).get("parameters", []):
                words = choices.get(parameter["name"])
                if parameter.get("in") == "path" and words is not None:
                    enum = sorted(word.strip().strip("'\"") for word in words.split(","))
                    parameter["schema"] = {"type": "string", "enum": enum}


def _require_body_with_required_fields(operation: dict[str, Any], spec: dict[str, Any]) -> None:
    """A JSON body whose schema has required fields is itself required: without one the
    answer is a 422 naming those fields."""
    body = operation.get("requestBody")
    schema = (body or {}).get("content", {}).get("application/json", {}).get("schema", {})
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        name = reference.rsplit("/", 1)[1]
        schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    if body is not None and schema.get("required"):
        body["required"] = True


def _init_extensions(app: APIFlask) -> None:
    from contracts_app.extensions import csrf, init_limiter, login_manager
    from contracts_app.problems import problem_from_http_error

    login_manager.init_app(app)
    csrf.init_app(app)
    init_limiter(app)
    app.error_processor(problem_from_http_error)
    from contracts_app.jobs import init_app as init_jobs

    init_jobs(app)


def _connect_domains() -> None:
    """Receivers of one domain's signals in a higher domain (no import the other way)."""
    from contracts_app.escalations.services import on_task_escalated
    from contracts_app.scope.signals import scope_changed
    from contracts_app.service_levels.tickets import on_scope_changed as remeasure
    from contracts_app.tasks.rechecks import on_scope_changed
    from contracts_app.tasks.signals import task_escalated

    scope_changed.connect(on_scope_changed, weak=False)
    task_escalated.connect(on_task_escalated, weak=False)
    scope_changed.connect(remeasure, weak=False)


def _register_blueprints(app: APIFlask) -> None:
    from contracts_app.accounts.api import api as accounts_api
    from contracts_app.accounts.views import pages as accounts_pages
    from contracts_app.agreements.api import api as agreements_api
    from contracts_app.agreements.views import pages as agreements_pages
    from contracts_app.annexes.api import api as annexes_api
    from contracts_app.annexes.views import pages as annexes_pages
    from contracts_app.audit.api import api as audit_api
    from contracts_app.audit.views import pages as audit_pages
    from contracts_app.documents.api import api as documents_api
    from contracts_app.documents.views import pages as documents_pages
    from contracts_app.escalations.api import api as escalations_api
    from contracts_app.escalations.views import pages as escalations_pages
    from contracts_app.exports.api import api as exports_api
    from contracts_app.exports.views import pages as exports_pages
    from contracts_app.extensions import csrf
    from contracts_app.notifications.api import api as notifications_api
    from contracts_app.notifications.views import pages as notifications_pages
    from contracts_app.scope.api import api as scope_api
    from contracts_app.search.api import api as search_api
    from contracts_app.search.views import pages as search_pages
    from contracts_app.service_levels.api import api as service_levels_api
    from contracts_app.service_levels.views import pages as service_levels_pages
    from contracts_app.tasks.api import api as tasks_api
    from contracts_app.tasks.profile_api import api as import_profiles_api
    from contracts_app.tasks.profile_views import pages as import_profiles_pages
    from contracts_app.tasks.views import pages as tasks_pages
    from contracts_app.work.api import api as work_api
    from contracts_app.work.views import pages as work_pages

    for blueprint in (
        accounts_api,
        agreements_api,
        scope_api,
        annexes_api,
        tasks_api,
        service_levels_api,
        import_profiles_api,
        documents_api,
        escalations_api,
        audit_api,
        notifications_api,
        work_api,
        exports_api,
        search_api,
    ):
        csrf.exempt(blueprint)  # token-authenticated: no cookies, so no cross-site forgery
        app.register_blueprint(blueprint, url_prefix="/api/v1")
    app.register_blueprint(accounts_pages)
    app.register_blueprint(agreements_pages)
    app.register_blueprint(annexes_pages)
    app.register_blueprint(tasks_pages)
    app.register_blueprint(service_levels_pages)
    app.register_blueprint(import_profiles_pages)
    app.register_blueprint(documents_pages)
    app.register_blueprint(escalations_pages)
    app.register_blueprint(audit_pages)
    app.register_blueprint(notifications_pages)
    app.register_blueprint(work_pages)
    app.register_blueprint(exports_pages)
    app.register_blueprint(search_pages)


def _security_headers(response: Response) -> Response:
    from flask import g, request

    if request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    user = g.get("_login_user")
    if response.mimetype == "text/html" and user is not None and user.is_authenticated:
        # A signed-in page is never kept: not after signing out, not for the back button
        # (My work's counts change as items are opened).
        response.headers.setdefault("Cache-Control", "no-store")
    return response
