"""One text rule for every way in, over real HTTP: JSON bodies, query strings, CSV files.

Each refusal is a 422 problem naming the field (or the CSV line) and the rule,
and nothing is written.
"""

import json
import re
import typing
from uuid import UUID

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.commands import COMMANDS
from api.main import create_app
from api.role_table import api_routes
from api.text import DUPLICATE_KEY_RULE
from domain.text import BIDI_RULE, INVISIBLE_RULE
from tests.e2e.conftest import bearer
from tests.e2e.test_input_rules import _refused
from tests.e2e.test_invalid_bodies import _case, _example, _role_for
from tests.helpers import OPEN_CASE

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


def _first_free_text(schema, body: dict, text: str) -> str:
    """Make the example's first free text (not a vocabulary, date or number) `text`."""
    for name, value in body.items():
        annotation = schema.model_fields[name].annotation
        if isinstance(value, str) and annotation in (str, str | None):
            body[name] = text
            return name
        if annotation == list[str] and value:
            body[name] = [text, *value[1:]]
            return name
    raise AssertionError(f"{schema.__name__} has no free text in its example")


@SQLITE
@pytest.mark.parametrize("text, rule", [
    ("Pay \u202etnuocca\u202c now", BIDI_RULE),
    ("\u200b\u200d\ufeff", INVISIBLE_RULE),
])
async def test_every_command_and_opening_refuse_bidi_overrides_and_invisible_only_text(
        http, tokens, cases, text, rule):
    case_id = await _case(http, tokens)
    for spec in COMMANDS:
        body = _example(spec.schema)
        field = _first_free_text(spec.schema, body, text)
        response = await http.post(f"/cases/{case_id}/{spec.path}", json=body, headers={
            **bearer(tokens[_role_for(spec)]), "If-Match": '"1"'})
        problem = _refused(response, field.split("[")[0], rule)
        assert problem["status"] == 422, spec.path
    for field in ("authority", "summary"):
        _refused(await http.post("/cases", json={**OPEN_CASE, field: text},
                                 headers=bearer(tokens["coordinator"])), field, rule)
    assert cases.case_ids() == [UUID(case_id)]
    assert len(cases.history(UUID(case_id))) == 1


@SQLITE
async def test_a_query_parameter_with_a_bidi_override_or_only_invisible_text_is_refused(
        http, tokens):
    headers = bearer(tokens["inspector"])
    _refused(await http.get("/cases", params={"authority": "North\u202eshire"},
                            headers=headers), "authority", BIDI_RULE)
    _refused(await http.get("/cases", params={"owner": "\u200b"}, headers=headers),
             "owner", INVISIBLE_RULE)
    assert (await http.get("/cases", params={"authority": "Northshire"},
                           headers=headers)).status_code == 200


@SQLITE
async def test_a_key_named_twice_is_refused_naming_it_and_nothing_is_written(
        http, tokens, cases):
    headers = {**bearer(tokens["coordinator"]), "Content-Type": "application/json"}
    opening = json.dumps(OPEN_CASE)[:-1] + ', "summary": "a second, different summary"}'
    response = await http.post("/cases", content=opening, headers=headers)
    problem = _refused(response, "summary", DUPLICATE_KEY_RULE)
    assert "summary is given twice" in problem["detail"]
    assert cases.case_ids() == []
    case_id = await _case(http, tokens)
    plan = _example(next(s.schema for s in COMMANDS if s.path == "plan"))
    action = json.dumps(plan["actions"][0])[:-1] + ', "owner": "Someone else"}'
    nested = json.dumps({**plan, "actions": ["ACTION"]}).replace('"ACTION"', action)
    response = await http.post(f"/cases/{case_id}/plan", content=nested,
                               headers={**headers, "If-Match": '"1"'})
    _refused(response, "actions[0].owner", DUPLICATE_KEY_RULE)
    assert len(cases.history(UUID(case_id))) == 1


