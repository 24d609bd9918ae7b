"""A whole case driven over real HTTP, each step by the user whose role it is."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import bearer
from tests.helpers import EXIT_STRATEGY, OPEN_CASE, event_types, eventually
from tests.support_registers import seed_registers

SOURCE = "Chief executive of a neighbouring council"
MEASURE = "Monitoring visit finds progress"
PLAN = {"summary": "Stabilise leadership", "adviser_id": "adam", "actions": [{
    "description": "Interim director of children's services", "owner": "Chief executive",
    "provider": "the national improvement body", "cost": "0", "due": "2027-03-31",
    "measure": MEASURE}]}


class Journey:
    """Posts commands as one user after another, each with the case's current ETag."""

    def __init__(self, http, tokens) -> None:
        self.http, self.tokens, self.etag, self.case_id = http, tokens, None, None

    async def open(self) -> dict:
        later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        response = await self.http.post("/cases", json={**OPEN_CASE, "diagnosis_due": later},
                                         headers=bearer(self.tokens["coordinator"]))
        assert response.status_code == 201, response.text
        self.case_id, self.etag = response.json()["id"], response.headers["etag"]
        return response.json()

    async def do(self, role: str, command: str, body: dict) -> dict:
        response = await self.http.post(
            f"/cases/{self.case_id}/{command}", json=body,
            headers={**bearer(self.tokens[role]), "If-Match": self.etag})
        assert response.status_code == 200, f"{role} {command}: {response.text}"
        self.etag = response.headers["etag"]
        return response.json()

    async def read(self, role: str, path: str = "", **params) -> object:
        response = await self.http.get(f"/cases/{self.case_id}{path}", params=params,
                                       headers=bearer(self.tokens[role]))
        assert response.status_code == 200, f"{role} {path}: {response.text}"
        return response


async def test_a_whole_case_with_a_different_user_for_each_role(http, tokens, tmp_path,
                                                                 settings):
    ids = seed_registers(settings.eventsourcing_env())
    case = Journey(http, tokens)
    await case.open()
    await case.do("coordinator", "intelligence", {
        "content": "Two senior officers resigned", "source": SOURCE,
        "confidentiality": "Chatham House"})
    await case.do("coordinator", "risk-assessments", {
        "kind": "inherent", "impact": "high", "likelihood": "medium", "reason": "Safeguarding"})
    await case.do("coordinator", "diagnosis", {"summary": "Weak capacity",
                                               "problem_natures": ["capacity", "political"]})
    await case.do("authority liaison", "council-acknowledgement", {"reason": "We need help"})
    await case.do("coordinator", "stage", {"to_stage": "RIEP", "reason": "Council agreed"})
    await case.do("coordinator", "plan", PLAN)
    await case.do("adviser", "plan/reviews", {"suggestions": ["Add a finance action"]})
    await case.do("authority liaison", "plan/agreement", {"reason": "Cabinet agreed"})
    supported = await case.do("coordinator", "support", {
        "offer_id": str(ids["offer"]), "days": 3, "problem_natures": ["political"],
        "reason": "Fits the diagnosis"})
    await case.do("coordinator", "peer-deployments", {
        "peer_id": str(ids["peer"]), "peer_user": "pete", "days": 2, "role": "officer peer",
        "reason": "Experienced"})
    await case.do("peer", "peer-visits", {"deployment_id": "deployment-1",
                                          "visited_at": "2027-01-15T10:00:00Z",
                                          "notes": "Met the leader"})
    await case.do("adviser", "progress-reviews", {
        "measures": {MEASURE: "on track"}, "judgement": "improving", "reason": "Good visit"})
    await case.do("coordinator", "peer-deployment-ends", {"deployment_id": "deployment-1",
                                                          "reason": "Mentoring complete"})
    await case.do("coordinator", "commission-ends", {
        "commission_id": supported["commissions"][0]["commission_id"],
        "reason": "Brokering sessions delivered"})
    closed = await case.do("coordinator", "closure", {
        "outcome": "improved and handed back", "exit_strategy": EXIT_STRATEGY})
    assert closed["status"] == "closed"

    history = (await case.read("inspector", "/history")).json()
    assert [e["actor"]["id"] for e in history if e["type"] != "ReminderIssued"] == [
        "cora", "cora", "cora", "cora", "cora", "lia", "cora", "cora", "adam", "lia", "cora",
        "cora", "pete", "adam", "cora", "cora", "cora"]  # the political diagnosis asked the LGA
    assert "SupportPlanAgreed" in event_types(history) and "CaseClosed" in event_types(history)
    assert (await case.read("inspector", "/verification")).json()["ok"] is True

    # The inspector's export withholds the Chatham House source and still verifies offline.
    export = (await case.read("inspector", "/export")).text
    assert SOURCE not in export and "Two senior officers resigned" in export
    path = tmp_path / "case.jsonl"
    path.write_text(export)
    verified = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    csv_export = (await case.read("inspector", "/export", format="csv"))
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert csv_export.text.splitlines()[0].startswith("version,type,recorded_at")


