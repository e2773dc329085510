"""JSON API for agreement summaries: live PDF, issue, sign off, download, verify."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apiflask import APIBlueprint
from flask import Response, request, url_for

from contracts_app.accounts.attempts import with_password_limit
from contracts_app.agreements.access import agreement_for
from contracts_app.api_common import api_user
from contracts_app.documents import renders, services
from contracts_app.documents.models import Document, DocumentState, Render, RenderState
from contracts_app.documents.schemas import (
    DocumentOut,
    IssueIn,
    RenderIn,
    RenderOut,
    SignOffIn,
    SummaryQuery,
    VerifyOut,
)
from contracts_app.errors import ValidationFailed
from contracts_app.extensions import token_auth
from contracts_app.jobs.tasks import finalize_document, render_document

api = APIBlueprint("documents_api", __name__, tag="Documents")

PDF_RESPONSE = {
    "description": "The PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemSchema"}}}
RENDER_PROBLEMS = {
    422: {
        "description": "A date out of range, or a document too large to render in time",
        "content": _PROBLEM,
    },
    503: {
        "description": "Every render slot is taken, or the render passed its time limit",
        "content": _PROBLEM,
    },
}


VERIFY_BODY = {
    "required": True,
    "description": "The PDF to check, as the body or as a multipart `file`.",
    "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}


@api.record_once
def _document_verify_body(state: Any) -> None:
    """The body of the verify operation is read raw, so it is described here."""

    previous = state.app.spec_callback  # the application has one processor: chain to it

    @state.app.spec_processor
    def _verify_body(spec: dict[str, Any]) -> dict[str, Any]:
        if previous is not None:
            spec = previous(spec)
        operation = spec.get("paths", {}).get("/api/v1/documents/verify", {}).get("post")
        if operation is not None:
            operation["requestBody"] = VERIFY_BODY
        return spec


def pdf_response(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


@api.get("/agreements/<code>/summary.pdf")
@api.auth_required(token_auth)
@api.input(SummaryQuery, location="query", arg_name="query")
@api.doc(
    summary="The live summary PDF, marked draft",
    responses={200: PDF_RESPONSE, 401: {}, 404: {}, **RENDER_PROBLEMS},
)
def live_summary(code: str, query: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    as_of = query["as_of"] or dt.date.today()
    data = services.live_summary_pdf(agreement, membership, user, as_of)
    return pdf_response(data, services.summary_filename(agreement.code, as_of, draft=True))


@api.post("/agreements/<code>/documents")
@api.auth_required(token_auth)
@api.input(IssueIn, arg_name="body")
@api.output(DocumentOut, status_code=201)
@api.doc(summary="Issue a summary for sign-off (managers)", responses=[401, 403, 404, 422])
def issue(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    return services.issue_document(agreement, membership, body["as_of"] or dt.date.today(), user)


@api.get("/documents/<id:document_id>")
@api.auth_required(token_auth)
@api.output(DocumentOut)
@api.doc(summary="An issued summary and its sign-offs", responses=[401, 404])
def get_document(document_id: int) -> Any:
    document, _membership = services.document_for(api_user(), document_id)
    return document


SIGNING_ANSWERS = {
    202: {
        "description": "Every side has signed off and the signed PDF is being prepared on the "
        "job queue: the document (`state` is `signing`) is at `Location`",
        "headers": {
            "Location": {
                "description": "`/api/v1/documents/{id}`",
                "schema": {"type": "string"},
            }
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentOut"}}},
    },
    401: {},
    403: {
        "description": "Not an approver of a side the summary needs",
        "content": _PROBLEM,
    },
    404: {},
    409: {
        "description": "Not possible in the document's state (e.g. already signed off)",
        "content": _PROBLEM,
    },
    422: {"description": "Validation error (e.g. a wrong password)", "content": _PROBLEM},
}


def answer_document(document: Document) -> Any:
    """The document; 202 with where to follow it while its signed PDF is being prepared."""
    if document.state == DocumentState.SIGNING:
        location = url_for(".get_document", document_id=document.id)
        return document, 202, {"Location": location}
    return document


@api.post("/documents/<id:document_id>/sign-off")
@api.auth_required(token_auth)
@api.input(SignOffIn, arg_name="body")
@api.output(DocumentOut)
@api.doc(
    summary="Sign off for your side (approvers, with your password)",
    description="The last side's sign-off has the signed PDF prepared: the document is "
    "answered once it is `signed_off` (or `signing_failed`, with `signing_error`), else, "
    "after a couple of seconds, 202 while it is `signing`.",
    responses=SIGNING_ANSWERS,
)
def sign_off(document_id: int, body: dict[str, Any]) -> Any:
    user = api_user()
    document = with_password_limit(
        user,
        "sign off a summary",
        lambda: services.sign_off(document_id, user, body["password"], finalize_document),
    )
    return answer_document(document)


@api.post("/documents/<id:document_id>/retry-signing")
@api.auth_required(token_auth)
@api.output(DocumentOut)
@api.doc(
    summary="Prepare the signed PDF again after it failed (approvers)",
    description="Only for a document in `signing_failed`; answered as the last sign-off is.",
    responses={status: answer for status, answer in SIGNING_ANSWERS.items() if status != 422},
)
def retry_signing(document_id: int) -> Any:
    user = api_user()
    return answer_document(services.retry_signing(document_id, user, finalize_document))


@api.get("/documents/<id:document_id>/pdf")
@api.auth_required(token_auth)
@api.doc(
    summary="The PDF: the signed file once signed off, a draft before every side has",
    responses={
        200: PDF_RESPONSE,
        401: {},
        404: {},
        409: {
            "description": "Every side has signed off: the signed PDF is being prepared, "
            "or could not be (the problem says why)",
            "content": _PROBLEM,
        },
        **RENDER_PROBLEMS,
    },
)
def document_pdf(document_id: int) -> Any:
    document, _membership = services.document_for(api_user(), document_id)
    return pdf_response(services.document_pdf(document), services.document_filename(document))


@api.post("/documents/verify")
@api.output(VerifyOut)
@api.doc(
    summary="Is this PDF an authentic, unaltered summary signed off here?",
    description="Send the PDF as the body (application/pdf) or as a multipart `file`. "
    "No token is needed: anyone holding a summary can check it.",
    responses=[413, 422],
)
def verify() -> Any:  # the request body is documented by _document_verify_body
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    if not data:
        raise ValidationFailed({"file": ["Send the PDF as the body or as a multipart file."]})
    return services.verify_pdf(data)


RENDER_ANSWERS = {
    200: {"description": "Rendered within a couple of seconds: the PDF", **PDF_RESPONSE},
    202: {
        "description": "Rendering on the job queue: poll the render at `Location`",
        "headers": {
            "Location": {
                "description": "`/api/v1/renders/{id}`",
                "schema": {"type": "string"},
            }
        },
    },
    401: {},
    404: {},
    409: {"description": "A signed-off summary: download its signed file", "content": _PROBLEM},
    422: {
        "description": "A date out of range, or a document too large to render in time",
        "content": _PROBLEM,
    },
}


def render_out(render: Render) -> dict[str, Any]:
    done = render.state == RenderState.DONE
    return {
        **{field: getattr(render, field) for field in RenderOut().fields if hasattr(render, field)},
        "agreement": render.agreement,
        "document": render.document,
        "state": render.state.value,
        "kind": render.kind.value,
        "progress": renders.progress_text(render),
        "download": url_for(".render_download", render_id=render.id) if done else None,
    }


def answer_render(render: Render) -> Any:
    """The PDF if it is ready, the refusal if it failed, else 202 and where to poll."""
    if render.state == RenderState.DONE:
        return pdf_response(renders.render_pdf_bytes(render), render.filename)
    if render.state == RenderState.FAILED:
        raise ValidationFailed({"render": [render.error or "failed"]}, render.error)
    location = url_for(".get_render", render_id=render.id)
    return render_out(render), 202, {"Location": location}


@api.post("/agreements/<code>/renders")
@api.auth_required(token_auth)
@api.input(RenderIn, arg_name="body")
@api.output(RenderOut, status_code=202)
@api.doc(
    summary="Render the live summary PDF (marked draft) on the job queue",
    description="Answers the PDF if it is ready within a couple of seconds, else 202 with "
    "`Location: /api/v1/renders/{id}` to poll; the render's `download` link gives the PDF.",
    responses=RENDER_ANSWERS,
)
def request_summary_render(code: str, body: dict[str, Any]) -> Any:
    user = api_user()
    agreement, membership = agreement_for(user, code)
    render = renders.request_summary_render(agreement, membership, user, body["as_of"])
    return answer_render(renders.start(render, render_document))


@api.post("/documents/<id:document_id>/renders")
@api.auth_required(token_auth)
@api.output(RenderOut, status_code=202)
@api.doc(
    summary="Render an issued summary not yet signed off (marked draft) on the job queue",
    description="As for the live summary. A signed-off summary is not rendered again: its "
    "signed file is at `/api/v1/documents/{id}/pdf`.",
    responses=RENDER_ANSWERS,
)
def request_document_render(document_id: int) -> Any:
    user = api_user()
    document, _membership = services.document_for(user, document_id)
    render = renders.request_document_render(document, user)
    return answer_render(renders.start(render, render_document))


@api.get("/renders/<id:render_id>")
@api.auth_required(token_auth)
@api.output(RenderOut)
@api.doc(
    summary="A render's state and progress; once done, where to download it",
    responses=[401, 404],
)
def get_render(render_id: int) -> Any:
    return render_out(renders.render_for(api_user(), render_id))


@api.get("/renders/<id:render_id>/pdf")
@api.auth_required(token_auth)
@api.doc(
    summary="The PDF of a finished render",
    responses={
        200: PDF_RESPONSE,
        401: {},
        404: {},
        409: {"description": "Not rendered (yet, or it failed)", "content": _PROBLEM},
    },
)
def render_download(render_id: int) -> Any:
    render = renders.render_for(api_user(), render_id)
    return pdf_response(renders.render_pdf_bytes(render), render.filename)
