"""My work lists the proposals awaiting a coordinator's decision and marks red-flagged cases,
from the case list's own columns; `GET /cases` carries the red flag and filters by it."""

import httpx

from tests.helpers import OPEN_CASE
from tests.web.test_sessions import _sign_in

CORA = dict(actor_id="cora", actor_role="coordinator")
NOT_SATISFIED = dict(outcome="regulator not satisfied", reason="The regulator is not satisfied",
                     attendees=[{"kind": "government office", "name": "Locality manager"},
                                {"kind": "audit body", "name": "Relationship manager"}])


def _proposed_and_flagged(cases) -> tuple[str, str, str]:
    escalating, flagged, quiet = (cases.open_case(**OPEN_CASE, **CORA) for _ in range(3))
    assert cases.propose_escalation(escalating, reason="Deadlines missed", proposal_key="p1")
    cases.hold_joint_local_meeting(flagged, **NOT_SATISFIED, **CORA)
    assert cases.propose_joint_meeting(flagged, reason="Stuck at local", proposal_key="j1")
    return str(escalating), str(flagged), str(quiet)


def test_my_work_shows_the_proposals_awaiting_a_decision_and_the_red_flag(
        site, people, web_cases):
    escalating, flagged, quiet = _proposed_and_flagged(web_cases)
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["coordinator"])
        work = client.get("/my-work").text
    awaiting, listed = work.split('id="my-tasks"')[1].split('<table class="govuk-table"')
    assert f'/case/{escalating}/do/escalation/confirmation">' in awaiting
    assert "from local to RIEP, proposed on" in awaiting
    assert f'/case/{flagged}#tasks">' in awaiting
    assert "Hold or decline the joint local meeting proposed for" in awaiting
    assert quiet not in awaiting
    rows = {case_id: listed.split(f'/case/{case_id}"')[1].split("</tr>")[0]
            for case_id in (escalating, flagged, quiet)}
    assert "Red flag</strong>" in rows[flagged]
    assert "Red flag" not in rows[escalating] and "Red flag" not in rows[quiet]


def test_my_work_shows_no_proposals_to_those_who_do_not_decide_them(site, people, web_cases):
    _proposed_and_flagged(web_cases)
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["inspector"])
        work = client.get("/my-work").text
    assert 'id="my-tasks"' not in work and "Red flag</strong>" in work


def test_the_case_list_carries_the_red_flag_and_filters_by_it(site, people, web_cases):
    escalating, flagged, quiet = _proposed_and_flagged(web_cases)
    bearer = {"Authorization": f"Bearer {people['coordinator']}"}
    with httpx.Client(base_url=site, timeout=30, headers=bearer) as api:
        every = {row["case_id"]: row for row in api.get("/cases").json()["cases"]}
        assert [every[c]["red_flag"] for c in (escalating, flagged, quiet)] == [
            False, True, False]
        assert every[flagged]["red_flag_raised_at"] is not None
        assert every[escalating]["escalation_proposed_to"] == "RIEP"
        assert every[flagged]["joint_meeting_proposed_at"] is not None
        red = api.get("/cases", params={"red_flag": "true"}).json()["cases"]
        assert [row["case_id"] for row in red] == [flagged]
        rest = api.get("/cases", params={"red_flag": "false"}).json()["cases"]
        assert {row["case_id"] for row in rest} == {escalating, quiet}
