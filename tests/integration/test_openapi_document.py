"""The OpenAPI document declares what each route can answer, as clients will meet it."""

import pytest

from api.commands import COMMANDS
from api.main import create_app


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app().openapi()


def test_every_case_command_requires_if_match_and_declares_its_refusals(document):
    for spec in COMMANDS:
        operation = document["paths"][f"/cases/{{case_id}}/{spec.path}"]["post"]
        if_match = [p for p in operation["parameters"] if p["name"] == "if-match"]
        assert if_match and if_match[0]["required"] is True, spec.path
        assert {"200", "401", "403", "404", "409", "413", "422", "428"} <= set(
            operation["responses"]), spec.path


def test_every_refusal_is_problem_json_with_its_schema(document):
    problem = document["components"]["schemas"]["Problem"]
    assert {"title", "status", "detail"} <= set(problem["required"])
    assert {"rule", "field", "errors"} <= set(problem["properties"])
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert list(response["content"]) == ["application/problem+json"], (
                        path, method, status)
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"}


def test_reads_and_writes_declare_what_they_can_answer(document):
    paths = document["paths"]
    assert set(paths["/cases"]["get"]["responses"]) == {"200", "401", "403", "422", "429"}
    assert set(paths["/cases"]["post"]["responses"]) == {
        "201", "401", "403", "404", "409", "413", "422", "429"}
    assert set(paths["/cases/{case_id}"]["get"]["responses"]) >= {"200", "401", "403", "404"}
    assert set(paths["/health"]["get"]["responses"]) == {"200", "503"}


def test_every_operation_that_takes_a_token_declares_the_throttles_429(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "401" in operation["responses"]:
                refused = operation["responses"].get("429")
                assert refused is not None, (path, method)
                assert "Retry-After" in refused["headers"], (path, method)


def _linked(response: dict, document: dict) -> dict[str, dict]:
    """The links of an answer, each resolved from components/links."""
    return {name: document["components"]["links"][link["$ref"].rsplit("/", 1)[1]]
            for name, link in response.get("links", {}).items()}


def test_an_opened_case_links_its_id_and_etag_to_every_operation_on_it(document):
    """So a client (or schemathesis's stateful phase) follows a case through its commands."""
    ids = {operation["operationId"]: (path, method)
           for path, operations in document["paths"].items()
           for method, operation in operations.items()}
    on_a_case = {(p, m) for p, m in ids.values() if p.startswith("/cases/{case_id}")}
    opened = _linked(document["paths"]["/cases"]["post"]["responses"]["201"], document)
    assert {ids[link["operationId"]] for link in opened.values()} == on_a_case
    for link in opened.values():
        path, method = ids[link["operationId"]]
        assert link["parameters"]["path.case_id"] == "$response.body#/id"
        assert ("header.if-match" in link["parameters"]) == (method == "post"), path
    for spec in COMMANDS:
        answer = document["paths"][f"/cases/{{case_id}}/{spec.path}"]["post"]["responses"]["200"]
        assert _linked(answer, document) == opened, spec.path
    assert "id" in document["components"]["schemas"]["CasePublic"]["properties"]
