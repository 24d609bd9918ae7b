"""Forms that know the case: dates in three boxes, a plan's actions added one at a time,
a review of each measure the plan holds, a closure's checklist, and "Check your answers"
before every commitment. Fields are found by their labels, as a person finds them."""

import re
from typing import Any
from uuid import UUID

import httpx

from tests.support_registers import seed_registers
from tests.web.browser import accessible, sign_in
from tests.web.test_journeys import (
    PLAN_ACTION,
    deploy_pete,
    open_case,
    record_diagnosis,
    recorded,
    submit,
)

ACTIONS = [
    {"What will be done": "Interim director of children's services", "Owner": "Chief executive",
     "Who provides it": "the national improvement body", "How the council will know it is done": "Ofsted visit finds progress",
     "due": ("31", "3", "2027")},
    {"What will be done": "Finance recovery plan", "Owner": "Section 151 officer",
     "Who provides it": "the RIEP", "How the council will know it is done": "Budget balanced at outturn", "due": ("30", "6", "2027")},
    {"What will be done": "Member development programme", "Owner": "Leader of the council",
     "Who provides it": "the IDeA", "How the council will know it is done": "Every cabinet member trained",
     "due": ("30", "9", "2027")},
    {"What will be done": "Peer challenge of corporate capacity", "Owner": "Chief executive",
     "Who provides it": "a peer", "How the council will know it is done": "Peer challenge report accepted",
     "due": ("31", "12", "2027")},
]


