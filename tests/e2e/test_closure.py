"""Closure over HTTP: each criterion refused by name with nothing written, then allowed;
the follow-up review a year on; the risk table's columns; the LGA asked to broker;
and the same on the case's web page."""

import re
from datetime import datetime, timedelta

from tests.e2e.conftest import bearer
from tests.e2e.test_case_journey import Journey
from tests.e2e.test_plan_order import agreed_case, refusal
from tests.helpers import EXIT_STRATEGY, event_types
from tests.support_registers import seed_registers

IMPROVED = {"outcome": "improved and handed back", "exit_strategy": EXIT_STRATEGY}


async def test_a_case_handed_back_as_improved_needs_an_exit_strategy(http, tokens):
    case = await agreed_case(http, tokens)
    answer = await refusal(case, "coordinator", "closure", {
        "outcome": "improved and handed back", "exit_note": "Back in its own cycle"})
    assert answer["rule"] == "exit_strategy_needed" and answer["field"] == "exit_strategy"
    blank = await refusal(case, "coordinator", "closure", {
        **IMPROVED, "exit_strategy": {"handover": "Its own cycle", "led_by": "  "}})
    assert blank["rule"] == "exit_strategy_needed"
    assert blank["field"] == "exit_strategy.led_by"

    closed = await case.do("coordinator", "closure", IMPROVED)
    assert closed["status"] == "closed"
    assert closed["closure"]["exit_strategy"] == EXIT_STRATEGY
    due = datetime.fromisoformat(closed["deadlines"]["follow-up review"])
    closed_at = datetime.fromisoformat(closed["closure"]["closed_at"])
    assert due - closed_at == timedelta(days=365)  # twelve months on (seed 001)
    assert closed["closure"]["follow_up_due"] == closed["deadlines"]["follow-up review"]


async def test_a_case_is_not_closed_while_commissioned_support_runs(http, tokens, settings):
    ids = seed_registers(settings.eventsourcing_env())
    case = await agreed_case(http, tokens)
    supported = await case.do("coordinator", "support", {
        "offer_id": str(ids["offer"]), "days": 4, "problem_natures": ["capacity"],
        "reason": "Fits the diagnosis"})
    commission = supported["commissions"][0]["commission_id"]
    answer = await refusal(case, "coordinator", "closure", IMPROVED)
    assert answer["rule"] == "commissions_end_first" and commission in answer["detail"]

    ended = await case.do("coordinator", "commission-ends", {
        "commission_id": commission, "reason": "Mentoring delivered"})
    assert ended["commissions"][0]["status"] == "ended"
    again = await refusal(case, "coordinator", "commission-ends", {
        "commission_id": commission, "reason": "Twice"})
    assert again["rule"] == "commission_active"
    offer = await http.get(f"/support-offers/{ids['offer']}",
                           headers=bearer(tokens["coordinator"]))
    assert offer.json()["days_left"] == 100  # the register has the days back
    assert (await case.do("coordinator", "closure", IMPROVED))["status"] == "closed"


async def test_a_case_is_not_closed_while_a_meeting_has_no_conclusion(http, tokens):
    case = await agreed_case(http, tokens)
    await case.do("authority liaison", "council-acknowledgement", {"reason": "We need help"})
    await case.do("coordinator", "stage", {"to_stage": "RIEP", "reason": "Council agreed"})
    await case.do("coordinator", "stage", {"to_stage": "government meeting",
                                           "reason": "Notice contemplated"})
    await case.do("coordinator", "government-meeting", {
        "attendees": ["council leader", "department", "RIEP"], "reason": "Before any notice"})
    answer = await refusal(case, "coordinator", "closure", IMPROVED)
    assert answer["rule"] == "meetings_concluded_first"

    await case.do("coordinator", "government-meeting/conclusion", {
        "outcome": "sector-led approach agreed", "summary": "The plan is credible",
        "reason": "Progress evidenced"})
    assert (await case.do("coordinator", "closure", IMPROVED))["status"] == "closed"


async def test_the_follow_up_review_is_recorded_once_and_may_reopen_the_case(http, tokens):
    case = await agreed_case(http, tokens)
    reopen = {"judgement": "reopen", "notes": "Finances slipped again"}
    answer = await refusal(case, "coordinator", "follow-up-review", reopen)
    assert answer["rule"] == "follow_up_review_due"  # an open case has none due

    await case.do("coordinator", "closure", IMPROVED)
    forbidden = await http.post(f"/cases/{case.case_id}/follow-up-review", json=reopen,
                                headers={**bearer(tokens["adviser"]), "If-Match": case.etag})
    assert forbidden.status_code == 403
    reopened = await case.do("coordinator", "follow-up-review", reopen)
    assert reopened["status"] == "open" and "follow-up review" not in reopened["deadlines"]
    assert reopened["follow_up_reviews"][0]["judgement"] == "reopen"
    history = (await case.read("inspector", "/history")).json()
    assert event_types(history)[-3:] == ["CaseClosed", "FollowUpReviewed", "CaseReopened"]
    assert history[-1]["data"]["reason"] == "follow-up review: Finances slipped again"


