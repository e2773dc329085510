"""OpenAPI links: how the result of one operation feeds the next.

They let clients (and Schemathesis' stateful phase) create an agreement and then act
on it: read and change it, invite members (who decide), draft annexes and fire their events,
record tasks, raise escalations and answer them, issue summaries and sign them off, render
PDFs and follow them.
"""

from __future__ import annotations

from typing import Any

AGREEMENT = "/api/v1/agreements/{code}"
ANNEX = "/api/v1/annexes/{annex_id}"
TASK = "/api/v1/tasks/{task_id}"
DOCUMENT = "/api/v1/documents/{document_id}"
RENDER = "/api/v1/renders/{render_id}"
ESCALATION = "/api/v1/escalations/{escalation_id}"

# (source path, source method, status) -> {link name: (target path, target method, parameters)}
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, str]]]] = {
    ("/api/v1/agreements", "post", "201"): {
        f"{name}": (path, method, {"code": "$response.body#/code"})
        for name, path, method in (
            ("GetAgreement", AGREEMENT, "get"),
            ("ChangeAgreement", AGREEMENT, "patch"),
            ("AddMember", f"{AGREEMENT}/members", "post"),
            ("ListMembers", f"{AGREEMENT}/members", "get"),
            ("DraftAnnex", f"{AGREEMENT}/annexes", "post"),
            ("GetScope", f"{AGREEMENT}/scope", "get"),
            ("CheckTask", f"{AGREEMENT}/scope-check", "post"),
            ("RecordTask", f"{AGREEMENT}/tasks", "post"),
            ("IssueSummary", f"{AGREEMENT}/documents", "post"),
            ("RenderSummary", f"{AGREEMENT}/renders", "post"),
        )
    },
    (f"{AGREEMENT}/members", "post", "201"): {
        "DecideInvitation": (
            "/api/v1/invitations/{invitation_id}/{decision}",
            "post",
            {"invitation_id": "$response.body#/id"},
        ),
    },
    (f"{AGREEMENT}/annexes", "post", "201"): {
        f"{name}": (path, method, {"annex_id": "$response.body#/id"})
        for name, path, method in (
            ("GetAnnex", ANNEX, "get"),
            ("EditAnnex", ANNEX, "patch"),
            ("FireAnnexEvent", f"{ANNEX}/events", "post"),
        )
    },
    (f"{AGREEMENT}/tasks", "post", "201"): {
        f"{name}": (path, method, {"task_id": "$response.body#/id"})
        for name, path, method in (
            ("GetTask", TASK, "get"),
            ("FireTaskEvent", f"{TASK}/events", "post"),
        )
    },
    (f"{AGREEMENT}/escalations", "post", "201"): {
        f"{name}": (path, method, {"escalation_id": "$response.body#/id"})
        for name, path, method in (
            ("GetEscalation", ESCALATION, "get"),
            ("FireEscalationEvent", f"{ESCALATION}/events", "post"),
        )
    },
    (f"{AGREEMENT}/documents", "post", "201"): {
        f"{name}": (path, method, {"document_id": "$response.body#/id"})
        for name, path, method in (
            ("GetDocument", DOCUMENT, "get"),
            ("GetDocumentPdf", f"{DOCUMENT}/pdf", "get"),
            ("SignOff", f"{DOCUMENT}/sign-off", "post"),
            ("RetrySigning", f"{DOCUMENT}/retry-signing", "post"),
            ("RenderDocument", f"{DOCUMENT}/renders", "post"),
        )
    },
    **{
        (source, "post", "202"): {
            f"{name}": (path, method, {"render_id": "$response.body#/id"})
            for name, path, method in (
                ("GetRender", RENDER, "get"),
                ("DownloadRender", f"{RENDER}/pdf", "get"),
            )
        }
        for source in (f"{AGREEMENT}/renders", f"{DOCUMENT}/renders")
    },
}


def _pointer(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def add_links(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the links whose source and target operations are in the document."""
    paths = spec.get("paths", {})
    for (source, method, status), links in LINKS.items():
        response = paths.get(source, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        for name, (target, target_method, parameters) in links.items():
            if target_method not in paths.get(target, {}):
                continue
            response.setdefault("links", {})[name] = {
                "operationRef": _pointer(target, target_method),
                "parameters": parameters,
            }
    return spec