@SQLITE
async def test_every_json_body_of_the_api_refuses_a_duplicate_key(http, tokens):
    """Whatever the route and whoever asks: the check stands in front of every body."""
    routes = [(method, route.path) for route in api_routes(create_app())
              if route.dependant.body_params for method in route.methods or ()]
    assert len(routes) > 20
    for method, path in routes:
        url = re.sub(r"\{[^}]+\}", "x", path)
        response = await http.request(method, url, content=b'{"reason": "a", "reason": "b"}',
                                      headers={**bearer(tokens["admin"]),
                                               "Content-Type": "application/json"})
        _refused(response, "reason", DUPLICATE_KEY_RULE)


@SQLITE
async def test_a_date_given_as_digits_is_refused_in_a_query_and_a_body(http, tokens):
    headers = bearer(tokens["coordinator"])
    for as_of in ("0", "20270101", "1700000000", "0.0"):
        _refused(await http.get("/authorities/duties", params={"as_of": as_of},
                                headers=headers), "as_of", "date_not_iso8601")
    assert (await http.get("/authorities/duties", params={"as_of": "2027-01-31"},
                           headers=headers)).status_code == 200
    case_id = await _case(http, tokens)
    _refused(await http.get(f"/cases/{case_id}/as-of", params={"at": "0"},
                            headers=bearer(tokens["inspector"])), "at", "date_not_iso8601")
    url = f"/authorities/{OPEN_CASE['authority']}/self-evaluations"
    _refused(await http.post(url, json={"on": "0"}, headers=headers), "on", "date_not_iso8601")


def _date_inputs(model: type[BaseModel], path: str = "") -> typing.Iterator[tuple[str, object]]:
    """(where, the type) of every field of a body, nested models too."""
    for name, field in model.model_fields.items():
        annotation = typing.Annotated[field.annotation, *field.metadata] if field.metadata \
            else field.annotation
        yield f"{path}{name}", annotation
        for inner in typing.get_args(field.annotation) or (field.annotation,):
            for candidate in typing.get_args(inner) or (inner,):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    yield from _date_inputs(candidate, f"{path}{name}.")


def test_every_date_and_time_the_api_takes_refuses_digits():
    """A new field typed a bare `date` or `datetime` (not Day or Moment) would take `0`."""
    found = []
    for route in api_routes(create_app()):
        inputs = [(p.name, p.field_info.annotation if not p.field_info.metadata else
                   typing.Annotated[p.field_info.annotation, *p.field_info.metadata])
                  for p in route.dependant.query_params]
        for body in route.dependant.body_params:
            for model in typing.get_args(body.field_info.annotation) or (
                    body.field_info.annotation,):  # an optional body: its model
                if isinstance(model, type) and issubclass(model, BaseModel):
                    inputs += list(_date_inputs(model))
        for where, annotation in inputs:
            adapter = TypeAdapter(annotation)
            own = {k: v for k, v in adapter.json_schema().items() if k != "$defs"}
            if '"format": "date' not in json.dumps(own):
                continue
            found.append(where)
            with pytest.raises(ValidationError) as refused:
                adapter.validate_python("0")
            assert refused.value.errors()[0]["type"] == "date_not_iso8601", (route.path, where)
    assert {"as_of", "at", "on", "diagnosis_due", "visited_at", "actions.due"} <= set(found), found


@SQLITE
async def test_a_csv_file_over_http_keeps_the_text_rule(http, tokens):
    headers = {**bearer(tokens["coordinator"]), "Content-Type": "text/csv"}
    header = "name,authority_type,region\n"
    latin1 = (header + "Ynys M\u00f4n,unitary,North West\n").encode("latin-1")
    problem = _refused(await http.post("/authorities/import", content=latin1, headers=headers),
                       "file", "csv_rows_refused")
    assert [(r["line"], r["rule"]) for r in problem["rows"]] == [(2, "csv_not_utf8")]
    nul = (header + "Nul\x00moor Council,unitary,North West\n").encode()
    problem = _refused(await http.post("/authorities/import", content=nul, headers=headers),
                       "file", "csv_rows_refused")
    assert [(r["line"], r["field"], r["rule"]) for r in problem["rows"]] == [
        (2, "name", "no_control_characters")]
    listed = (await http.get("/authorities", headers=headers)).json()
    assert not [a for a in listed if "moor" in a["name"] or "Ynys" in a["name"]]
