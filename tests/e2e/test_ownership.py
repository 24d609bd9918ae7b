"""Owners, reassignment, the worklist filters and Chatham House grants, over real HTTP.

Each rule is shown refused and allowed through the API, with the tokens of real users.
"""

from datetime import UTC, datetime, timedelta

from api.commands import COMMANDS
from domain.calendar import add_working_days
from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE

SOURCE = "Chief executive of a neighbouring council"
LATER = (datetime.now(UTC) + timedelta(days=90)).isoformat()


async def _open(http, token: str, **extra) -> dict:
    response = await http.post("/cases", json={**OPEN_CASE, "diagnosis_due": LATER, **extra},
                               headers=bearer(token))
    assert response.status_code == 201, response.text
    return response.json()


async def _post(http, token: str, case: dict, path: str, body: dict, *,
                reader: str | None = None):
    """Post a command on the case's current version (read by `reader`: an admin reads none)."""
    current = await http.get(f"/cases/{case['id']}", headers=bearer(reader or token))
    etag = current.headers.get("etag") or f'"{case["version"]}"'
    return await http.post(f"/cases/{case['id']}/{path}", json=body,
                           headers={**bearer(token), "If-Match": etag})


async def _listed(http, token: str, **params) -> list[str]:
    response = await http.get("/cases", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return [row["case_id"] for row in response.json()["cases"]]


def _carl(identity) -> str:
    identity.register_user(username="carl", role="coordinator", region=OPEN_CASE["region"])
    return identity.issue_token("carl")


async def test_a_case_is_owned_by_its_opener_or_the_coordinator_named_and_no_one_else(
        http, tokens, identity):
    _carl(identity)
    identity.register_user(username="gone", role="coordinator", region=OPEN_CASE["region"])
    identity.deactivate("gone")
    cora = tokens["coordinator"]

    assert (await _open(http, cora))["owner"] == "cora"
    assert (await _open(http, cora, owner="carl"))["owner"] == "carl"
    for wrong in ("otto", "gone", "ines", "nobody"):  # another region's, inactive, not one
        response = await http.post("/cases", json={**OPEN_CASE, "owner": wrong},
                                   headers=bearer(cora))
        assert response.status_code == 422, (wrong, response.text)
        assert (response.json()["field"], response.json()["rule"]) == (
            "owner", "owner_is_region_coordinator")
    assert len(await _listed(http, cora)) == 2  # nothing written by a refusal


async def test_a_coordinator_of_the_region_or_an_admin_reassigns_and_it_is_recorded(
        http, tokens, identity):
    _carl(identity)
    case = await _open(http, tokens["coordinator"])
    reason = {"reason": "Cora is on leave until March"}

    for who, status in (("authority liaison", 403), ("adviser", 404), ("peer", 404),
                        ("inspector", 403), ("other coordinator", 404)):
        response = await _post(http, tokens[who], case, "owner", {"owner": "carl", **reason})
        assert response.status_code == status, (who, response.text)
    refused = await _post(http, tokens["coordinator"], case, "owner",
                          {"owner": "otto", **reason})
    assert refused.status_code == 422 and refused.json()["field"] == "owner"
    same = await _post(http, tokens["coordinator"], case, "owner", {"owner": "cora", **reason})
    assert same.status_code == 409 and same.json()["rule"] == "owner_unchanged"

    moved = await _post(http, tokens["coordinator"], case, "owner", {"owner": "carl", **reason})
    assert moved.status_code == 200 and moved.json()["owner"] == "carl"
    back = await _post(http, tokens["admin"], case, "owner",
                       {"owner": "cora", "reason": "Carl has left the RIEP"},
                       reader=tokens["coordinator"])
    assert back.status_code == 200, back.text

    history = (await http.get(f"/cases/{case['id']}/history",
                              headers=bearer(tokens["inspector"]))).json()
    reassigned = [(e["data"]["from_owner"], e["data"]["to_owner"], e["actor"]["id"],
                   e["actor"]["role"], e["data"]["reason"])
                  for e in history if e["type"] == "CaseReassigned"]
    assert reassigned == [("cora", "carl", "cora", "coordinator", reason["reason"]),
                          ("carl", "cora", "ada", "admin", "Carl has left the RIEP")]


async def test_the_worklist_filters_by_owner_and_by_a_deadline_due_within_working_days(
        http, tokens, identity):
    carl = _carl(identity)
    cora = tokens["coordinator"]
    soon = add_working_days(datetime.now(UTC), 2).isoformat()
    mine = await _open(http, cora, diagnosis_due=soon)
    carls = await _open(http, cora, owner="carl")  # due in about 90 days

    assert await _listed(http, cora, owner="me") == [mine["id"]]
    assert await _listed(http, carl, owner="me") == [carls["id"]]
    assert await _listed(http, cora, owner="carl") == [carls["id"]]
    assert await _listed(http, cora, due_within=5) == [mine["id"]]
    assert await _listed(http, cora, due_within=1) == []
    assert await _listed(http, cora, due_within=80) == [mine["id"], carls["id"]]
    assert await _listed(http, carl, owner="me", due_within=5) == []
    for bad in ({"due_within": -1}, {"due_within": "soon"}):
        response = await http.get("/cases", params=bad, headers=bearer(cora))
        problem = response.json()
        fields = [e["field"] for e in problem.get("errors", [])] or [problem.get("field")]
        assert response.status_code == 422 and fields == ["due_within"], problem


async def test_a_granted_member_of_the_group_reads_the_source_until_the_grant_is_revoked(
        http, tokens):
    cora, ines = tokens["coordinator"], tokens["inspector"]
    case = await _open(http, cora)
    added = await _post(http, cora, case, "intelligence", {
        "content": "Two senior officers resigned", "source": SOURCE,
        "confidentiality": "Chatham House"})
    assert added.status_code == 200

    async def sources(token: str) -> set[str]:
        read = (await http.get(f"/cases/{case['id']}", headers=bearer(token))).json()
        history = (await http.get(f"/cases/{case['id']}/history", headers=bearer(token))).json()
        exported = (await http.get(f"/cases/{case['id']}/export", params={"format": "csv"},
                                   headers=bearer(token))).text
        shown = {i["source"] for i in read["intelligence"]}
        shown |= {e["data"]["source"] for e in history if e["type"] == "IntelligenceAdded"}
        return shown | ({SOURCE} if SOURCE in exported else {"not in the export"})

    assert SOURCE not in await sources(ines)
    body = {"grantee": "ines", "reason": "The audit body joins the plan's review"}
    for who, status in (("authority liaison", 403), ("inspector", 403), ("admin", 404)):
        response = await _post(http, tokens[who], case, "confidential-access", body)
        assert response.status_code == status, (who, response.text)
    for outsider in ("lia", "pete", "otto"):  # the council, a peer, a coordinator
        response = await _post(http, cora, case, "confidential-access",
                               {**body, "grantee": outsider})
        assert response.status_code == 422, (outsider, response.text)
        assert response.json()["rule"] == "grant_to_confidential_group"
    assert SOURCE not in await sources(ines)

    granted = await _post(http, cora, case, "confidential-access", body)
    assert granted.status_code == 200 and "ines" in granted.json()["confidential_access"]
    assert await sources(ines) == {SOURCE}
    as_of = (await http.get(f"/cases/{case['id']}/as-of", params={"version": 2},
                            headers=bearer(ines))).json()
    assert as_of["intelligence"][0]["source"] == SOURCE
    twice = await _post(http, cora, case, "confidential-access", body)
    assert twice.status_code == 409

    revoked = await _post(http, cora, case, "confidential-access/revocation",
                          {"grantee": "ines", "reason": "The review is over"})
    assert revoked.status_code == 200
    assert SOURCE not in await sources(ines)
    again = await _post(http, cora, case, "confidential-access/revocation",
                        {"grantee": "ines", "reason": "again"})
    assert again.status_code == 409 and again.json()["rule"] == "confidential_access_not_granted"
    history = (await http.get(f"/cases/{case['id']}/history", headers=bearer(ines))).json()
    assert [(e["type"], e["actor"]["id"], e["data"]["grantee"], e["data"]["reason"])
            for e in history if e["type"].startswith("ConfidentialAccess")] == [
        ("ConfidentialAccessGranted", "cora", "ines", body["reason"]),
        ("ConfidentialAccessRevoked", "cora", "ines", "The review is over")]


async def test_the_government_office_reads_a_case_only_while_a_grant_to_it_stands(
        http, tokens):
    cora, gus = tokens["coordinator"], tokens["government office"]
    case = await _open(http, cora)
    added = await _post(http, cora, case, "intelligence", {
        "content": "The section 151 officer has warned members", "source": SOURCE,
        "confidentiality": "Chatham House"})
    assert added.status_code == 200
    reads = ("", "/history", "/verification", "/export")

    async def refused_everywhere() -> None:
        for path in reads:
            response = await http.get(f"/cases/{case['id']}{path}", headers=bearer(gus))
            assert response.status_code == 404, (path, response.text)
            assert response.json()["rule"] == "case_not_found"
        as_of = await http.get(f"/cases/{case['id']}/as-of", params={"version": 1},
                               headers=bearer(gus))
        assert as_of.status_code == 404
        assert await _listed(http, gus) == []

    await refused_everywhere()
    granted = await _post(http, cora, case, "confidential-access",
                          {"grantee": "gus", "reason": "The locality team joins the group"})
    assert granted.status_code == 200, granted.text

    read = (await http.get(f"/cases/{case['id']}", headers=bearer(gus))).json()
    assert [i["source"] for i in read["intelligence"]] == [SOURCE]
    history = (await http.get(f"/cases/{case['id']}/history", headers=bearer(gus))).json()
    assert SOURCE in {e["data"].get("source") for e in history}
    for path in reads[2:]:
        response = await http.get(f"/cases/{case['id']}{path}", headers=bearer(gus))
        assert response.status_code == 200, (path, response.text)
    as_of = (await http.get(f"/cases/{case['id']}/as-of", params={"version": 2},
                            headers=bearer(gus))).json()
    assert as_of["intelligence"][0]["source"] == SOURCE
    assert await _listed(http, gus) == [case["id"]]
    for command in COMMANDS:  # every command on the case, even with a valid body
        body = {"grantee": "ines", "reason": "r"} if command.path.startswith(
            "confidential-access") else {}
        response = await _post(http, gus, case, command.path, body)
        assert response.status_code == 403, (command.path, response.text)
    assert (await http.post("/cases", json={**OPEN_CASE, "diagnosis_due": LATER},
                            headers=bearer(gus))).status_code == 403

    revoked = await _post(http, cora, case, "confidential-access/revocation",
                          {"grantee": "gus", "reason": "The review is over"})
    assert revoked.status_code == 200
    await refused_everywhere()
