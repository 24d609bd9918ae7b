"""Seed 004's Midthorpe peer team, recorded in full through the real API.

"An experienced IDeA associate project managed the peer team process and put
together the team. This consisted of two officers from Oxtown Borough and
Munbridge City Councils, an official from the NSPCC and a member peer." The
NSPCC official could not be recorded before partner organisations were admitted
to the peer register, so could not be deployed at all. Here the coordinator
accredits all four over HTTP (the two officers with the request body of before,
naming their `council`), matches them to Midthorpe's diagnosis and deploys each
on the case; the case and the registers show the same team.
"""

from datetime import UTC, datetime, timedelta

from services.identity.service import IdentityService
from tests.e2e.conftest import bearer
from tests.e2e.test_case_journey import PLAN
from tests.helpers import OPEN_CASE

REGION = OPEN_CASE["region"]  # the test coordinator's region
MIDTHORPE, OXTOWN, MUNBRIDGE = ("Midthorpe Council", "Oxtown Borough Council",
                                "Munbridge City Council")
MEMBER_PEERS_COUNCIL = "Ardley District Council"  # the seed does not say; invented here
NEEDS = dict(problem_natures=["capability", "capacity"],
             service_areas=["children's services"], days_per_quarter=8)
TEAM = [
    dict(name="Officer of Oxtown", role="officer", council=OXTOWN, **NEEDS),
    dict(name="Officer of Munbridge", role="officer", council=MUNBRIDGE, **NEEDS),
    dict(name="Official of the NSPCC", role="official", organisation="NSPCC",
         organisation_kind="charity", conflicts_of_interest=[MUNBRIDGE], **NEEDS),
    dict(name="Member peer", role="councillor", organisation=MEMBER_PEERS_COUNCIL,
         organisation_kind="council", **NEEDS),
]


async def _register_councils(http, coordinator: dict[str, str]) -> None:
    for name, kind in ((MIDTHORPE, "unitary"), (OXTOWN, "district"),
                       (MUNBRIDGE, "unitary"), (MEMBER_PEERS_COUNCIL, "district")):
        made = await http.post("/authorities", headers=coordinator, json={
            "name": name, "authority_type": kind, "region": REGION})
        assert made.status_code == 201, made.text


async def _midthorpe_case_with_plan_agreed(http, coordinator: dict[str, str],
                                           liaison: dict[str, str]) -> tuple[str, str]:
    opened = await http.post("/cases", headers=coordinator, json={
        "authority": MIDTHORPE, "region": REGION,
        "summary": "Joint area review: safeguarding needs improvement",
        "source": "inspectorate report", "issue_type": "service-specific issue",
        "diagnosis_due": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    assert opened.status_code == 201, opened.text
    case_id, etag = opened.json()["id"], opened.headers["etag"]
    for who, command, body in (
            (coordinator, "diagnosis", {
                "summary": "The safeguarding children board's roles are unclear",
                "problem_natures": ["capability", "capacity"]}),
            (coordinator, "plan", PLAN),
            (liaison, "plan/agreement", {"reason": "Cabinet agreed"})):
        done = await http.post(f"/cases/{case_id}/{command}", json=body,
                               headers={**who, "If-Match": etag})
        assert done.status_code == 200, f"{command}: {done.text}"
        etag = done.headers["etag"]
    return case_id, etag


async def test_the_midthorpe_team_is_recorded_matched_and_deployed_in_full(
        http, tokens, identity: IdentityService):
    coordinator = bearer(tokens["coordinator"])
    await _register_councils(http, coordinator)
    identity.register_user(username="mira", role="authority liaison", authority=MIDTHORPE)
    liaison = bearer(identity.issue_token("mira"))

    councillor_of_a_charity = await http.post("/peers", headers=coordinator, json={
        **TEAM[2], "name": "Someone", "role": "councillor"})
    assert councillor_of_a_charity.status_code == 422, councillor_of_a_charity.text
    assert (councillor_of_a_charity.json()["field"],
            councillor_of_a_charity.json()["rule"]) == ("role", "peer_role_fits_organisation")

    ids = {}
    for peer in TEAM:
        made = await http.post("/peers", headers=coordinator, json=peer)
        assert made.status_code == 201, made.text
        ids[peer["name"]] = made.json()["id"]
    registered = {p["name"]: p for p in (await http.get("/peers", headers=coordinator)).json()}
    assert registered["Official of the NSPCC"]["organisation_kind"] == "charity"
    assert registered["Official of the NSPCC"]["council"] is None
    assert registered["Officer of Oxtown"]["organisation"] == OXTOWN  # the body of before

    case_id, etag = await _midthorpe_case_with_plan_agreed(http, coordinator, liaison)
    matches = await http.get("/support-matches", headers=coordinator, params={
        "authority": MIDTHORPE, "problem_nature": ["capability", "capacity"],
        "service_area": "children's services", "days": 4})
    assert matches.status_code == 200, matches.text
    assert {m["name"] for m in matches.json()["peers"]} == set(ids)

    for name, peer_id in ids.items():
        deployed = await http.post(
            f"/cases/{case_id}/peer-deployments", headers={**coordinator, "If-Match": etag},
            json={"peer_id": peer_id, "days": 4, "role": f"{name} on the peer team",
                  "reason": "Seed 004's peer team for safeguarding"})
        assert deployed.status_code == 200, f"{name}: {deployed.text}"
        etag = deployed.headers["etag"]

    case = (await http.get(f"/cases/{case_id}", headers=coordinator)).json()
    assert sorted(d["peer_council"] for d in case["deployments"].values()) == sorted(
        [OXTOWN, MUNBRIDGE, "NSPCC", MEMBER_PEERS_COUNCIL])
    assert {d["status"] for d in case["deployments"].values()} == {"active"}
    picture = (await http.get("/regions/support-picture", headers=coordinator)).json()
    deployed_here = [p for p in {r["region"]: r for r in picture}[REGION]["peers_deployed"]
                     if p["case_id"] == case_id]
    assert {(p["peer"], p["organisation"]) for p in deployed_here} == {
        (peer["name"], peer.get("organisation") or peer["council"]) for peer in TEAM}
    nspcc = await http.get(f"/peers/{ids['Official of the NSPCC']}", headers=coordinator)
    assert nspcc.json()["days_left"] == 4
    assert nspcc.json()["deployments"][0]["case_id"] == case_id
