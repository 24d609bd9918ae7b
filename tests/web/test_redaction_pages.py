"""Redaction in pages, on both stores: an administrator finds what names a person, redacts
the words with a reason, and the case's own people read the redaction line in its place."""

import pytest

from domain.documents import StoredFile
from tests.document_files import PDF
from tests.web.browser import accessible, plain_words, sign_in, visit
from tests.web.conftest import BOTH_STORES, register_people
from tests.web.test_journeys import submit

SECRET = "Zebulon Quartermaine"
SUMMARY = f"{SECRET} told us the children's services are failing"
REASON = "The data subject asked us to erase his name"
PEOPLE = {"admin": dict(username="ada", role="admin", name="Ada Admin"),
          "coordinator": dict(username="cora", role="coordinator", region="North West",
                              name="Cora Coordinator")}


@pytest.fixture
def staff(web_identity):
    return register_people(web_identity, PEOPLE)


@BOTH_STORES
def test_an_administrator_redacts_what_names_a_person_and_the_case_shows_the_note(
        browser, site, staff, web_cases, web_services):
    case_id = web_cases.open_case(
        authority="Northshire County Council", region="North West", summary=SUMMARY,
        source="inspectorate report", issue_type="service-specific issue",
        actor_id="cora", actor_role="coordinator")
    ada = browser.new_context().new_page()
    sign_in(ada, site, staff["admin"])
    ada.locator(".govuk-service-navigation").get_by_role("link", name="Records").click()
    accessible(ada)
    ada.get_by_role("link", name="find everything that names them").click()
    accessible(ada)
    ada.fill("#name", "quartermaine")
    ada.get_by_role("button", name="Find").click()
    accessible(ada)
    assert "1 entry names them" in ada.inner_text("#found")
    card = ada.locator(".app-found")
    assert "Concern raised, Northshire County Council" in card.inner_text()
    assert SUMMARY in card.inner_text()
    assert not plain_words(ada, ["ada", "cora"])
    card.get_by_role("link", name="Redact the summary").click()
    accessible(ada)
    assert SUMMARY in ada.inner_text("main")
    assert not plain_words(ada, ["ada", "cora"])

    submit(ada, "Redact the summary")  # no reason given
    accessible(ada)
    assert "Enter why this is redacted" in ada.inner_text(".govuk-error-summary")
    assert web_cases.get_case(case_id)["summary"] == SUMMARY  # nothing written

    ada.fill("#reason", REASON)
    submit(ada, "Redact the summary")
    accessible(ada)
    assert "The text is redacted" in ada.inner_text(".govuk-notification-banner")
    ada.fill("#name", "quartermaine")
    ada.get_by_role("button", name="Find").click()
    assert "Nothing recorded names them" in ada.inner_text("#found")

    cora = browser.new_context().new_page()
    sign_in(cora, site, staff["coordinator"])
    cora.goto(f"{site}/case/{case_id}")
    accessible(cora)
    text = cora.inner_text("main")
    assert SECRET not in text
    assert f": {REASON}" in text and "redacted on " in text
    assert "redacted the summary of an earlier entry in this history" in text
    assert not plain_words(cora, ["ada", "cora"])


def test_an_administrator_redacts_chatham_house_material_without_reading_it(
        browser, site, staff, web_cases, web_services):
    """A Chatham House source, and a document attached under Chatham House, are known only
    to the confidential group: the administrator finds and redacts them, reading neither."""
    case_id = web_cases.open_case(
        authority="Northshire County Council", region="North West", summary="Finance concern",
        source="inspectorate report", issue_type="service-specific issue",
        actor_id="cora", actor_role="coordinator")
    web_cases.add_intelligence(case_id, content="Reserves are nearly gone",
                               source=f"{SECRET}, the deputy treasurer",
                               confidentiality="Chatham House", actor_id="cora",
                               actor_role="coordinator")
    stored = web_services.documents.put(case_id, [PDF])
    web_cases.attach_document(case_id, title=f"Notes from {SECRET}", kind="letter",
                              step="the case as a whole", step_ref="",
                              confidentiality="Chatham House",
                              stored=StoredFile(stored.sha256, len(PDF), "application/pdf",
                                                "quartermaine-notes.pdf").as_fields(),
                              actor_id="cora", actor_role="coordinator")
    ada = browser.new_context().new_page()
    sign_in(ada, site, staff["admin"])
    visit(ada, f"{site}/records/naming?name=quartermaine")
    accessible(ada)
    assert "2 entries name them" in ada.inner_text("#found")
    found = ada.inner_text("main")
    assert "deputy treasurer" not in found and "Notes from" not in found
    assert "withheld (Chatham House)" in found
    ada.get_by_role("link", name="Redact the source").click()
    accessible(ada)
    assert "deputy treasurer" not in ada.inner_text("main")
    ada.fill("#reason", REASON)
    submit(ada, "Redact the source")
    assert "The text is redacted" in ada.inner_text(".govuk-notification-banner")
    visit(ada, f"{site}/case/{case_id}/documents/document-1/redact")
    accessible(ada)
    main = ada.inner_text("main")
    assert "Notes from" not in main and "withheld (Chatham House)" in main
    ada.fill("#reason", "Attached to the wrong case")
    submit(ada, "Redact the document")
    assert "The document is redacted" in ada.inner_text(".govuk-notification-banner")
    source = web_cases.get_case(case_id)["intelligence"][0]["source"]
    assert source.startswith("redacted on ") and SECRET not in source
