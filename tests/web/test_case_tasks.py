"""The case page leads with what to do next: a task list of the steps that fit the case's
stage and the person's role, only what can be taken now linked, the rest of what they may
do behind "Other actions"; My work lists the tasks waiting on each person; and a liaison
agrees a plan from My work with the keyboard alone, in a few key presses."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from tests.helpers import OPEN_CASE
from tests.unit.case_builder import ACTIONS
from tests.web.browser import accessible, sign_in, visit
from tests.web.test_pickers import an_agreed_plan

CORA = dict(actor_id="cora", actor_role="coordinator")
AUTHORITY = OPEN_CASE["authority"]


def _case(web_cases, *, drafted: bool = False, asked: bool = False) -> str:
    case_id = web_cases.open_case(**OPEN_CASE, **CORA,
                                  diagnosis_due=datetime.now(UTC) + timedelta(days=10))
    if drafted or asked:
        web_cases.record_diagnosis(case_id, summary="Weak leadership",
                                   problem_natures=["capability"], **CORA)
        web_cases.draft_plan(case_id, summary="Stabilise children's services",
                             actions=ACTIONS, adviser_id="adam", **CORA)
    if asked:
        web_cases.ask_council_to_agree(case_id, note="Ready for cabinet", **CORA)
    return str(case_id)


def _tasks(page) -> list[tuple[str, str]]:
    items = page.locator(".govuk-task-list__item")
    return [(items.nth(i).locator(".govuk-task-list__name-and-hint").inner_text().strip()
             .splitlines()[0],
             items.nth(i).locator(".govuk-task-list__status").inner_text().strip())
            for i in range(items.count())]


def _linked(page) -> list[str]:
    return [t.strip() for t in page.locator(".govuk-task-list__link").all_inner_texts()]


def test_a_new_case_offers_the_coordinator_only_what_can_be_taken_now(
        browser, site, people, web_cases):
    case_id = _case(web_cases)
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    visit(cora, f"{site}/case/{case_id}")
    tasks = dict(_tasks(cora))
    assert tasks["Record the diagnosis"] == "Not started"
    assert tasks["Agree the support plan"] == "Cannot start yet"
    assert tasks["Review progress against the plan"] == "Cannot start yet"
    why = cora.locator(".govuk-task-list__item", has=cora.get_by_text(
        "Agree the support plan", exact=True)).locator(".govuk-task-list__hint").inner_text()
    assert why == "Draft the support plan first", why  # why not yet, in words
    assert "Record the diagnosis" in _linked(cora)
    assert "Agree the support plan" not in _linked(cora)
    main = cora.inner_text("main")
    for never_now in ("Reopen case", "Commission support", "Deploy peer",
                      "Agree support plan", "Conclude government meeting"):
        assert cora.get_by_role("link", name=never_now, exact=True).count() == 0, never_now
    assert "Add intelligence" not in main  # behind "Other actions" until opened
    cora.locator("#other-actions summary").click()
    assert cora.get_by_role("link", name="Add intelligence", exact=True).is_visible()
    accessible(cora)


def test_the_skip_link_is_first_and_takes_the_keyboard_to_the_tasks(
        browser, site, people, web_cases):
    case_id = _case(web_cases)
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    cora.goto(f"{site}/case/{case_id}")
    cora.keyboard.press("Tab")
    assert cora.evaluate("document.activeElement.innerText.trim()") == "Skip to what you can do"
    cora.keyboard.press("Enter")
    cora.keyboard.press("Tab")
    assert cora.evaluate("document.activeElement.innerText.trim()") == "Record the diagnosis"


def test_the_coordinator_asks_the_council_and_the_plan_then_waits_for_it(
        browser, site, people, web_cases):
    case_id = _case(web_cases, drafted=True)
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    visit(cora, f"{site}/case/{case_id}")
    assert dict(_tasks(cora))["Ask the council to agree the plan"] == "Not started"
    cora.get_by_role("link", name="Ask the council to agree the plan").click()
    accessible(cora)
    cora.get_by_label("Note", exact=False).fill("Ready for your cabinet")
    cora.get_by_role("button", name="Ask council to agree plan").click()
    accessible(cora)
    tasks = dict(_tasks(cora))
    assert tasks["Ask the council to agree the plan"] == "Done"
    assert tasks["Agree the support plan"] == "Waiting for the council"
    assert "Ask the council to agree the plan" not in _linked(cora)  # once per revision


def test_a_liaison_whose_plan_awaits_them_sees_agree_the_support_plan_first(
        browser, site, people, web_cases):
    case_id = _case(web_cases, asked=True)
    lia = browser.new_context().new_page()
    sign_in(lia, site, people["liaison"])
    visit(lia, f"{site}/case/{case_id}")
    assert _tasks(lia)[0] == ("Agree the support plan", "Not started")
    assert _linked(lia)[0] == "Agree the support plan"


def test_my_work_puts_the_plan_awaiting_the_liaison_at_the_top_naming_who_asked(
        browser, site, people, web_cases, web_identity):
    web_identity.register_user(username="carla", name="Carla Coordinator",
                               role="coordinator", region="North West")
    case_id = web_cases.open_case(**OPEN_CASE, actor_id="carla", actor_role="coordinator")
    web_cases.record_diagnosis(case_id, summary="Weak leadership", actor_id="carla",
                               actor_role="coordinator")
    web_cases.draft_plan(case_id, summary="Stabilise", actions=ACTIONS, adviser_id="adam",
                         actor_id="carla", actor_role="coordinator")
    web_cases.ask_council_to_agree(case_id, actor_id="carla", actor_role="coordinator")
    _case(web_cases)  # another case of the council's, with nothing waiting on it
    lia = browser.new_context().new_page()
    sign_in(lia, site, people["liaison"])
    visit(lia, f"{site}/my-work")
    headings = lia.locator("main h2").all_inner_texts()
    assert headings[0] == "Awaiting your agreement"
    [task] = lia.locator("#my-tasks li").all_inner_texts()
    assert task.startswith(f"Agree the support plan for {AUTHORITY}: asked by Carla Coordinator on ")
    lia.get_by_role("link", name=f"Agree the support plan for {AUTHORITY}").click()
    accessible(lia)
    assert lia.url.endswith(f"/case/{case_id}/do/plan/agreement")


def test_the_coordinator_sees_a_joint_meetings_summary_falling_to_them(
        browser, site, people, web_cases):
    case_id = web_cases.open_case(**OPEN_CASE, **CORA)
    web_cases.hold_joint_local_meeting(
        case_id, outcome="strong local plan", reason="Credible",
        attendees=[{"kind": "council or partnership", "name": "Leader"}], **CORA)
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    visit(cora, f"{site}/my-work")
    [task] = cora.locator("#my-tasks li").all_inner_texts()
    assert task.startswith(f"Record the joint local meeting's summary for {AUTHORITY}: due ")
    cora.get_by_role("link", name=f"Record the joint local meeting's summary for {AUTHORITY}"
                     ).click()
    accessible(cora)
    assert cora.url.endswith(f"/case/{case_id}/do/joint-local-meetings/summary")


class Keys:
    """A keyboard that counts: each press one, each typed text one per character."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def press(self, key: str) -> None:
        self.count += 1
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.count += len(text)
        self.page.keyboard.type(text)

    def tab_to(self, text: str) -> None:
        for _ in range(30):
            self.press("Tab")
            if self.page.evaluate("(document.activeElement.innerText || document."
                                  "activeElement.value || '').trim()").startswith(text):
                return
        raise AssertionError(f"{text!r} never reached by Tab on {self.page.url}")

    def tab_to_field(self, element_id: str) -> None:
        for _ in range(30):
            self.press("Tab")
            if self.page.evaluate("document.activeElement.id") == element_id:
                return
        raise AssertionError(f"#{element_id} never reached by Tab on {self.page.url}")


