"""Searching from the page header: a coordinator finds a case by part of its council's
name, sees the words that matched, and follows the result to the case; a search that finds
nothing says so and how to search instead. On both stores."""

import re

from tests.helpers import OPEN_CASE
from tests.web.browser import accessible, fits, plain_words, sign_in
from tests.web.conftest import BOTH_STORES

C = dict(actor_id="cora", actor_role="coordinator")


@BOTH_STORES
def test_search_from_the_header_finds_a_case_by_part_of_its_councils_name(
        browser, site, people, web_cases):
    case_id = web_cases.open_case(**dict(OPEN_CASE, summary="Ofsted judged children's "
                                                            "services inadequate"), **C)
    web_cases.open_case(**dict(OPEN_CASE, authority="Southshire District Council",
                               region="South East", summary="Budget gap"),
                        actor_id="otto", actor_role="coordinator")  # not Cora's region
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, site, people["coordinator"])
    page.goto(f"{site}/my-work")
    page.get_by_label("Search cases").fill("shire")
    page.keyboard.press("Enter")  # the keyboard alone
    page.wait_for_url("**/search?q=shire")
    assert page.locator("#search-count").inner_text() == "1 case matches, best match first."
    assert page.locator("#search-results mark").all_inner_texts() == ["shire"]
    assert page.get_by_label("Search cases").input_value() == "shire"
    accessible(page)
    fits(page)
    assert not plain_words(page)
    reference = web_cases.get_case(case_id)["reference"]
    assert f"Reference {reference}. Stage: Local. Owner:" in page.inner_text("#search-results")
    # one council may have several cases: each result's link names its case
    page.get_by_role("link", name=re.compile(rf"^Northshire County Council ?, case {reference}$")).click()
    page.wait_for_url(f"**/case/{case_id}")

    page.goto(f"{site}/search?q=ofsted+inadeq")
    assert page.locator("#search-results mark").all_inner_texts() == ["Ofsted", "inadeq"]

    page.goto(f"{site}/search?q=zzzz")
    assert page.locator("#search-count").inner_text() == "No cases match."
    accessible(page)

    too_long = page.goto(f"{site}/search?q={'x' * 300}")
    assert too_long.status == 422
    assert "Search for 200 characters or fewer" in page.locator(".govuk-error-summary").inner_text()
    accessible(page)


def test_a_liaison_finds_only_their_own_councils_cases(browser, site, people, web_cases):
    web_cases.open_case(**OPEN_CASE, **C)
    web_cases.open_case(**dict(OPEN_CASE, authority="Southshire District Council",
                               region="South East"), actor_id="otto", actor_role="coordinator")
    page = browser.new_context().new_page()
    sign_in(page, site, people["liaison"])
    page.goto(f"{site}/search?q=shire")
    [found] = page.locator("#search-results h2").all_inner_texts()
    assert found.startswith("Northshire County Council")