async def test_chatham_house_sources_are_shown_to_coordinators_only(http, tokens):
    case = Journey(http, tokens)
    await case.open()
    await case.do("coordinator", "intelligence", {
        "content": "Leader under investigation", "source": SOURCE,
        "confidentiality": "Chatham House"})
    for role, sees in (("coordinator", True), ("inspector", False),
                       ("authority liaison", False)):
        for path, params in (("", {}), ("/history", {}), ("/as-of", {"version": 2})):
            text = (await case.read(role, path, **params)).text
            assert "Leader under investigation" in text
            assert (SOURCE in text) is sees, (role, path)
    coordinator_export = (await case.read("coordinator", "/export")).text
    assert SOURCE in coordinator_export


async def test_a_case_as_it_stood_at_a_version_and_at_a_time(http, tokens):
    case = Journey(http, tokens)
    await case.open()
    between = datetime.now(UTC).isoformat()
    await case.do("coordinator", "diagnosis", {"summary": "Weak capacity"})
    first = (await case.read("inspector", "/as-of", version=1)).json()
    assert first["version"] == 1 and first["diagnosis"] is None
    then = (await case.read("inspector", "/as-of", at=between)).json()
    assert then["version"] == 1
    both = await http.get(f"/cases/{case.case_id}/as-of", params={"version": 1,
                          "at": between}, headers=bearer(tokens["inspector"]))
    assert both.status_code == 422 and both.json()["field"] == "version"


async def test_the_stage_and_deadlines_of_a_case(http, tokens):
    case = Journey(http, tokens)
    await case.open()

    async def from_workflow():
        answer = (await case.read("authority liaison", "/stage")).json()
        return answer if answer["source"] == "workflow" else None

    stage = await eventually(from_workflow)
    assert stage["stage"] == "local" and "diagnosis" in stage["deadlines"]


async def test_an_admin_makes_a_user_whose_token_then_works(http, tokens):
    made = await http.post("/users", headers=bearer(tokens["admin"]), json={
        "username": "ian", "role": "inspector"})
    assert made.status_code == 201, made.text
    assert made.json()["role"] == "inspector"
    listed = await http.get("/cases", headers=bearer(made.json()["token"]))
    assert listed.status_code == 200
    refused = await http.post("/users", headers=bearer(tokens["coordinator"]), json={
        "username": "eve", "role": "admin"})
    assert refused.status_code == 403
    bad = await http.post("/users", headers=bearer(tokens["admin"]), json={
        "username": "lee", "role": "authority liaison"})
    assert bad.status_code == 422 and bad.json()["field"] == "authority"


async def test_an_admin_gives_a_user_an_email_address_and_changes_it(http, tokens):
    admin = bearer(tokens["admin"])
    made = await http.post("/users", headers=admin, json={
        "username": "amy", "role": "adviser", "email": "amy@riep.example"})
    assert made.status_code == 201 and made.json()["email"] == "amy@riep.example"
    changed = await http.patch("/users/amy", headers=admin, json={"email": "amy.b@riep.example"})
    assert changed.status_code == 200 and changed.json()["email"] == "amy.b@riep.example"
    digest = await http.patch("/users/amy", headers=admin, json={"digest": True})
    assert digest.json()["digest"] is True and digest.json()["email"] == "amy.b@riep.example"
    listed = {u["username"]: u for u in (await http.get("/users", headers=admin)).json()}
    assert listed["amy"]["email"] == "amy.b@riep.example"
    bad = await http.patch("/users/amy", headers=admin, json={"email": "not an address"})
    assert bad.status_code == 422 and bad.json()["field"] == "email"
    assert (await http.post("/users", headers=admin, json={
        "username": "bo", "role": "peer", "email": "bo@"})).json()["field"] == "email"
    listed = {u["username"]: u for u in (await http.get("/users", headers=admin)).json()}
    assert listed["amy"]["email"] == "amy.b@riep.example" and "bo" not in listed
    refused = await http.patch("/users/amy", headers=bearer(tokens["coordinator"]),
                               json={"email": "x@y.example"})
    assert refused.status_code == 403
