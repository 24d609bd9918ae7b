"""A region's own deadline durations are the ones its cases get, over HTTP."""

from datetime import datetime, timedelta

from services.policy.service import PolicyService
from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE


async def test_a_regions_deadline_durations_apply_when_opened_and_when_set(
        http, tokens, cases):
    policies = PolicyService.beside(cases)
    try:
        policies.set_policy(OPEN_CASE["region"], actor_id="coordinator-1",
                            diagnosis="PT1H", plan_agreed="PT2H")
    finally:
        policies.close()
    who = bearer(tokens["coordinator"])
    opened = await http.post("/cases", json=OPEN_CASE, headers=who)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    raised = datetime.fromisoformat(case["raised_at"])
    assert datetime.fromisoformat(case["deadlines"]["diagnosis"]) == raised + timedelta(hours=1)

    diagnosed = await http.post(f"/cases/{case['id']}/diagnosis", json={
        "summary": "Weak capacity"}, headers={**who, "If-Match": opened.headers["etag"]})
    assert diagnosed.status_code == 200, diagnosed.text
    recorded = diagnosed.json()["diagnosis"]["recorded_at"]
    plan_due = datetime.fromisoformat(diagnosed.json()["deadlines"]["plan agreed"])
    assert plan_due == datetime.fromisoformat(recorded) + timedelta(hours=2)


async def test_a_region_without_a_policy_keeps_the_services_durations(http, tokens, cases):
    opened = await http.post("/cases", json=OPEN_CASE, headers=bearer(tokens["coordinator"]))
    case = opened.json()
    due = datetime.fromisoformat(case["deadlines"]["diagnosis"])
    assert due - datetime.fromisoformat(case["raised_at"]) == timedelta(seconds=2)
