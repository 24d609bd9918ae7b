"""The ladder over HTTP (seed 004): referral only with the council's agreement, the red
flag as the one route from local to the government meeting, joint local meetings with their
attendees, outcomes and summaries, and the joint meeting automation proposes."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx

from domain.calendar import add_working_days
from tests.e2e.conftest import bearer
from tests.e2e.test_case_journey import Journey
from tests.e2e.test_plan_order import refusal

COUNCIL = {"kind": "council or partnership", "name": "Leader of the council"}
GO = {"kind": "government office", "name": "Locality manager"}
AUDIT = {"kind": "audit body", "name": "Audit Commission relationship manager"}
NOT_SATISFIED = {"outcome": "regulator not satisfied", "attendees": [GO, AUDIT],
                 "reason": "The council will not seek support and the regulator is not "
                           "satisfied"}


async def opened(http, tokens) -> Journey:
    case = Journey(http, tokens)
    await case.open()
    return case


async def test_regulator_not_satisfied_raises_the_red_flag_the_one_route_to_government(
        http, tokens):
    case = await opened(http, tokens)
    to_riep, to_government = {"to_stage": "RIEP", "reason": "Refer"}, {
        "to_stage": "government meeting", "reason": "Meet before any notice"}
    assert (await refusal(case, "coordinator", "stage", to_government))["rule"] == \
        "government_meeting_needs_red_flag"
    flagged = await case.do("coordinator", "joint-local-meetings", NOT_SATISFIED)
    assert flagged["red_flag"]["reason"] == NOT_SATISFIED["reason"]
    assert flagged["red_flag"]["raised_by"] == "cora"
    assert flagged["joint_meetings"][0]["attendees"] == [GO, AUDIT]
    answer = await refusal(case, "coordinator", "stage", to_riep)  # never local to the RIEP
    assert (answer["rule"], answer["field"]) == ("referral_needs_council_agreement",
                                                 "to_stage")
    moved = await case.do("coordinator", "stage", to_government)
    assert moved["stage"] == "government meeting" and moved["red_flag"] is not None
    history = (await case.read("inspector", "/history")).json()
    assert [e["type"] for e in history][-3:] == ["JointLocalMeetingHeld", "RedFlagRaised",
                                                 "StageChanged"]


async def test_a_referral_at_a_joint_meeting_needs_the_council_at_the_table(http, tokens):
    case = await opened(http, tokens)
    refer = {"outcome": "refer to RIEP with agreement", "reason": "Needs the RIEP's help"}
    answer = await refusal(case, "coordinator", "joint-local-meetings",
                           {**refer, "attendees": [GO, AUDIT]})
    assert (answer["rule"], answer["field"]) == ("referral_needs_council_agreement",
                                                 "attendees")
    held = await case.do("coordinator", "joint-local-meetings",
                         {**refer, "attendees": [COUNCIL, GO, AUDIT]})
    assert held["council_agrees_referral"] is True and held["red_flag"] is None
    moved = await case.do("coordinator", "stage", {"to_stage": "RIEP", "reason": "Referred"})
    assert moved["stage"] == "RIEP"


async def test_a_joint_meeting_without_attendees_is_refused_naming_the_field(http, tokens):
    case = await opened(http, tokens)
    response = await http.post(
        f"/cases/{case.case_id}/joint-local-meetings",
        json={"outcome": "strong local plan", "reason": "r", "attendees": []},
        headers={**bearer(tokens["coordinator"]), "If-Match": case.etag})
    assert response.status_code == 422
    body = response.json()
    fields = [e["field"] for e in body.get("errors", [])] or [body["field"]]
    assert all(f.startswith("attendees") for f in fields)


async def test_a_strong_local_plan_sets_the_next_joint_meeting_and_every_summary_is_due(
        http, tokens):
    case = await opened(http, tokens)
    answer = await refusal(case, "coordinator", "joint-local-meetings/summary",
                           {"summary": "Nothing met yet"})
    assert answer["rule"] == "joint_meeting_held_first"
    next_meeting = (datetime.now(UTC) + timedelta(days=60)).replace(microsecond=0)
    held = await case.do("coordinator", "joint-local-meetings", {
        "outcome": "strong local plan", "reason": "The council's own plan is credible",
        "attendees": [COUNCIL, GO, AUDIT], "next_joint_meeting_due": next_meeting.isoformat()})
    deadlines = {k: datetime.fromisoformat(v) for k, v in held["deadlines"].items()}
    assert deadlines["next joint meeting"] == next_meeting
    meeting_at = datetime.fromisoformat(held["joint_meetings"][0]["held_at"])
    assert deadlines["joint meeting summary"] == add_working_days(meeting_at, 5)
    answer = await refusal(case, "coordinator", "joint-local-meetings", NOT_SATISFIED)
    assert answer["rule"] == "joint_meeting_summary_first"
    summarised = await case.do("coordinator", "joint-local-meetings/summary",
                               {"summary": "Local plan reviewed; next meeting in the spring"})
    assert "joint meeting summary" not in summarised["deadlines"]
    assert summarised["joint_meetings"][0]["summary"].startswith("Local plan reviewed")
    assert "next joint meeting" in summarised["deadlines"]


async def test_a_proposed_joint_meeting_is_declined_only_by_a_coordinator_with_a_reason(
        http, tokens, cases):
    case = await opened(http, tokens)
    decline = {"reason": "The council's new chief executive starts next month"}
    answer = await refusal(case, "coordinator", "joint-local-meetings/proposal/decline",
                           decline)
    assert answer["rule"] == "no_joint_meeting_proposed"
    assert cases.propose_joint_meeting(UUID(case.case_id), reason="Stuck at local",
                                       proposal_key="diagnosis:due:since:escalate:joint-meeting")
    case.etag = (await case.read("coordinator")).headers["etag"]
    shown = (await case.read("authority liaison")).json()
    assert shown["joint_meeting_proposal"]["reason"] == "Stuck at local"
    response = await http.post(
        f"/cases/{case.case_id}/joint-local-meetings/proposal/decline", json=decline,
        headers={**bearer(tokens["authority liaison"]), "If-Match": case.etag})
    assert response.status_code == 403
    declined = await case.do("coordinator", "joint-local-meetings/proposal/decline", decline)
    assert declined["joint_meeting_proposal"] is None
    history = (await case.read("coordinator", "/history")).json()
    assert history[-1]["type"] == "JointMeetingProposalDeclined"
    assert history[-1]["data"]["reason"] == decline["reason"]


@asynccontextmanager
async def signed_in(api_url: str, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser's session on the pages: signed in with the token on the sign-in form."""
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as client:
        page = await client.get("/sign-in")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, page.text
        response = await client.post("/sign-in", data={
            "csrf_token": csrf.group(1), "token": token, "next": "/my-work"})
        assert response.status_code == 303, response.text
        yield client


