"""NUL and other control characters are refused in every text of every request (422)."""

from typing import get_args
from uuid import UUID

from api.commands import COMMANDS
from api.main import create_app
from api.role_table import api_routes
from api.text import RequestBody
from domain.text import RULE
from tests.e2e.conftest import bearer
from tests.e2e.test_invalid_bodies import _case, _example, _role_for
from tests.helpers import OPEN_CASE


def _with_a_nul(schema, body: dict) -> str:
    """Put a NUL in the example's first free text (not a closed vocabulary, date or number)."""
    for name, value in body.items():
        annotation = schema.model_fields[name].annotation
        if isinstance(value, str) and annotation in (str, str | None):
            body[name] = value + "\x00"
            return name
        if annotation == list[str] and value:
            body[name] = [value[0] + "\x00", *value[1:]]
            return name
    raise AssertionError(f"{schema.__name__} has no free text in its example")


async def test_every_command_refuses_a_nul_in_its_text_naming_the_field(http, tokens, cases):
    case_id = await _case(http, tokens)
    for spec in COMMANDS:
        body = _example(spec.schema)
        field = _with_a_nul(spec.schema, body)
        response = await http.post(f"/cases/{case_id}/{spec.path}", json=body, headers={
            **bearer(tokens[_role_for(spec)]), "If-Match": '"1"'})
        assert response.status_code == 422, (spec.path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == (field, RULE), spec.path
    assert len(cases.history(UUID(case_id))) == 1


async def test_opening_a_case_refuses_control_characters_and_line_breaks_in_a_name(http, tokens):
    headers = bearer(tokens["coordinator"])
    for field, value in (("authority", "North\x00shire"), ("authority", "North\nshire"),
                         ("summary", "bell\x07"), ("summary", "esc\x1b[31m"),
                         ("region", "North West\x85")):
        response = await http.post("/cases", json={**OPEN_CASE, field: value}, headers=headers)
        assert response.status_code == 422, (field, value, response.text)
        assert response.json()["errors"][0]["field"] == field
        assert response.json()["errors"][0]["rule"] == RULE
    fine = {**OPEN_CASE, "summary": "Line one\n\tLine two"}
    assert (await http.post("/cases", json=fine, headers=headers)).status_code == 201


async def test_nested_texts_are_checked_and_named_where_they_sit(http, tokens):
    case_id = await _case(http, tokens)
    plan = _example(next(s.schema for s in COMMANDS if s.path == "plan"))
    plan["actions"] = [{**plan["actions"][0], "measure": "fine\x00"}]
    response = await http.post(f"/cases/{case_id}/plan", json=plan, headers={
        **bearer(tokens["coordinator"]), "If-Match": '"1"'})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "actions.0.measure"
    review = {"suggestions": ["ok", "not\x00ok"]}
    response = await http.post(f"/cases/{case_id}/plan/reviews", json=review, headers={
        **bearer(tokens["coordinator"]), "If-Match": '"1"'})
    assert response.status_code == 422
    assert "suggestions[1]" in response.json()["detail"]


async def test_a_query_string_with_a_nul_is_refused_naming_the_parameter(http, tokens):
    response = await http.get("/cases?authority=North%00shire", headers=bearer(tokens["inspector"]))
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["rule"]) == ("authority", RULE)
    response = await http.get("/authorities/North%00shire", headers=bearer(tokens["inspector"]))
    assert (response.status_code, response.json()["field"]) == (422, "path")


def test_every_request_body_of_the_api_checks_its_text():
    """A new body type that forgot the shared check would let a NUL through."""
    bodies = [param.field_info.annotation for route in api_routes(create_app())
              for param in route.dependant.body_params]
    assert len(bodies) > 20
    for body in bodies:
        kinds = [k for k in get_args(body) if k is not type(None)] or [body]  # X | None: X
        assert all(issubclass(kind, RequestBody) for kind in kinds), body
