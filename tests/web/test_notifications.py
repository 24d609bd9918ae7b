"""Notifications: the header counts what needs the person and links to the list; a task
leaves it when done on the case, a reminder when marked done."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from tests.helpers import OPEN_CASE
from tests.unit.case_builder import ACTIONS
from tests.web.browser import accessible, plain_words, sign_in
from tests.web.conftest import BOTH_STORES

CORA = dict(actor_id="cora", actor_role="coordinator")
AUTHORITY = OPEN_CASE["authority"]


def _badge(page) -> str:
    """The count on the header's Notifications link ("" when nothing needs the person)."""
    badge = page.locator(".govuk-service-navigation a[href='/notifications'] "
                         ".moj-notification-badge")
    return badge.inner_text().split()[0] if badge.count() else ""


def _asked(web_cases) -> str:
    case_id = web_cases.open_case(**OPEN_CASE, **CORA,
                                  diagnosis_due=datetime.now(UTC) + timedelta(days=10))
    web_cases.record_diagnosis(case_id, summary="Weak leadership",
                               problem_natures=["capability"], **CORA)
    web_cases.draft_plan(case_id, summary="Stabilise children's services", actions=ACTIONS,
                         adviser_id="adam", **CORA)
    web_cases.ask_council_to_agree(case_id, note="Ready for cabinet", **CORA)
    return str(case_id)


@BOTH_STORES
def test_the_count_falls_when_the_liaison_agrees_the_plan(browser, site, people, web_cases):
    case_id = _asked(web_cases)
    lia = browser.new_context().new_page()
    sign_in(lia, site, people["liaison"])
    lia.goto(f"{site}/my-work")
    assert _badge(lia) == "1"
    lia.get_by_role("link", name="Notifications").click()
    accessible(lia)
    assert not plain_words(lia)
    [item] = lia.locator("#notifications > li").all_inner_texts()
    assert item.startswith(f"New Agree the support plan for {AUTHORITY}")
    assert f"Case: {AUTHORITY}, {web_cases.get_case(UUID(case_id))['reference']}" in item
    assert lia.get_by_role("button", name="Mark as done").count() == 0  # a task: done on the case
    lia.get_by_role("button", name="Mark as seen").click()
    assert "New" not in lia.locator("#notifications > li").inner_text()
    assert _badge(lia) == "1"  # seen, but it still needs her
    lia.get_by_role("link", name=f"Agree the support plan for {AUTHORITY}").click()
    assert lia.url.endswith(f"/case/{case_id}/do/plan/agreement")
    lia.get_by_label("Reason", exact=False).fill("Agreed at cabinet")
    lia.get_by_role("button", name="Agree support plan").click()
    lia.wait_for_load_state()
    assert _badge(lia) == ""
    lia.get_by_role("link", name="Notifications").click()
    assert lia.locator("main").inner_text().count("Nothing needs you at the moment") == 1


@BOTH_STORES
def test_a_reminder_reaches_the_owners_list_and_leaves_it_when_marked_done(
        browser, site, people, web_cases):
    case_id = web_cases.open_case(**OPEN_CASE, **CORA,
                                  diagnosis_due=datetime.now(UTC) + timedelta(days=10))
    assert web_cases.issue_reminder(case_id, deadline="diagnosis", recipient="case owner",
                                    reminder_key="diagnosis:before")
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    cora.goto(f"{site}/notifications")
    assert _badge(cora) == "1"
    [item] = cora.locator("#notifications > li").all_inner_texts()
    assert f"Reminder: the diagnosis for {AUTHORITY} is due by " in item
    accessible(cora)
    cora.get_by_role("button", name="Mark as done").click()
    assert _badge(cora) == ""
    assert "1 reminder marked done" in cora.locator("main").inner_text()
    lia = browser.new_context().new_page()  # the council's liaison was not reminded
    sign_in(lia, site, people["liaison"])
    lia.goto(f"{site}/notifications")
    assert lia.locator("#notifications > li").count() == 0


def test_a_reminder_of_a_deadline_met_leaves_the_list_by_itself(
        browser, site, people, web_cases):
    case_id = web_cases.open_case(**OPEN_CASE, **CORA,
                                  diagnosis_due=datetime.now(UTC) + timedelta(days=10))
    web_cases.issue_reminder(case_id, deadline="diagnosis", recipient="case owner",
                             reminder_key="diagnosis:before")
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    cora.goto(f"{site}/notifications")
    assert _badge(cora) == "1"
    web_cases.record_diagnosis(case_id, summary="Weak leadership",
                               problem_natures=["capability"], **CORA)
    cora.reload()
    assert _badge(cora) == ""
