"""Inputs that once crashed a request or were accepted by mistake: each a 4xx naming the
field and the rule, with nothing written."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest

from services.registers.service import RegisterService
from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE

pytestmark = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)

LATER = (datetime.now(UTC) + timedelta(days=30)).isoformat()
AUTHORITY = {"name": "Westmoor Borough Council", "authority_type": "unitary",
             "region": "North West"}


async def _case(http, tokens) -> str:
    response = await http.post("/cases", json={**OPEN_CASE, "diagnosis_due": LATER},
                               headers=bearer(tokens["coordinator"]))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _refused(response: httpx.Response, field: str, rule: str | None = None,
             status: int = 422) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    found = [(e["field"], e["rule"]) for e in body.get("errors", [])] or [
        (body["field"], body["rule"])]
    assert field in [f for f, _ in found], found
    if rule is not None:
        assert (field, rule) in found, found
    return body


@pytest.mark.parametrize("change, field, rule", [
    ({"diagnosis_due": "2030-01-01T00:00:00"}, "diagnosis_due", "timezone_aware"),
    ({"diagnosis_due": "9999-12-31T23:00:00Z"}, "diagnosis_due", "date_out_of_range"),
    ({"diagnosis_due": 1900000000}, "diagnosis_due", "date_must_be_text"),
    ({"issue_type": None}, "issue_type", None),
    ({"authority": "Nowhere Parish Council"}, "authority", "authority_not_registered"),
])
async def test_opening_a_case_refuses_a_bad_field_and_writes_nothing(
        http, tokens, cases, change, field, rule):
    body = {k: v for k, v in {**OPEN_CASE, **change}.items() if v is not None}
    response = await http.post("/cases", json=body, headers=bearer(tokens["coordinator"]))
    _refused(response, field, rule)
    assert cases.case_ids() == []


async def test_an_issue_type_is_required_and_the_refusal_lists_the_allowed_values(http, tokens):
    body = {**OPEN_CASE, "issue_type": "mild concern"}
    problem = _refused(await http.post("/cases", json=body,
                                       headers=bearer(tokens["coordinator"])), "issue_type")
    assert "organisational crisis point" in problem["detail"]


async def test_a_case_opened_in_a_region_other_than_its_authoritys_is_refused(
        http, tokens, cases, settings):
    registers = RegisterService(settings.eventsourcing_env())
    registers.register_authority(actor_id="test", **{**AUTHORITY, "region": "South East"})
    registers.close()
    body = {**OPEN_CASE, "authority": AUTHORITY["name"]}
    _refused(await http.post("/cases", json=body, headers=bearer(tokens["coordinator"])),
             "region", "region_of_the_authority")
    assert cases.case_ids() == []


@pytest.mark.parametrize("query, field, rule", [
    ({"cursor": "MQ=="}, "cursor", "cursor_unknown"),
    ({"cursor": "not base64 at all!"}, "cursor", "cursor_unknown"),
    ({"stage": "moon"}, "stage", "enum"),
    ({"risk_band": "spicy"}, "risk_band", "enum"),
    ({"status": "asleep"}, "status", "enum"),
    ({"region": "Atlantis"}, "region", "enum"),
])
async def test_the_case_list_refuses_unknown_filters_and_cursors(http, tokens, query, field,
                                                                   rule):
    problem = _refused(await http.get("/cases", params=query,
                                      headers=bearer(tokens["inspector"])), field, rule)
    if rule == "enum":
        assert "'" in problem["detail"]  # the allowed values, quoted


@pytest.mark.parametrize("query, rule", [
    ({"version": str(2**70)}, "less_than_equal"),
    ({"version": "50"}, "version_past_end"),
    ({"version": "0"}, "greater_than_equal"),
])
async def test_as_of_refuses_a_version_the_case_never_had(http, tokens, query, rule):
    case_id = await _case(http, tokens)
    response = await http.get(f"/cases/{case_id}/as-of", params=query,
                              headers=bearer(tokens["inspector"]))
    _refused(response, "version", rule)


async def test_as_of_refuses_a_time_without_a_time_zone(http, tokens):
    case_id = await _case(http, tokens)
    response = await http.get(f"/cases/{case_id}/as-of", params={"at": "2026-01-01T00:00:00"},
                              headers=bearer(tokens["inspector"]))
    _refused(response, "at", "timezone_aware")


@pytest.mark.parametrize("body, field, rule", [
    ({"content": "x", "source": "y", "expected_version": True}, "expected_version", "int_type"),
    ({"content": "x", "source": "y", "expected_version": "1"}, "expected_version", "int_type"),
    ({"content": "x", "source": "y", "expected_version": 2**64}, "expected_version",
     "less_than_equal"),
])
async def test_a_command_refuses_a_version_that_is_not_a_whole_number(http, tokens, cases,
                                                                      body, field, rule):
    case_id = await _case(http, tokens)
    response = await http.post(f"/cases/{case_id}/intelligence", json=body,
                               headers=bearer(tokens["coordinator"]))
    _refused(response, field, rule)
    assert len(cases.history(UUID(case_id))) == 1


async def test_a_peer_visit_in_the_year_9999_or_without_a_time_zone_is_refused(http, tokens):
    case_id = await _case(http, tokens)
    for visited_at, rule in (("9999-01-01T10:00:00Z", "date_out_of_range"),
                             ("2027-01-01T10:00:00", "timezone_aware"),
                             (0, "date_must_be_text")):
        response = await http.post(f"/cases/{case_id}/peer-visits", json={
            "deployment_id": "deployment-1", "visited_at": visited_at, "notes": "n"},
            headers={**bearer(tokens["coordinator"]), "If-Match": '"1"'})
        _refused(response, "visited_at", rule)


async def test_register_dates_are_text_in_range_never_numbers(http, tokens):
    headers = bearer(tokens["coordinator"])
    url = f"/authorities/{OPEN_CASE['authority']}/self-evaluations"
    _refused(await http.post(url, json={"on": 0}, headers=headers), "on", "date_must_be_text")
    _refused(await http.post(url, json={"on": "9999-01-01"}, headers=headers), "on",
             "date_out_of_range")
    authority = (await http.get(f"/authorities/{OPEN_CASE['authority']}", headers=headers)).json()
    assert authority["last_self_evaluation"] is None


async def test_a_csv_with_a_bare_carriage_return_is_refused_naming_its_line(http, tokens):
    csv = ("name,authority_type,region\nWestmoor Borough Council,unitary,North West\r"
           "Eastmoor,district,North West\n")
    response = await http.post("/authorities/import", content=csv.encode(), headers={
        **bearer(tokens["coordinator"]), "Content-Type": "text/csv"})
    problem = _refused(response, "file", "csv_rows_refused")
    assert problem["rows"][0]["rule"] == "csv_malformed" and problem["rows"][0]["line"] == 2
    listed = (await http.get("/authorities", headers=bearer(tokens["coordinator"]))).json()
    assert AUTHORITY["name"] not in [a["name"] for a in listed]


@pytest.mark.parametrize("user, field, rule", [
    ({"username": "rex", "role": "coordinator", "region": "Atlantis"}, "region", None),
    ({"username": "liz", "role": "authority liaison", "authority": "Nowhere Parish Council"},
     "authority", "authority_not_registered"),
])
async def test_a_user_is_refused_a_region_or_council_that_does_not_exist(
        http, tokens, identity, user, field, rule):
    response = await http.post("/users", json=user, headers=bearer(tokens["admin"]))
    problem = _refused(response, field, rule)
    if field == "region":
        assert "North West" in problem["detail"]
    assert user["username"] not in [u["username"] for u in identity.users()]


async def test_malformed_json_names_the_line_and_column(http, tokens, cases):
    response = await http.post("/cases", content=b'{\n  "authority": nope\n}', headers={
        **bearer(tokens["coordinator"]), "Content-Type": "application/json"})
    problem = _refused(response, "body", "json_invalid")
    assert (problem["line"], problem["column"]) == (2, 16)
    assert "line 2, column 16" in problem["detail"]
    assert cases.case_ids() == []


async def test_a_body_that_is_not_utf8_is_refused_naming_the_byte(http, tokens):
    response = await http.post("/cases", content=b'{"authority": "\xff"}', headers={
        **bearer(tokens["coordinator"]), "Content-Type": "application/json"})
    problem = _refused(response, "body", "body_not_utf8")
    assert problem["position"] == 15


async def test_a_chunked_body_over_the_limit_gets_413(http, tokens, cases):
    async def chunks():
        for _ in range(3):
            yield b" " * 400_000

    response = await http.post("/cases", content=chunks(), headers={
        **bearer(tokens["coordinator"]), "Content-Type": "application/json"})
    _refused(response, "body", "max_body_size", status=413)
    assert cases.case_ids() == []
