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
