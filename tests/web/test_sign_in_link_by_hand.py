"""On a fresh `make run` email is not set up: the sign-in link is shown to the administrator
who made it, once, to pass on, and it lets the new person in like an emailed one. A
coordinator is not shown it (domain/identity.py `may_hold_keys_for_others`)."""

from tests.web.browser import accessible, sign_in
from tests.web.test_journeys import submit
from tests.web.test_people_pages import _follow


def test_with_no_email_set_up_the_link_is_handed_over_once_and_lets_the_person_in(
        browser, site, people, web_identity):
    web_identity.register_user(username="alan", role="admin", name="Alan Admin")
    cora = browser.new_context().new_page()  # an administrator, here
    sign_in(cora, site, web_identity.issue_token("alan"))
    cora.goto(f"{site}/people")
    cora.get_by_role("button", name="Add a person").click()
    cora.fill("#name", "Lena Liaison")
    cora.fill("#email", "lena@northshire.example")
    cora.get_by_role("radio", name="Council liaison").check()
    cora.select_option("#authority", "Northshire County Council")
    submit(cora, "Add the person")
    submit(cora, "Send a sign-in link")
    accessible(cora)
    assert "email is not set up" in cora.inner_text("main")
    # Not a panel (those are for finished transactions): a banner saying what is left to do
    assert cora.locator(".govuk-panel").count() == 0
    assert "Give Lena Liaison this sign-in link yourself" in cora.inner_text(
        ".govuk-notification-banner")
    link = cora.inner_text("#handed-link")
    assert "/sign-in/link/" in link
    assert cora.url.endswith("/sign-in-link")  # the answer to the press, not an address
    again = cora.goto(cora.url.removesuffix("/sign-in-link"))  # the person's page again
    assert again.status == 200 and cora.locator("#handed-link").count() == 0  # shown once

    lena = _follow(browser, link)
    assert lena.url.endswith("/my-work"), lena.url
    assert _follow(browser, link).pressed_status == 403  # once only
    [lena_account] = [u for u in web_identity.users() if u["name"] == "Lena Liaison"]
    assert lena_account["last_signed_in"]


def test_with_no_email_set_up_a_coordinator_is_told_to_ask_an_administrator(
        browser, site, people, web_identity):
    web_identity.register_user(username="lena", role="authority liaison", name="Lena Liaison",
                               authority="Northshire County Council", email="lena@ns.example")
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    cora.goto(f"{site}/people/lena")
    submit(cora, "Send a sign-in link")
    assert "Ask an administrator" in cora.inner_text("main")
    assert cora.locator("#handed-link").count() == 0
    assert "/sign-in/link/" not in cora.content()


def test_for_a_person_with_no_email_address_the_button_says_the_link_is_to_give_them(
        browser, site, people, web_identity):
    web_identity.register_user(username="alan", role="admin", name="Alan Admin")
    cora = browser.new_context().new_page()  # an administrator, who may hand it over
    sign_in(cora, site, web_identity.issue_token("alan"))
    cora.goto(f"{site}/people/lia")  # added at the command line, with no address
    assert cora.get_by_role("button", name="Send a sign-in link").count() == 0
    submit(cora, "Make a sign-in link to give them")
    accessible(cora)
    assert "/sign-in/link/" in cora.inner_text("#handed-link")