async def test_the_case_page_shows_the_red_flag_and_offers_the_meeting_forms(
        http, tokens, api_url, cases):
    case = await opened(http, tokens)
    await case.do("coordinator", "joint-local-meetings", NOT_SATISFIED)
    assert cases.propose_joint_meeting(UUID(case.case_id), reason="Stuck at local",
                                       proposal_key="k:joint-meeting")
    async with signed_in(api_url, tokens["coordinator"]) as coordinator:
        page = (await coordinator.get(f"/case/{case.case_id}")).text
        assert "Red flag</strong>" in page and NOT_SATISFIED["reason"] in page
        assert f"/case/{case.case_id}/do/joint-local-meetings/summary" in page
        assert f"/case/{case.case_id}/do/joint-local-meetings/proposal/decline" in page
        form = (await coordinator.get(
            f"/case/{case.case_id}/do/joint-local-meetings")).text
        assert "attendees-0-kind" in form and "council or partnership" in form
        work = (await coordinator.get("/my-work")).text
        assert "Hold or decline the joint local meeting proposed for" in work
        assert "Red flag</strong>" in work  # on its row of the list
    async with signed_in(api_url, tokens["authority liaison"]) as liaison:
        page = (await liaison.get(f"/case/{case.case_id}")).text
        assert "Red flag</strong>" in page
        assert "/do/joint-local-meetings/summary" not in page