def test_a_keyboard_only_liaison_agrees_a_plan_from_my_work_in_at_most_25_key_presses(
        browser, site, people, web_cases):
    case_id = _case(web_cases, asked=True)
    lia = browser.new_context().new_page()
    sign_in(lia, site, people["liaison"])  # signing in is not part of the count
    lia.goto(f"{site}/my-work")
    keys = Keys(lia)
    keys.press("Tab")  # the skip link
    keys.press("Enter")
    keys.tab_to(f"Agree the support plan for {AUTHORITY}")
    with lia.expect_navigation():
        keys.press("Enter")
    keys.tab_to_field("reason")
    keys.type("Agreed")
    keys.tab_to("Agree support plan")
    with lia.expect_navigation():
        keys.press("Enter")
    assert lia.url.endswith(f"/case/{case_id}?done=agree_plan"), lia.url
    assert keys.count <= 25, keys.count
    accessible(lia)
    assert dict(_tasks(lia)).get("Agree the support plan") in (None, "Done")


def test_a_review_falling_due_waits_on_the_coordinator_and_the_adviser_not_the_council(
        site, people, web_cases):
    import httpx

    from tests.web.test_sessions import _sign_in

    case_id = web_cases.open_case(**OPEN_CASE, **CORA)
    web_cases.record_diagnosis(case_id, summary="Weak leadership", **CORA)
    web_cases.draft_plan(case_id, summary="Stabilise", actions=ACTIONS, adviser_id="adam",
                         **CORA)
    web_cases.agree_plan(case_id, reason="Agreed", actor_id="lia",
                         actor_role="authority liaison")
    web_cases.review_progress(
        case_id, measures={"Director in post": "on track", "Caseloads under 20": "on track"},
        judgement="improving", reason="Early days", **CORA,
        next_review_due=datetime.now(UTC) + timedelta(days=1))
    for who, expected in (("coordinator", True), ("adviser", True), ("liaison", False)):
        with httpx.Client(base_url=site, timeout=30) as client:
            _sign_in(client, people[who])
            work = client.get("/my-work").text
        link = f'href="/case/{case_id}/do/progress-reviews">Review progress for {AUTHORITY}'
        assert (link in work) is expected, who


def test_closing_while_support_runs_leads_to_the_checklist_saying_why_in_words(
        browser, site, people, web_cases, registers):
    """"Close the case" is not a dead end while a peer is deployed: it says what must end
    first, in words (no deployment id), and opens the closing checklist."""
    cora, case_url = an_agreed_plan(browser, site, people, web_cases)
    web_cases.deploy_peer(UUID(case_url.rsplit("/", 1)[1]), peer_id=registers.seeded["peer"],
                          days=2, role="officer peer", reason="Experienced", **CORA)
    visit(cora, case_url)
    close = cora.locator(".govuk-task-list__item", has_text="Close the case")
    why = close.locator(".govuk-task-list__hint").inner_text()
    assert why == "End the active peer deployments first", why
    close.get_by_role("link", name="Close the case").click()
    accessible(cora)
    assert "Before you close the case" in cora.inner_text("main")
    assert cora.get_by_role("button", name="End the peer deployment", exact=False).count() == 1
