"""The documented role table is the truth: generated from the routes, obeyed over HTTP.

For every endpoint and every role, a real request with that role's token is
refused (403, or 404 where the case is not theirs to know of) exactly where the
documented table says "—", and passes the gate everywhere else. Bodies are empty,
so a request that passes the gate stops at validation (422) and writes nothing.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.main import create_app
from api.role_table import NOT_ALLOWED, render
from domain.identity import Role
from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE
from tests.support_registers import seed_registers

ROLE_TABLE_PAGE = Path(__file__).resolve().parents[2] / "docs" / "api-and-roles.md"
_ROW = re.compile(r"^\| `(\w+) (\S+)` \| [^|]+ \|(.*)\|$")


def documented_table() -> str:
    text = ROLE_TABLE_PAGE.read_text()
    return text.split("<!-- role-table -->\n", 1)[1].split("\n<!-- /role-table -->", 1)[0]


def documented_rows() -> list[tuple[str, str, dict[Role, str]]]:
    rows = []
    for line in documented_table().splitlines():
        if match := _ROW.match(line):
            cells = [c.strip() for c in match.group(3).split("|")]
            rows.append((match.group(1), match.group(2), dict(zip(Role, cells, strict=True))))
    return rows


def test_the_documented_role_table_is_the_one_the_routes_and_rules_generate():
    assert documented_table() == render(create_app()), (
        "the role table in docs/api-and-roles.md is out of date: paste "
        "`python -m api.role_table` between its role-table markers")


async def _case_everyone_is_related_to(http, tokens, settings) -> str:
    """A case in the coordinator's region, for the liaison's council, with adam as adviser,
    pete deployed and its confidential material granted to gus of the government office,
    driven there through the API itself."""
    def as_(role: str, version: int) -> dict:
        return {**bearer(tokens[role]), "If-Match": f'"{version}"'}

    ids = seed_registers(settings.eventsourcing_env())
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    created = await http.post("/cases", json={**OPEN_CASE, "diagnosis_due": later},
                              headers=bearer(tokens["coordinator"]))
    case_id = created.json()["id"]
    steps = [
        ("coordinator", "diagnosis", {"summary": "Capacity", "problem_natures": ["capacity"]}),
        ("coordinator", "plan", {"summary": "Rebuild", "adviser_id": "adam", "actions": [{
            "description": "Interim director", "owner": "Chief executive",
            "provider": "the national improvement body", "due": "2027-03-31",
            "measure": "Monitoring visit finds progress"}]}),
        ("authority liaison", "plan/agreement", {"reason": "Cabinet agreed"}),
        ("coordinator", "peer-deployments", {"peer_id": str(ids["peer"]), "days": 2,
                                             "peer_user": "pete", "role": "officer peer",
                                             "reason": "Experienced"}),
        ("coordinator", "confidential-access", {"grantee": "gus",
                                                "reason": "The locality team joins"}),
    ]
    for version, (role, path, body) in enumerate(steps, start=1):
        response = await http.post(f"/cases/{case_id}/{path}", json=body,
                                   headers=as_(role, version))
        assert response.status_code == 200, response.text
    return case_id


def _url(path: str, case_id: str) -> str:
    other = str(uuid.uuid4())
    return (path.replace("{case_id}", case_id).replace("{username}", "nobody")
            .replace("{name}", OPEN_CASE["authority"]).replace("{peer_id}", "pete")
            .replace("{deployment_id}", "deployment-1").replace("{offer_id}", other)
            .replace("{commission_id}", other).replace("{commitment_id}", other)
            .replace("{region}", OPEN_CASE["region"]))


_QUERIES = {"/cases/{case_id}/as-of": {"version": 1}}


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_the_api_answers_every_role_exactly_as_the_documented_table_says(
        http, tokens, settings):
    case_id = await _case_everyone_is_related_to(http, tokens, settings)
    wrong = []
    for method, path, cells in documented_rows():
        for role, cell in cells.items():
            response = await http.request(
                method, _url(path, case_id), params=_QUERIES.get(path),
                json={} if method in ("POST", "PUT") else None, headers=bearer(tokens[role]))
            refused = response.status_code in (401, 403) or (
                response.status_code == 404 and response.json().get("rule") == "case_not_found")
            if refused != (cell == NOT_ALLOWED):
                wrong.append(f"{method} {path} as {role}: {response.status_code} "
                             f"but the table says {cell!r}")
    assert wrong == []


async def test_outsiders_are_refused_where_the_table_limits_a_role_to_its_own_cases(
        http, tokens, settings):
    case_id = await _case_everyone_is_related_to(http, tokens, settings)
    for outsider in ("other coordinator", "other liaison"):
        for path in ("", "/history", "/stage"):
            response = await http.get(f"/cases/{case_id}{path}", headers=bearer(tokens[outsider]))
            assert response.status_code == 404, (outsider, path)
        listed = (await http.get("/cases", headers=bearer(tokens[outsider]))).json()
        assert listed["cases"] == []
        asked = await http.get("/cases", params={"region": "North West",
                                                 "authority": OPEN_CASE["authority"]},
                               headers=bearer(tokens[outsider]))
        assert asked.status_code == 200 and asked.json()["cases"] == []
    mine = (await http.get("/cases", headers=bearer(tokens["peer"]))).json()
    assert [row["case_id"] for row in mine["cases"]] == [case_id]
