"""An administrator sees a closed case the retention schedule no longer keeps in their
notifications, reviews it and disposes of it with a reason, in Chromium; an inspector
reads the disposal record; the case's own page then says plainly it was disposed of."""

import time
from pathlib import Path

import pytest

from services.platform.settings import Settings
from services.records.disposal import Disposals
from tests.conftest import free_port
from tests.helpers import EXIT_STRATEGY, OPEN_CASE
from tests.web.browser import accessible, fits, plain_words, sign_in, visit
from tests.web.conftest import register_people

CORA = dict(actor_id="cora", actor_role="coordinator")
SUMMARY = "Quillfeather adult social care overspend"


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    """The pages' settings, with a retention schedule of two seconds."""
    return Settings(data_dir=tmp_path / "var", store="sqlite",
                    temporal_address=f"127.0.0.1:{free_port()}", retention_case="PT2S")


def test_an_administrator_disposes_of_a_case_the_schedule_no_longer_keeps(
        browser, site, web_cases, web_services, web_identity, people):
    admin = register_people(web_identity, {"admin": dict(username="ada", role="admin",
                                                        name="Ada Lovell")})["admin"]
    case_id = web_cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, **CORA)
    web_cases.close_case(case_id, outcome="improved and handed back",
                         exit_strategy=EXIT_STRATEGY, **CORA)
    reference = web_cases.get_case(case_id)["reference"]
    time.sleep(2.5)
    Disposals(web_cases, web_services.case_list, web_services.retention,
              web_services.documents, None,
              web_services.settings.retention_schedule()).propose_due()  # the sweep's run

    ada = browser.new_page()
    sign_in(ada, site, admin)
    visit(ada, f"{site}/notifications")
    assert ada.get_by_role("link", name="Review the disposal of the case of Northshire "
                                        "County Council").count() == 1
    visit(ada, f"{site}/records")
    fits(ada)  # the table of cases due scrolls in its own box on a phone
    ada.locator("#due").get_by_role("link", name="Review the case of Northshire County "
                                                 "Council").click()
    accessible(ada)
    assert reference in ada.locator("#due-case").inner_text()
    assert plain_words(ada, ["ada", "cora"]) == []
    ada.get_by_role("button", name="Dispose of this case").click()  # no reason given
    accessible(ada)
    assert "Enter why the case is being disposed of" in ada.locator(".govuk-error-summary")\
        .inner_text()
    assert web_cases.get_case(case_id)["summary"] == SUMMARY  # nothing changed
    ada.fill("#reason", "Kept as the schedule \u202erequires")  # the record keeps plain text
    ada.get_by_role("button", name="Dispose of this case").click()
    accessible(ada)
    assert "Remove the hidden text-direction characters" in ada.locator(
        ".govuk-error-summary").inner_text()
    assert web_cases.get_case(case_id)["summary"] == SUMMARY
    ada.fill("#reason", "Kept as the schedule requires; no inquiry or complaint open")
    ada.get_by_role("button", name="Dispose of this case").click()
    accessible(ada)
    assert "has been disposed of" in ada.locator(".govuk-notification-banner__heading")\
        .inner_text()
    assert "<" not in ada.locator(".govuk-notification-banner").inner_text()
    kept = ada.locator("#kept").inner_text()
    assert reference in kept and "Ada Lovell" in kept and "no inquiry" in kept
    assert ada.locator("#none-due").is_visible()
    assert plain_words(ada, ["ada", "cora"]) == []
    visit(ada, f"{site}/notifications")  # its task has gone with it
    assert ada.get_by_role("link", name="Review the disposal of the case of Northshire "
                                        "County Council").count() == 0

    ines = browser.new_page()
    sign_in(ines, site, people["inspector"])
    visit(ines, f"{site}/records")
    assert reference in ines.locator("#kept").inner_text()
    fits(ines)  # so does the table of disposal records
    assert "A closed case is kept for 2 seconds after it was closed." in ines.locator(
        "#schedule").inner_text()  # the schedule, in words
    assert ines.locator("#due").count() == 0  # an inspector reads, never disposes
    refused = ines.goto(f"{site}/records/naming")
    assert refused is not None and refused.status == 403
    assert "an inspector may not find records naming a person" in ines.inner_text("main")
    visit(ines, f"{site}/case/{case_id}")
    assert "disposed of on" in ines.locator("main").inner_text()
    assert SUMMARY not in ines.content()
    response = ines.goto(f"{site}/case/{case_id}")
    assert response is not None and response.status == 410