def the_case(site: str, case_url: str, token: str) -> dict[str, Any]:
    """The case as the API holds it: what was recorded, whatever the page shows."""
    answer = httpx.get(f"{site}/cases/{case_url.rsplit('/', 1)[1]}",
                       headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return answer.json()


def fill_action(page, number: int, action: dict[str, Any]) -> None:
    row = page.get_by_role("group", name=f"Action {number}", exact=True)
    for label, value in action.items():
        if label == "due":
            dates = row.get_by_role("group", name="Due date")
            for box, part in zip(("Day", "Month", "Year"), value, strict=True):
                dates.get_by_label(box).fill(part)
        else:
            row.get_by_label(label, exact=True).fill(value)


def start_plan(page, case_url: str) -> None:
    page.goto(f"{case_url}/do/plan")
    accessible(page)
    page.get_by_label("Summary").fill("Stabilise leadership, then rebuild capacity")
    page.get_by_label("adam, improvement adviser").check()


def a_case_with_a_diagnosis(browser, site: str, people) -> tuple[Any, str]:
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    record_diagnosis(cora, case_url)
    return cora, case_url


def an_agreed_plan(browser, site: str, people, actions: list[dict[str, Any]]
                   ) -> tuple[Any, str]:
    cora, case_url = a_case_with_a_diagnosis(browser, site, people)
    start_plan(cora, case_url)
    for number, action in enumerate(actions, start=1):
        if number > 1:
            submit(cora, "Add another action")
        fill_action(cora, number, action)
    recorded(cora, "Draft support plan")
    lia = browser.new_context().new_page()
    sign_in(lia, site, people["liaison"])
    lia.goto(f"{case_url}/do/plan/agreement")
    lia.get_by_label("Reason").fill("The cabinet accepts the plan")
    recorded(lia, "Agree support plan")
    return cora, case_url


def test_an_impossible_date_is_not_a_real_date_and_what_was_typed_is_kept(
        browser, site, people):
    cora, case_url = a_case_with_a_diagnosis(browser, site, people)
    start_plan(cora, case_url)
    fill_action(cora, 1, {**ACTIONS[0], "due": ("30", "2", "2027")})
    submit(cora, "Draft support plan")
    summary = cora.inner_text(".govuk-error-summary")
    assert "The date the action is due must be a real date" in summary
    assert "Field required" not in summary
    cora.get_by_role("link", name="The date the action is due must be a real date",
                     exact=False).click()
    assert cora.evaluate("document.activeElement.id") == "actions-0-due-day"
    due = cora.get_by_role("group", name="Due")
    assert [due.get_by_label(b).input_value() for b in ("Day", "Month", "Year")] == [
        "30", "2", "2027"]

    due.get_by_label("Day").fill("28")
    due.get_by_label("Month").fill("")
    submit(cora, "Draft support plan")
    assert "The date the action is due must include a month" in cora.inner_text(
        ".govuk-error-summary")


def test_a_plan_of_four_actions_built_with_add_another_action_and_one_removed(
        browser, site, people):
    cora, case_url = a_case_with_a_diagnosis(browser, site, people)
    start_plan(cora, case_url)
    assert cora.get_by_role("group", name="Action 2").count() == 0  # one action to start
    assert "Measurable" in cora.inner_text("#actions")  # SMART guidance in the hints
    fill_action(cora, 1, ACTIONS[0])
    for number in (2, 3, 4):
        submit(cora, "Add another action")
        fill_action(cora, number, ACTIONS[number - 1])
    assert cora.get_by_label("Summary").input_value().startswith("Stabilise")
    assert cora.get_by_role("group", name="Action 1", exact=True).get_by_label(
        "What will be done", exact=True).input_value() == ACTIONS[0]["What will be done"]
    assert cora.get_by_role("button", name="Remove action 1").count() == 0
    submit(cora, "Remove action 2")
    assert cora.get_by_role("group", name="Action 4").count() == 0
    assert cora.get_by_role("group", name="Action 2", exact=True).get_by_label(
        "What will be done", exact=True).input_value() == ACTIONS[2]["What will be done"]
    recorded(cora, "Draft support plan")
    plan = the_case(site, case_url, people["coordinator"])["plan"]
    assert [a["description"] for a in plan["actions"]] == [
        ACTIONS[0]["What will be done"], ACTIONS[2]["What will be done"], ACTIONS[3]["What will be done"]]
    assert [a["due"][:10] for a in plan["actions"]] == [
        "2027-03-31", "2027-09-30", "2027-12-31"]


def test_a_plan_of_two_actions_is_drafted_with_javascript_off(browser, site, people):
    _, case_url = a_case_with_a_diagnosis(browser, site, people)
    # With scripts off a page cannot run axe either: the pages were checked with it on.
    cora = browser.new_context(java_script_enabled=False).new_page()
    sign_in(cora, site, people["coordinator"])
    cora.goto(f"{case_url}/do/plan")
    cora.get_by_label("Summary").fill("Stabilise leadership, then rebuild capacity")
    cora.get_by_label("adam, improvement adviser").check()
    fill_action(cora, 1, ACTIONS[0])
    cora.get_by_role("button", name="Add another action").click()
    fill_action(cora, 2, ACTIONS[1])
    cora.get_by_role("button", name="Draft support plan").click()
    assert cora.locator(".govuk-error-summary").count() == 0, cora.inner_text("main")[:500]
    plan = the_case(site, case_url, people["coordinator"])["plan"]
    assert [a["measure"] for a in plan["actions"]] == [
        ACTIONS[0]["How the council will know it is done"], ACTIONS[1]["How the council will know it is done"]]


def test_a_progress_review_lists_each_measure_and_records_one_off_track(
        browser, site, people):
    cora, case_url = an_agreed_plan(browser, site, people, ACTIONS[:2])
    cora.goto(f"{case_url}/do/progress-reviews")
    accessible(cora)
    cora.get_by_role("group", name=ACTIONS[0]["How the council will know it is done"]).get_by_label("On track").check()
    submit(cora, "Review progress")  # one measure left without a status
    assert f"Choose whether \u201c{ACTIONS[1]['How the council will know it is done']}\u201d is on track" in (
        cora.inner_text(".govuk-error-summary"))
    assert cora.get_by_role("group", name=ACTIONS[0]["How the council will know it is done"]).get_by_label(
        "On track").is_checked()
    cora.get_by_role("group", name=ACTIONS[1]["How the council will know it is done"]).get_by_label("Off track").check()
    cora.get_by_label("Improving").check()
    cora.get_by_label("Reason").fill("The budget slipped; children's services improved")
    recorded(cora, "Review progress")
    review = the_case(site, case_url, people["coordinator"])["reviews"][-1]
    assert review["measures"] == {ACTIONS[0]["How the council will know it is done"]: "on track",
                                  ACTIONS[1]["How the council will know it is done"]: "off track"}


def commission_from_the_matches(cora, case_url: str) -> None:
    """Commission the matching offer: the matches page's button goes through the check."""
    cora.goto(f"{case_url}/support-matches")
    cora.get_by_role("button", name="Commission", exact=False).first.click()
    accessible(cora)
    assert cora.get_by_role("heading", name="Check your answers").count() == 1
    recorded(cora, "Confirm and commission support")


def test_closing_lists_what_must_end_first_ends_each_then_closes(
        browser, site, people, web_settings):
    peer_id = seed_registers(web_settings.eventsourcing_env())["peer"]
    cora, case_url = an_agreed_plan(browser, site, people, [
        {**ACTIONS[0], "How the council will know it is done": PLAN_ACTION["measure"]}])
    deploy_pete(cora, case_url, peer_id)
    commission_from_the_matches(cora, case_url)

    cora.goto(f"{case_url}/do/closure")
    accessible(cora)
    checklist = cora.inner_text("main")
    assert "Peer deployment:" in checklist and "Commissioned support:" in checklist
    cora.get_by_label("Why the peer deployment", exact=False).fill("Mentoring complete")
    cora.get_by_role("button", name="End the peer deployment", exact=False).click()
    accessible(cora)
    assert "Peer deployment:" not in cora.inner_text("main")
    cora.get_by_label("Why the commissioned support", exact=False).fill("Coaching delivered")
    cora.get_by_role("button", name="End the commissioned support", exact=False).click()
    accessible(cora)
    assert "Nothing is left to end" in cora.inner_text("main")

    cora.get_by_label("Improved and handed back").check()
    cora.get_by_label("Handover").fill("Into the council's own improvement cycle")
    cora.get_by_label("Who leads it").fill("The chief executive")
    submit(cora, "Continue")
    recorded(cora, "Confirm and close case")
    assert the_case(site, case_url, people["coordinator"])["status"] == "closed"


def check_and_change(page, button: str, answer: str, field: str) -> None:
    """Continue to Check your answers, see `answer`, change `field` and find it kept."""
    submit(page, "Continue")
    assert page.get_by_role("heading", name="Check your answers").count() == 1
    assert answer in page.inner_text(".govuk-summary-list")
    page.get_by_role("button", name=f"Change {field.lower()}", exact=False).click()
    accessible(page)
    assert answer in page.get_by_label(field, exact=True).input_value()
    submit(page, "Continue")
    recorded(page, button)


def test_each_commitment_shows_its_answers_and_change_keeps_them(
        browser, site, people, web_settings, web_cases):
    peer_id = seed_registers(web_settings.eventsourcing_env())["peer"]
    cora, case_url = an_agreed_plan(browser, site, people, ACTIONS[:1])

    cora.goto(f"{case_url}/do/peer-deployments")
    cora.locator(f'input[name="peer_id"][value="{peer_id}"]').check()
    cora.get_by_label("Days of support").fill("2")
    cora.get_by_label("Role").fill("councillor peer")
    cora.get_by_label("Reason").fill("Experienced leader, no conflict")
    check_and_change(cora, "Confirm and deploy peer", "Experienced leader", "Reason")

    offer = the_case(site, case_url, people["coordinator"])
    cora.goto(f"{case_url}/support-matches")
    cora.get_by_role("button", name="Commission", exact=False).first.click()
    assert "Check your answers" in cora.inner_text("h1")
    cora.get_by_role("button", name="Change reason").click()
    cora.get_by_label("Reason").fill("Matches the political problems diagnosed")
    check_and_change(cora, "Confirm and commission support", "political problems", "Reason")
    assert len(the_case(site, case_url, people["coordinator"])["commissions"]) == len(
        offer["commissions"]) + 1

    lia = browser.new_context().new_page()  # a referral to the RIEP needs the council
    sign_in(lia, site, people["liaison"])
    lia.goto(f"{case_url}/do/council-acknowledgement")
    lia.get_by_label("Reason").fill("The cabinet asks for the RIEP's support")
    recorded(lia, "Acknowledge need")
    cora.goto(f"{case_url}/do/stage")
    cora.get_by_role("radio", name=re.compile("^riep$", re.IGNORECASE)).check()
    cora.get_by_label("Reason").fill("The council agreed to a referral")
    check_and_change(cora, "Confirm and change stage", "agreed to a referral", "Reason")

    assert web_cases.propose_escalation(UUID(case_url.rsplit("/", 1)[1]),
                                        reason="Reviews off track", proposal_key="p1")
    cora.goto(f"{case_url}/do/escalation/confirmation")
    cora.get_by_label("Reason").fill("The plan is overdue by a month")
    check_and_change(cora, "Confirm and confirm escalation", "overdue by a month", "Reason")

    cora.goto(f"{case_url}/do/government-meeting")
    cora.get_by_label("Attendees").fill("Council leader\nGO")
    cora.get_by_label("Reason").fill("Before any improvement notice")
    meeting = cora.get_by_role("group", name="Date and time of the meeting")
    for box, value in (("Day", "1"), ("Month", "2"), ("Year", "2027"), ("Hour", "10"),
                       ("Minute", "30")):
        meeting.get_by_label(box).fill(value)
    submit(cora, "Continue")
    assert "1 February 2027 at 10:30am" in cora.inner_text(".govuk-summary-list")
    cora.get_by_role("button", name="Change date and time of the meeting").click()
    accessible(cora)
    assert cora.get_by_role("group", name="Date and time of the meeting").get_by_label("Minute").input_value() \
        == "30"
    assert cora.get_by_label("Attendees").input_value() == "Council leader\nGO"
    submit(cora, "Continue")
    recorded(cora, "Confirm and convene government meeting")
    case = the_case(site, case_url, people["coordinator"])
    assert case["stage"] == "government meeting" and case["government_meetings"]


def test_a_confirm_on_answers_checked_before_someone_changed_the_case_is_caught(
        browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    cora.goto(f"{case_url}/do/closure")
    cora.get_by_label("Government intervention").check()
    cora.get_by_label("Exit note").fill("The improvement board concludes in July")
    submit(cora, "Continue")
    assert cora.get_by_role("heading", name="Check your answers").count() == 1

    other = cora.context.new_page()
    other.goto(f"{case_url}/do/intelligence")
    other.get_by_label("What you learned").fill("Two senior officers resigned this month")
    other.get_by_label("Who or what it came from").fill("Chief executive of a neighbouring council")
    recorded(other, "Add intelligence")

    submit(cora, "Confirm and close case")
    assert cora.locator(".govuk-error-summary").count() == 1
    assert cora.get_by_label("Exit note").input_value().startswith("The improvement board")
    assert the_case(site, case_url, people["coordinator"])["status"] != "closed"
