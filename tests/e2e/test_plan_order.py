"""Impossible orders over HTTP: refused by name with nothing written, or what was agreed kept."""

from uuid import UUID

from tests.e2e.conftest import bearer
from tests.e2e.test_case_journey import MEASURE, PLAN, Journey
from tests.helpers import EXIT_STRATEGY
from tests.support_registers import seed_registers


async def refusal(case: Journey, role: str, command: str, body: dict) -> dict:
    response = await case.http.post(
        f"/cases/{case.case_id}/{command}", json=body,
        headers={**bearer(case.tokens[role]), "If-Match": case.etag})
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    current = await case.read("coordinator")
    assert current.headers["etag"] == case.etag  # nothing written
    return response.json()


async def agreed_case(http, tokens) -> Journey:
    case = Journey(http, tokens)
    await case.open()
    await case.do("coordinator", "diagnosis", {"summary": "Weak capacity",
                                               "problem_natures": ["capacity"]})
    await case.do("coordinator", "plan", PLAN)
    await case.do("authority liaison", "plan/agreement", {"reason": "Cabinet agreed"})
    return case


async def test_a_plan_drafted_after_agreement_is_refused(http, tokens):
    case = await agreed_case(http, tokens)
    answer = await refusal(case, "coordinator", "plan", {**PLAN, "summary": "Replace it"})
    assert answer["rule"] == "agreed_plan_is_revised"
    plan = (await case.read("coordinator")).json()["plan"]
    assert plan["status"] == "agreed" and plan["summary"] == PLAN["summary"]


async def test_the_same_revision_is_not_agreed_twice(http, tokens):
    case = await agreed_case(http, tokens)
    answer = await refusal(case, "authority liaison", "plan/agreement", {"reason": "Again"})
    assert answer["rule"] == "revision_already_agreed"


async def test_a_pending_revision_does_not_block_reviewing_the_agreed_plan(http, tokens):
    case = await agreed_case(http, tokens)
    await case.do("coordinator", "plan/revisions", {
        "actions": PLAN["actions"] + [{**PLAN["actions"][0], "measure": "Second measure"}],
        "reason": "Add a measure"})
    reviewed = await case.do("adviser", "progress-reviews", {
        "measures": {MEASURE: "on track"}, "judgement": "improving", "reason": "Good visit"})
    assert reviewed["reviews"][-1]["measures"] == {MEASURE: "on track"}
    assert reviewed["plan"]["status"] == "draft" and reviewed["agreed_plan"]["revision"] == 1


async def test_re_agreeing_with_the_same_review_date_sends_no_reminder_again(
        http, tokens, cases):
    case = await agreed_case(http, tokens)
    due = (await case.read("coordinator")).json()["deadlines"]["next review"]
    key = f"next review:{due}:before"
    assert cases.issue_reminder(UUID(case.case_id), deadline="next review",
                                recipient="case owner", reminder_key=key)
    case.etag = (await case.read("coordinator")).headers["etag"]
    await case.do("coordinator", "plan/revisions", {"actions": PLAN["actions"],
                                                    "reason": "Owner changed"})
    again = await case.do("authority liaison", "plan/agreement", {"reason": "Agreed"})
    assert again["deadlines"]["next review"] == due
    assert key in again["reminder_keys"] and again["reminders_issued"] == 1
    assert not cases.issue_reminder(UUID(case.case_id), deadline="next review",
                                    recipient="case owner", reminder_key=key)


async def test_a_case_is_not_closed_while_a_peer_is_deployed(http, tokens, settings):
    ids = seed_registers(settings.eventsourcing_env())
    case = await agreed_case(http, tokens)
    await case.do("coordinator", "peer-deployments", {
        "peer_id": str(ids["peer"]), "days": 2, "role": "officer peer",
        "reason": "Experienced"})
    answer = await refusal(case, "coordinator", "closure", {
        "outcome": "improved and handed back", "exit_strategy": EXIT_STRATEGY})
    assert answer["rule"] == "peer_deployments_end_first"
    assert "deployment-1" in answer["detail"]
