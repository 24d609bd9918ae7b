"""People added and let in from the pages: no command line, no token handed over."""

import re
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port
from tests.integration.escalation_support import Mailbox
from tests.web.browser import accessible, sign_in
from tests.web.conftest import BOTH_STORES
from tests.web.test_journeys import a_drafted_plan, submit

REFUSED = "This sign-in link cannot be used. Ask for a new one."


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture
def web_settings(web_settings, mailbox):
    """The pages' settings, sending email to the test's SMTP server on loopback."""
    return web_settings.model_copy(update=dict(smtp_host="127.0.0.1", smtp_port=mailbox.port))


def _link_in(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/sign-in/link/\S+", body).group(0)


def _follow(browser, link: str):
    """A new browser (no cookies of anyone's) opens the link and presses Sign in."""
    page = browser.new_context().new_page()
    page.goto(link)
    accessible(page)
    assert "/my-work" not in page.url  # following the link alone spends nothing
    with page.expect_navigation() as pressed:
        page.get_by_role("button", name="Sign in").click()
    page.pressed_status = pressed.value.status if pressed.value else None
    return page


@BOTH_STORES
def test_a_coordinator_adds_a_liaison_who_signs_in_by_email_and_agrees_a_plan(
        browser, site, people, mailbox):
    cora, case_url = a_drafted_plan(browser, site, people)
    cora.locator(".govuk-service-navigation").get_by_role("link", name="People").click()
    accessible(cora)
    cora.get_by_role("button", name="Add a person").click()
    accessible(cora)
    cora.fill("#name", "Lena Liaison")
    cora.fill("#email", "lena@northshire.example")
    cora.get_by_role("radio", name="Council liaison").check()
    cora.select_option("#authority", "Northshire County Council")
    submit(cora, "Add the person")
    assert "The person is added" in cora.inner_text(".govuk-notification-banner")
    submit(cora, "Send a sign-in link")
    assert "sign-in link is on its way" in cora.inner_text(".govuk-notification-banner")
    cora.get_by_role("link", name="Back to people").click()
    row = cora.get_by_role("row", name=re.compile("Lena Liaison"))
    assert "Northshire County Council" in row.inner_text() and "Not known" in row.inner_text()
    assert "Council liaison" in row.inner_text()  # a value starts with a capital

    [message] = mailbox.messages
    assert message["To"] == "lena@northshire.example"
    link = _link_in(message)

    lena = _follow(browser, link)
    assert lena.url.endswith("/my-work"), lena.url
    lena.goto(case_url)
    lena.get_by_role("link", name="Agree the support plan").click()
    lena.fill("#reason", "The cabinet accepts the plan")
    submit(lena, "Agree support plan")
    assert "Done: the support plan is agreed" in lena.inner_text(".govuk-notification-banner")

    for replayed in (link, link[:-2] + ("AA" if not link.endswith("AA") else "BB")):
        other = _follow(browser, replayed)
        assert "/sign-in/link/" in other.url and other.pressed_status == 403
        assert REFUSED in other.inner_text(".govuk-error-summary")
        other.goto(f"{site}/my-work")
        assert "/sign-in" in other.url  # no session came of it

    cora.goto(f"{site}/people")
    row = cora.get_by_role("row", name=re.compile("Lena Liaison"))
    assert "Not known" not in row.inner_text()  # last signed in is known now


def test_a_liaison_has_no_people_pages_and_the_sign_in_page_names_no_command(
        browser, site, people):
    page = browser.new_context().new_page()
    page.goto(f"{site}/sign-in")
    text = page.inner_text("main")
    assert "Ask your coordinator or administrator for a sign-in link" in text
    assert "python" not in text and "casework users" not in text
    sign_in(page, site, people["liaison"])
    assert page.get_by_role("link", name="People").count() == 0
    assert page.goto(f"{site}/people").status == 403


def test_a_person_makes_a_token_for_a_program_sees_it_once_and_revokes_it(
        browser, site, people):
    page = browser.new_context().new_page()
    sign_in(page, site, people["adviser"])
    page.goto(f"{site}/account")
    page.fill("#label", "Council dashboard")
    submit(page, "Create a token")
    token = page.inner_text("#new-token")
    assert token.startswith("cw_")
    page.goto(f"{site}/account")
    assert token not in page.content() and "Council dashboard" in page.inner_text("main")
    answer = page.request.get(f"{site}/cases", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200
    page.get_by_role("button", name="Revoke Council dashboard").click()
    accessible(page)
    assert "Council dashboard" not in page.inner_text("table") if page.locator(
        "table").count() else True
    answer = page.request.get(f"{site}/cases", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 401


def test_a_coordinator_is_told_what_is_wrong_and_reaches_no_one_outside_their_region(
        browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    cora.goto(f"{site}/people/add")
    with cora.expect_navigation() as posted:
        cora.get_by_role("button", name="Add the person").click()
    assert posted.value.status == 422
    accessible(cora)
    said = cora.inner_text(".govuk-error-summary")
    assert "Enter the person's name" in said and "Choose a role" in said
    assert cora.get_by_role("radio", name="Inspector").count() == 0  # not hers to give
    cora.fill("#name", "Sam Southern")
    cora.fill("#email", "sam@southshire.example")
    cora.get_by_role("radio", name="Council liaison").check()
    cora.evaluate("""() => { const o = new Option('Southshire District Council',
        'Southshire District Council', true, true); document.querySelector('#authority').add(o); }""")
    submit(cora, "Add the person")
    assert "Choose a council in your region" in cora.inner_text(".govuk-error-summary")
    cora.goto(f"{site}/people")
    listed = cora.inner_text("main")
    assert "Sam Southern" not in listed and "lia" in listed and "ines" not in listed
    assert cora.goto(f"{site}/people/ines").status == 403
    assert cora.goto(f"{site}/people/nobody-at-all").status == 404
