"""The registers' pages: matches for a diagnosis with commission and deploy, CSV import."""

from uuid import UUID

import pytest

from services.ops.demo_data import load_demo
from services.registers.service import RegisterService
from tests.web.browser import accessible, sign_in, visit
from tests.web.test_journeys import open_case, submit
from tests.web.test_pickers import an_agreed_plan


@pytest.fixture
def demo_registers(web_settings):
    registers = RegisterService(web_settings.eventsourcing_env())
    load_demo(registers)
    yield registers
    registers.close()


def test_a_coordinator_commissions_and_deploys_from_the_matches(browser, site, people,
                                                                demo_registers, web_cases):
    cora, case_url = an_agreed_plan(browser, site, people, web_cases)
    cora.goto(case_url)
    cora.get_by_role("link", name="Find support that matches the diagnosis").click()
    accessible(cora)
    first_offer = cora.locator("table").nth(0).locator("tbody tr").first
    offer_id = first_offer.locator("input[name=offer_id]").get_attribute("value")
    with cora.expect_navigation():  # axe reads the page only once it has arrived
        first_offer.get_by_role("button").click()
    accessible(cora)  # Check your answers, then back to the matches
    cora.get_by_role("button", name="Confirm and commission support").click()
    assert "Done: commissioned" in cora.inner_text(".govuk-notification-banner")
    offer = demo_registers.get_offer(UUID(offer_id))
    assert [c["case_id"] for c in offer["commissions"]] == [case_url.rsplit("/", 1)[1]]

    cora.locator("table").nth(1).locator("tbody tr").first.get_by_role("button").click()
    assert "Done: deployed" in cora.inner_text(".govuk-notification-banner")


def test_an_inspector_may_not_match_or_commission(browser, site, people, demo_registers):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    ines = browser.new_context().new_page()
    sign_in(ines, site, people["inspector"])
    assert ines.goto(f"{case_url}/support-matches").status == 403
    csrf = ines.goto(case_url) and ines.get_attribute("input[name=csrf_token]", "value")
    offer_id = str(demo_registers.list_offers()[0]["id"])
    answer = ines.request.post(f"{case_url}/support-matches/commission",
                               form={"csrf_token": csrf, "offer_id": offer_id, "days": "1"})
    assert answer.status == 403
    assert demo_registers.list_offers()[0]["commissions"] == []


def test_a_bad_csv_lists_every_bad_row_by_line_and_field_in_words(browser, site, people,
                                                              demo_registers):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    visit(cora, f"{site}/registers/authorities")
    cora.fill("#csv", "name,authority_type,region\n"
                      "Newtown Borough Council,london borough,London\n"
                      "Oldtown Council,parish,North West\n"
                      ",county,Nowhere\n")
    submit(cora, "Import")
    summary = cora.inner_text(".govuk-error-summary")
    assert "Line 3: Authority type" in summary and "Line 4: Name" in summary, summary
    assert "authority_type" not in summary
    assert "Newtown Borough Council" not in cora.inner_text("table")
    visit(cora, f"{site}/registers/peers")
    visit(cora, f"{site}/registers/offers")
    open_case(cora, site)
    visit(cora, f"{site}/regional-picture")
    assert cora.text_content("#heat-title") == "Heat map of open cases by stage and risk band"
    drawn = [t for t in cora.locator("svg.app-heat text").all_text_contents() if t.isdigit()]
    tabled = cora.locator("table").first.locator("td").all_inner_texts()
    assert drawn == tabled and "1" in drawn


def test_the_peer_register_shows_each_peers_organisation_and_recorded_conflicts(
        browser, site, people, demo_registers):
    ines = browser.new_context().new_page()
    sign_in(ines, site, people["inspector"])
    visit(ines, f"{site}/registers/peers")
    rows = {r.locator("td").first.inner_text(): r.inner_text()
            for r in ines.locator("tbody tr").all()}
    assert "Safe Childhoods Trust (charity)" in rows["Marcus Bell"]
    assert "Ouse Valley County Council" in rows["Marcus Bell"]
    assert "Eastshire County Council" in rows["Dev Sharma"]
    assert "None recorded" in rows["Dev Sharma"]