async def test_a_sustained_improvement_keeps_the_case_closed(http, tokens):
    case = await agreed_case(http, tokens)
    await case.do("coordinator", "closure", IMPROVED)
    reviewed = await case.do("coordinator", "follow-up-review", {
        "judgement": "improvement sustained", "notes": "Held under its own framework"})
    assert reviewed["status"] == "closed" and reviewed["deadlines"] == {}
    assert reviewed["closure"]["follow_up_review"]["notes"] == "Held under its own framework"
    answer = await refusal(case, "coordinator", "follow-up-review", {
        "judgement": "improvement sustained", "notes": "Again"})
    assert answer["rule"] == "follow_up_review_due"  # once per closure


async def test_closed_by_intervention_a_case_still_takes_its_exit_note(http, tokens):
    case = await agreed_case(http, tokens)
    answer = await refusal(case, "coordinator", "closure", {
        "outcome": "government intervention", "exit_note": "Notice served"})
    assert answer["rule"] == "intervention_needs_government_meeting"


RISK = {"kind": "inherent", "impact": "high", "likelihood": "high",
        "reason": "Failure to agree governance", "owner": "RIEP and the council",
        "management_solution": "Resolve by negotiation",
        "key_controls": ["LGA intervention/consultation"]}


async def test_the_risk_entry_carries_the_seeds_columns(http, tokens):
    case = Journey(http, tokens)
    await case.open()
    await case.do("coordinator", "risk-assessments", RISK)
    risk = (await case.do("coordinator", "risk-assessments", {
        "kind": "residual", "impact": "low", "likelihood": "high", "reason": "Controls work",
        "risk_indicators": ["Report to the RIEP steering group"]}))["risk"]
    assert risk["inherent"]["score"] == 9 and risk["residual"]["score"] == 3
    assert risk["owner"] == "RIEP and the council"
    assert risk["key_controls"] == ["LGA intervention/consultation"]
    assert risk["risk_indicators"] == ["Report to the RIEP steering group"]
    blank = await http.post(f"/cases/{case.case_id}/risk-assessments",
                            json={**RISK, "key_controls": ["  "]},
                            headers={**bearer(tokens["coordinator"]), "If-Match": case.etag})
    assert blank.status_code == 422 and blank.json()["field"] == "key_controls[0]"


async def test_a_political_diagnosis_asks_the_lga_to_broker(http, tokens):
    case = Journey(http, tokens)
    await case.open()
    diagnosed = await case.do("coordinator", "diagnosis", {
        "summary": "Leader and cabinet at odds", "problem_natures": ["political"]})
    assert "politicians" in diagnosed["lga_brokering"]["reason"]
    history = (await case.read("inspector", "/history")).json()
    assert event_types(history)[-2:] == ["DiagnosisRecorded", "LGAAskedToBroker"]
    assert history[-1]["actor"]["id"] == "cora"

    other = Journey(http, tokens)
    await other.open()
    plain = await other.do("coordinator", "diagnosis", {"summary": "Weak capacity",
                                                        "problem_natures": ["capacity"]})
    assert plain["lga_brokering"] is None


async def _signed_in(http, token: str) -> None:
    form = (await http.get("/sign-in")).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = await http.post("/sign-in", data={"csrf_token": csrf, "token": token,
                                               "next": "/my-work"})
    assert answer.status_code == 303, answer.text


async def test_the_case_page_shows_the_risk_entry_the_lga_and_closes_by_its_form(
        http, tokens):
    case = await agreed_case(http, tokens)
    await case.do("coordinator", "risk-assessments", RISK)
    await _signed_in(http, tokens["coordinator"])
    page = (await http.get(f"/case/{case.case_id}")).text
    assert "Risk owner" in page and "RIEP and the council" in page
    assert "LGA intervention/consultation" in page
    assert f"/case/{case.case_id}/do/follow-up-review" not in page  # none due while open

    form = (await http.get(f"/case/{case.case_id}/do/closure")).text
    assert 'name="exit_strategy.handover"' in form and 'name="exit_strategy.led_by"' in form
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    version = re.search(r'name="expected_version" value="(\d+)"', form).group(1)
    fields = {"csrf_token": csrf, "expected_version": version,
              "outcome": "improved and handed back"}
    checking = await http.post(f"/case/{case.case_id}/do/closure", data=fields)
    assert checking.status_code == 200 and "Check your answers" in checking.text
    fields["confirmed"] = "yes"  # the answers checked: now it is recorded, or refused
    refused = await http.post(f"/case/{case.case_id}/do/closure", data=fields)
    assert refused.status_code == 422 and "Say how the council" in refused.text
    assert "exit_strategy_needed" not in refused.text
    done = await http.post(f"/case/{case.case_id}/do/closure", data={
        **fields, "exit_strategy.handover": EXIT_STRATEGY["handover"],
        "exit_strategy.led_by": EXIT_STRATEGY["led_by"]})
    assert done.status_code == 303
    page = (await http.get(f"/case/{case.case_id}")).text
    assert "Closure and follow-up" in page and EXIT_STRATEGY["led_by"] in page
    assert f"/case/{case.case_id}/do/follow-up-review" in page  # due now it is closed
