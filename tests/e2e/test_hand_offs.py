"""The hand-offs over HTTP: the council asked to agree the plan, and a joint local meeting
proposed by a coordinator. Each refuses the wrong role with 403 and the wrong moment with
the rule it breaks, writing nothing; and the case says which steps it can take now."""

import asyncio

from tests.e2e.conftest import bearer
from tests.e2e.test_case_journey import Journey
from tests.e2e.test_plan_order import PLAN, refusal

ASK = {"note": "Co-designed with your chief executive; ready for cabinet"}
PROPOSE = {"reason": "Deadlines keep slipping; time to decide the next step"}


async def _refused_by_role(case: Journey, role: str, command: str, body: dict) -> None:
    response = await case.http.post(
        f"/cases/{case.case_id}/{command}", json=body,
        headers={**bearer(case.tokens[role]), "If-Match": case.etag})
    assert response.status_code == 403, response.text
    assert (await case.read("coordinator")).headers["etag"] == case.etag  # nothing written


async def test_the_council_is_asked_to_agree_a_drafted_plan_once_by_coordinator_or_adviser(
        http, tokens):
    case = Journey(http, tokens)
    await case.open()
    assert (await refusal(case, "coordinator", "plan/agreement-request", ASK))["rule"] == \
        "plan_drafted_first"
    await case.do("coordinator", "diagnosis", {"summary": "Weak capacity",
                                               "problem_natures": ["capacity"]})
    await case.do("coordinator", "plan", PLAN)
    for role in ("authority liaison", "inspector"):  # related to the case, not permitted
        await _refused_by_role(case, role, "plan/agreement-request", ASK)
    asked = await case.do("adviser", "plan/agreement-request", ASK)
    assert asked["agreement_requested"]["requested_by"] == "adam"
    assert asked["next_steps"]["ask council to agree plan"]  # not again for this revision
    assert asked["next_steps"]["agree support plan"] == ""
    assert {"action": "agree support plan", "status": "Waiting for the council",
            "why_not": "", "rule": ""} in asked["tasks"]
    blocked = [t for t in asked["tasks"] if t["status"] == "Cannot start yet"]
    assert blocked and all(t["rule"] and t["why_not"] for t in blocked)  # the rule, and why
    again = await refusal(case, "coordinator", "plan/agreement-request", ASK)
    assert again["rule"] == "agreement_already_requested"
    history = await _told_the_council(case)
    requested = [e for e in history if e["type"] == "PlanAgreementRequested"]
    assert len(requested) == 1 and requested[0]["data"]["note"] == ASK["note"]
    # The worker records the council's notice on the case at once, so the liaison acts
    # on the case as it now stands (as a person opening the form after the email would).
    case.etag = (await case.read("authority liaison")).headers["etag"]
    agreed = await case.do("authority liaison", "plan/agreement", {"reason": "Cabinet agreed"})
    assert agreed["agreement_requested"] is None
    assert agreed["next_steps"]["agree support plan"]  # agreed: not offered again


async def test_a_coordinator_proposes_a_joint_local_meeting_while_the_case_is_local(
        http, tokens):
    case = Journey(http, tokens)
    await case.open()
    for role in ("authority liaison", "inspector"):
        await _refused_by_role(case, role, "joint-local-meetings/proposal", PROPOSE)
    proposed = await case.do("coordinator", "joint-local-meetings/proposal", PROPOSE)
    assert proposed["joint_meeting_proposal"]["reason"] == PROPOSE["reason"]
    assert proposed["joint_meeting_proposal"]["proposed_by"] == "cora"
    assert proposed["next_steps"]["decline joint meeting proposal"] == ""
    again = await refusal(case, "coordinator", "joint-local-meetings/proposal", PROPOSE)
    assert again["rule"] == "joint_meeting_already_proposed"
    declined = await case.do("coordinator", "joint-local-meetings/proposal/decline",
                             {"reason": "The new chief executive starts next month"})
    assert declined["joint_meeting_proposal"] is None
    assert declined["next_steps"]["propose joint meeting"] == ""


async def test_the_case_says_what_can_be_taken_now_and_why_not_the_rest(http, tokens):
    case = Journey(http, tokens)
    opened = await case.open()
    steps = opened["next_steps"]
    assert steps["record diagnosis"] == "" and steps["add intelligence"] == ""
    assert steps["reopen case"] == "only a closed case can be reopened"
    assert "before the council agrees" in steps["commission support"]


async def _told_the_council(case: Journey) -> list[dict]:
    """The case's history once the worker has recorded the council's notice of the request
    (an immediate step: it lands within a moment of the answer), exactly once."""
    for _ in range(100):
        history = (await case.read("coordinator", "/history")).json()
        told = [e for e in history if e["type"] == "ReminderIssued"
                and "agree" in str(e["data"].get("deadline", "")) + str(e["data"])]
        if told:
            assert len(told) == 1, told
            return history
        await asyncio.sleep(0.2)
    raise AssertionError(f"the council was never told: {[e['type'] for e in history]}")
