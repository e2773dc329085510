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
