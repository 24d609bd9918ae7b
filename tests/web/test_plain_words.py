"""Plain words, as a person reads the pages: errors say what to do, the timeline says who
did what and why, values are spelled as the sector spells them, and no page shows a field
path, a rule code, a version number, an API path, an id or a class name."""

import re
from datetime import date

from domain.budget import financial_year
from tests.web.browser import sign_in, visit
from tests.web.test_journeys import do, open_case, submit

CODE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"  # a UUID
    r"|\b[a-z]+_[a-z_]+\b"  # a field name or rule code: stale_version, adviser_id
    r"|\b[a-z_]+\.\d+\.[a-z_]+\b"  # a field path: actions.0.due
    r"|\bversion \d|\(version|\b(?:GET|POST|PUT) /"  # a version number, an API path
    r"|\b(?:Concern|Support|Peer|Case|Intelligence|Diagnosis)[A-Z][a-z]+"  # a class name
    r"|\bRiep\b|\bCaa\b|Chatham house|PT\d+S")


def plain(page) -> str:
    """The page's visible text, which must hold no code word."""
    text = page.inner_text("main")
    found = CODE.search(text)
    assert found is None, f"{found.group()!r} on {page.url}: {text[:800]}"
    return text


def errors(page) -> str:
    plain(page)
    return page.inner_text(".govuk-error-summary")


def test_bad_forms_say_what_to_do_in_words(browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)

    do(cora, case_url, "Record diagnosis")  # a missing field
    submit(cora, "Record diagnosis")
    assert "Enter the summary" in errors(cora)
    assert "Enter the summary" in cora.inner_text("#summary-error")

    do(cora, case_url, "Add intelligence")  # a field too long
    cora.get_by_label("What you learned").fill("x" * 5001)
    cora.get_by_label("Who or what it came from").fill("A neighbouring chief executive")
    submit(cora, "Add intelligence")
    assert "What you learned must be 5,000 characters or fewer" in errors(cora)

    visit(cora, f"{case_url}/do/reopening")  # a refusal by the domain's rules
    cora.get_by_label("Reason").fill("The council asked again")
    submit(cora, "Reopen case")
    assert "Only a closed case can be reopened" in errors(cora)

    do(cora, case_url, "Record diagnosis")  # a stale form
    other = cora.context.new_page()
    do(other, case_url, "Add intelligence")
    other.get_by_label("What you learned").fill("Two senior officers resigned this month")
    other.get_by_label("Who or what it came from").fill("A neighbouring chief executive")
    submit(other, "Add intelligence")
    cora.get_by_label("Summary").fill("Weak corporate capacity")
    submit(cora, "Record diagnosis")
    assert ("Cora added intelligence since you opened this form. Check what changed and "
            "submit again") in errors(cora)
    assert "added intelligence" in cora.inner_text("#expected-version")


def test_the_timeline_says_who_did_what_and_keeps_the_record_one_click_away(
        browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    do(cora, case_url, "Assess risk")
    cora.get_by_label("Inherent").check()
    cora.get_by_label("High").first.check()
    cora.get_by_label("Medium").nth(1).check()
    cora.get_by_label("Reason").fill("Children at risk")
    submit(cora, "Assess risk")

    visit(cora, case_url)
    titles = cora.locator(".moj-timeline__title").all_inner_texts()
    assert titles[0].startswith("Cora, regional coordinator, North West, assessed the "
                                "inherent risk as "), titles
    assert "(impact high, likelihood medium, score 8)" in titles[0]
    assert titles[1] == ("Cora, regional coordinator, North West, raised a concern about "
                         "Northshire County Council")
    newest = cora.locator(".moj-timeline__item").first
    assert "Why: Children at risk" in newest.inner_text()
    record = newest.locator("details")
    assert not record.evaluate("d => d.open")  # closed by default
    assert "RiskAssessed" not in plain(cora)
    record.locator("summary").click()
    assert "RiskAssessed" in record.inner_text()  # for an inspector, as it was recorded
    assert "Inspectorate report" in cora.inner_text("#summary ~ dl")
    assert "hashes an inspector checks offline" in cora.inner_text("main")


def test_money_and_stages_read_as_the_sector_writes_them(browser, site, people, web_services):
    web_services.registers.set_budget(
        region="North West", financial_year=financial_year(date.today()), total=112000000,
        allocation=5600000, actor_id="test")
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    open_case(cora, site)
    visit(cora, f"{site}/regional-picture")
    text = plain(cora)
    assert "£112,000,000" in text and "£5,600,000" in text and "RIEP" in text
    visit(cora, f"{site}/my-work")
    assert "Service-specific issue" in plain(cora)
    assert cora.get_by_label("Stage").locator("option", has_text="RIEP").count() == 1
