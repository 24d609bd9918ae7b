"""The pages fit a phone and 200% zoom (WCAG 1.4.10), and the header is casework's own."""

from datetime import UTC, datetime, timedelta

from tests.helpers import OPEN_CASE
from tests.web.browser import accessible, fits, sign_in
from tests.web.test_every_page import PLAN, Case

LONG_WORD = "https://www.northshire.gov.uk/council-and-democracy/meetings/" \
            "cabinet-papers-2026-11-children-services-improvement-plan-appendix-b"


def _a_case(web_cases, summary: str) -> str:
    fields = {k: OPEN_CASE[k] for k in ("authority", "region", "source", "issue_type")}
    return str(web_cases.open_case(**fields, summary=summary, actor_id="cora",
                                   actor_role="coordinator",
                                   diagnosis_due=datetime.now(UTC) + timedelta(days=30)))


def test_a_table_scrolls_in_its_own_named_box_that_the_keyboard_reaches(
        browser, site, people, web_cases):
    _a_case(web_cases, "Children's services judged inadequate")
    page = browser.new_context(viewport={"width": 320, "height": 800}).new_page()
    sign_in(page, site, people["coordinator"])
    cases = page.get_by_role("region", name="Cases")
    assert cases.get_attribute("tabindex") == "0"
    assert cases.evaluate("box => box.scrollWidth > box.clientWidth")  # too wide for 320 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # the page is not
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Cases":
            break
    page.keyboard.press("ArrowRight")
    for _ in range(20):  # a smooth scroll takes a moment
        if cases.evaluate("box => box.scrollLeft") > 0:
            break
        page.wait_for_timeout(50)
    assert cases.evaluate("box => box.scrollLeft") > 0
    accessible(page)


def test_a_table_that_fits_is_no_tab_stop_where_javascript_runs_and_one_where_it_does_not(
        browser, site, people, web_cases):
    _a_case(web_cases, "Children's services judged inadequate")
    for javascript, stop in ((True, None), (False, "0")):
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      java_script_enabled=javascript)
        page = context.new_page()
        sign_in(page, site, people["coordinator"])
        assert page.get_by_role("region", name="Cases").get_attribute("tabindex") == stop
        page.set_viewport_size({"width": 320, "height": 800})
        if javascript:  # narrowed: the table no longer fits, and its box is a stop again
            page.wait_for_timeout(100)
        assert page.get_by_role("region", name="Cases").get_attribute("tabindex") == "0"
        context.close()


def test_a_long_unbroken_word_wraps_instead_of_widening_the_case_page(browser, site, people):
    case = Case(site, people)
    case.do("coordinator", "diagnosis", {"summary": "Weak capacity",
                                         "problem_natures": ["capacity"]})
    case.do("coordinator", "plan", {**PLAN, "summary": f"As set out in {LONG_WORD}"})
    page = browser.new_context(viewport={"width": 320, "height": 800}).new_page()
    sign_in(page, site, people["coordinator"])
    page.goto(f"{site}/case/{case.id}")
    plan = page.locator("p", has_text=LONG_WORD)
    assert plan.evaluate("p => p.scrollWidth <= p.clientWidth")  # no word runs out of it
    fits(page)


def test_the_header_is_casework_s_own_with_no_crown_and_says_who_is_signed_in(
        browser, site, people):
    page = browser.new_context().new_page()
    page.goto(f"{site}/sign-in")
    assert page.title() == "Sign in - casework"
    sign_in(page, site, people["liaison"])
    assert page.title() == "My work - casework"
    header = page.locator("header")
    assert header.get_by_role("link", name="casework").count() == 1
    assert header.get_by_role("link", name="My work").count() == 1
    assert "Signed in as" in header.inner_text() and "Northshire County Council" in \
        header.inner_text()
    assert header.get_by_role("button", name="Sign out").count() == 1
    assert "GOV.UK" not in page.inner_text("header") and "GOV.UK" not in page.title()
    assert page.locator(".govuk-header, .govuk-logo, .govuk-header__logotype").count() == 0
    footer = page.inner_text("footer")
    assert "Crown copyright" not in footer and "Open Government Licence" not in footer
    assert page.locator("footer svg").count() == 0  # no crown, no licence logo
