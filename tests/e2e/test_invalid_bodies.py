"""An invalid body for any command gets a 4xx naming the field and writes nothing."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from api.commands import COMMANDS
from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE


def _example(schema) -> dict:
    return dict(schema.model_config["json_schema_extra"]["examples"][0])


async def _case(http, tokens) -> str:
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    response = await http.post("/cases", json={**OPEN_CASE, "diagnosis_due": later},
                               headers=bearer(tokens["coordinator"]))
    return response.json()["id"]


def _role_for(spec) -> str:
    return "authority liaison" if spec.action in (
        "acknowledge need", "agree support plan", "decline support") else "coordinator"


async def test_every_command_refuses_a_missing_required_field_naming_it(http, tokens, cases):
    case_id = await _case(http, tokens)
    for spec in COMMANDS:
        required = [n for n, f in spec.schema.model_fields.items() if f.is_required()]
        if not required:  # asking the council to agree: its note may be left out
            continue
        body = {**_example(spec.schema), required[0]: None}
        response = await http.post(f"/cases/{case_id}/{spec.path}", json=body, headers={
            **bearer(tokens[_role_for(spec)]), "If-Match": '"1"'})
        assert response.status_code == 422, (spec.path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [required[0]], spec.path
    assert len(cases.history(UUID(case_id))) == 1


async def test_every_command_refuses_an_unknown_field(http, tokens, cases):
    case_id = await _case(http, tokens)
    for spec in COMMANDS:
        body = {**_example(spec.schema), "actor_id": "mallory"}
        response = await http.post(f"/cases/{case_id}/{spec.path}", json=body, headers={
            **bearer(tokens[_role_for(spec)]), "If-Match": '"1"'})
        assert response.status_code == 422, (spec.path, response.text)
        assert response.json()["errors"][0]["rule"] == "extra_forbidden"
    assert len(cases.history(UUID(case_id))) == 1


async def test_a_body_the_domain_refuses_names_the_rule_and_writes_nothing(http, tokens, cases):
    case_id = await _case(http, tokens)
    headers = {**bearer(tokens["coordinator"]), "If-Match": '"1"'}
    plan = _example(next(s.schema for s in COMMANDS if s.path == "plan"))
    plan["actions"] = [{**plan["actions"][0], "owner": "   "}]
    response = await http.post(f"/cases/{case_id}/plan", json=plan, headers=headers)
    assert 400 <= response.status_code < 500
    assert response.json()["rule"] in ("plan_actions_are_smart", "plan_needs_diagnosis")
    not_yet = await http.post(f"/cases/{case_id}/peer-deployments", headers=headers, json={
        "peer_id": "6f1c2d4e-0000-4000-8000-000000000002", "days": 1, "role": "peer",
        "reason": "x"})
    assert not_yet.status_code == 409 and not_yet.json()["rule"] == "plan_agreed_first"
    assert len(cases.history(UUID(case_id))) == 1


async def test_every_command_has_an_example_in_the_openapi_document(http):
    spec = (await http.get("/openapi.json")).json()
    for command in COMMANDS:
        operation = spec["paths"][f"/cases/{{case_id}}/{command.path}"]["post"]
        schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
        assert schema.get("examples"), command.path
