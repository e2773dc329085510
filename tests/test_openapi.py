from __future__ import annotations


def test_openapi_document_is_generated_and_lists_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/v1/agreements",
        "/api/v1/agreements/{code}",
        "/api/v1/agreements/{code}/members",
        "/api/v1/agreements/{code}/scope",
        "/api/v1/agreements/{code}/scope/versions",
        "/api/v1/agreements/{code}/scope/diff",
        "/api/v1/users",
    ):
        assert path in paths, path
    assert (
        "bearerAuth" in str(spec["components"]["securitySchemes"])
        or spec["components"]["securitySchemes"]
    )
    assert not any(p.startswith("/agreements") or p == "/login" for p in paths), "pages are not API"


def test_unknown_api_route_is_a_problem_and_unknown_page_is_html(client):
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    page = client.get("/nothing-here")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_ids_beyond_the_database_range_are_not_found(client):
    from tests.factories import make_user, token_for

    response = client.get("/api/v1/tasks/10854667472090306560", headers=token_for(make_user()))
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_error_responses_are_documented_as_problem_details(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/agreements/{code}"]["patch"]
    assert "application/problem+json" in operation["responses"]["422"]["content"]
    assert operation["responses"]["400"]["content"]["application/problem+json"]
    value = spec["components"]["schemas"]["AgreementOut"]["properties"]["value"]
    assert value["type"] == "string" and value["format"] == "decimal"


def test_the_served_document_is_valid_openapi(client):
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").json
    validate(spec)  # raises, naming the place, when the document is not valid


def test_every_response_has_a_description(client):
    spec = client.get("/api/v1/openapi.json").json
    missing = [
        f"{method.upper()} {path} {status}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        for status, response in operation.get("responses", {}).items()
        if not response.get("description")
    ]
    assert missing == []


def test_links_lead_from_created_objects_to_the_operations_on_them(client):
    spec = client.get("/api/v1/openapi.json").json
    created = spec["paths"]["/api/v1/agreements"]["post"]["responses"]["201"]
    links = created["links"]
    assert links["DraftAnnex"]["parameters"] == {"code": "$response.body#/code"}
    annex_links = spec["paths"]["/api/v1/agreements/{code}/annexes"]["post"]["responses"]["201"]
    assert "FireAnnexEvent" in annex_links["links"]
    issued = spec["paths"]["/api/v1/agreements/{code}/documents"]["post"]["responses"]["201"]
    assert {"SignOff", "RetrySigning"} <= set(issued["links"])
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    _, target_path, method = link["operationRef"].rsplit("/", 2)
                    target = target_path.replace("~1", "/").replace("~0", "~")
                    assert method in spec["paths"][target], (path, link)


def test_every_list_endpoint_documents_its_sort_fields(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/agreements",
        "/api/v1/agreements/{code}/tasks",
        "/api/v1/agreements/{code}/annexes",
        "/api/v1/agreements/{code}/escalations",
        "/api/v1/me/notifications",
        "/api/v1/agreements/{code}/tasks/export",
        "/api/v1/agreements/{code}/annexes/export",
    ):
        sort = next(p for p in paths[path]["get"]["parameters"] if p["name"] == "sort")
        values = [v for v in sort["schema"]["enum"] if v]
        assert values and all(f"-{v}" in values for v in values if not v.startswith("-")), path
        assert "descending" in sort["description"], path


def test_exports_and_search_are_documented(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for kind in ("scope", "tasks", "usage", "annexes"):
        operation = paths[f"/api/v1/agreements/{{code}}/{kind}/export"]["get"]
        formats = next(p for p in operation["parameters"] if p["name"] == "format")
        assert formats["schema"]["enum"] == ["csv", "xlsx"]
        assert "text/csv" in operation["responses"]["200"]["content"]
    assert "q" in str(paths["/api/v1/search"]["get"]["parameters"])


def test_a_path_segment_of_a_few_words_is_documented_with_them(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/invitations/{invitation_id}/{decision}"]["post"]
    decision = next(p for p in operation["parameters"] if p["name"] == "decision")
    assert decision["schema"] == {"type": "string", "enum": ["accept", "decline", "withdraw"]}


def test_a_body_with_required_fields_is_itself_required(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert paths["/api/v1/agreements/{code}/tasks/decisions"]["post"]["requestBody"]["required"]
    assert paths["/api/v1/agreements"]["post"]["requestBody"]["required"]
    # every field of a change is optional: an empty change is a change of nothing
    assert not paths["/api/v1/agreements/{code}"]["patch"]["requestBody"].get("required")


def test_links_lead_from_a_raised_escalation_to_its_events(client):
    spec = client.get("/api/v1/openapi.json").json
    raised = spec["paths"]["/api/v1/agreements/{code}/escalations"]["post"]["responses"]["201"]
    link = raised["links"]["FireEscalationEvent"]
    assert link["parameters"] == {"escalation_id": "$response.body#/id"}
    assert link["operationRef"].endswith("~1escalations~1{escalation_id}~1events/post")


def test_an_import_documents_its_file_and_a_profile_its_name(client):
    from contracts_app.tasks.profiles import NAME_PATTERN

    paths = client.get("/api/v1/openapi.json").json["paths"]
    body = paths["/api/v1/agreements/{code}/tasks/import"]["post"]["requestBody"]
    assert body["required"] and {"text/csv", "multipart/form-data"} <= set(body["content"])
    assert body["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    for method in ("get", "put", "delete"):
        operation = paths["/api/v1/agreements/{code}/import-profiles/{name}"][method]
        name = next(p for p in operation["parameters"] if p["name"] == "name")
        assert name["schema"]["pattern"] == NAME_PATTERN.pattern, method
