"""Each role's work done in a real browser, with axe-core on every page they see."""

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from tests.support_registers import seed_registers
from tests.web.browser import accessible, sign_in, visit

PLAN_ACTION = {"description": "Interim director of children's services",
               "owner": "Chief executive", "provider": "the national improvement body",
               "due": "2027-03-31", "measure": "Ofsted monitoring visit finds progress"}


def open_case(page, site: str) -> str:
    visit(page, f"{site}/my-work")
    page.get_by_role("button", name="Open a case").click()
    accessible(page)
    choose_council(page, "North", "Northshire County Council")
    page.fill("#summary", "Children's services judged inadequate")
    page.get_by_label("Inspectorate report").check()
    page.get_by_label("Service-specific issue").check()
    page.get_by_role("button", name="Open the case").click()
    accessible(page)
    assert "Done: the case is open" in page.inner_text(".govuk-notification-banner")
    return page.url.split("?")[0]


TASK_LINKS = {"Record diagnosis": "Record the diagnosis",
              "Draft support plan": "Draft the support plan",
              "Agree support plan": "Agree the support plan",
              "Review progress": "Review progress against the plan",
              "Close case": "Close the case", "Reopen case": "Reopen the case"}
"""The commands the case page's task list links to, by the task's own words."""


def choose_council(page, typed: str, council: str) -> None:
    """Type part of the council's name and choose it from the suggestions (once the script
    has turned the list into a type-ahead: a busy machine may still be loading it)."""
    page.locator(".autocomplete__wrapper").wait_for()
    page.get_by_label("Council", exact=True).fill(typed)
    page.get_by_role("option", name=council).click()


def do(page, case_url: str, action: str) -> None:
    """Follow the case page's link for a command to its form: a step of its task list, or
    one of the other actions behind "Other actions"."""
    page.goto(case_url)
    link = page.get_by_role("link", name=TASK_LINKS.get(action, action), exact=True)
    if not link.is_visible():
        page.locator("#other-actions summary").click()
    link.click()
    accessible(page)


def submit(page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    accessible(page)


def recorded(page, button: str) -> None:
    """Submit a command's form and see it recorded: no error summary comes back."""
    submit(page, button)
    assert page.locator(".govuk-error-summary").count() == 0, page.inner_text("main")[:500]


def record_diagnosis(page, case_url: str) -> None:
    do(page, case_url, "Record diagnosis")
    page.fill("#summary", "Weak corporate capacity and unstable leadership")
    page.get_by_label("Capacity").check()
    page.get_by_label("Political").check()
    submit(page, "Record diagnosis")


def draft_plan(page, case_url: str, **changes: str) -> None:
    do(page, case_url, "Draft support plan")
    page.fill("#summary", "Stabilise leadership, then rebuild capacity")
    for name, value in {**PLAN_ACTION, **changes}.items():
        if name == "due":
            fill_date(page, "actions-0-due", value)
        else:
            page.fill(f"#actions-0-{name}", value)
    page.get_by_label("adam, improvement adviser").check()
    submit(page, "Draft support plan")


def fill_date(page, element_id: str, iso: str) -> None:
    """Type a date (2027-03-31) into the day, month and year boxes of a date field."""
    year, month, day = iso.split("-")
    for part, value in (("day", day), ("month", month), ("year", year)):
        page.fill(f"#{element_id}-{part}", value)


def deploy_pete(cora, case_url: str, peer_id: object) -> None:
    """The coordinator deploys the accredited peer, with pete's account to record visits."""
    do(cora, case_url, "Deploy peer")
    cora.get_by_label("Pete Peer, officer, Eastshire County Council", exact=False).check()
    cora.fill("#days", "2")
    cora.get_by_label("pete, peer").check()
    cora.fill("#role", "councillor peer")
    cora.fill("#reason", "Experienced leader, no conflict")
    submit(cora, "Continue")  # then check the answers before they are recorded
    recorded(cora, "Confirm and deploy peer")


def test_a_case_from_concern_to_peer_visit_and_a_verified_export(browser, site, people,
                                                                 tmp_path: Path, web_settings):
    peer_id = seed_registers(web_settings.eventsourcing_env())["peer"]
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    record_diagnosis(cora, case_url)
    assert "Weak corporate capacity" in cora.inner_text("main")
    draft_plan(cora, case_url)
    assert "Stabilise leadership" in cora.inner_text("#plan ~ p")

    # The council's liaison sees their council's case and may only speak for the council.
    lia = browser.new_context().new_page()
    sign_in(lia, site, people["liaison"])
    accessible(lia)
    lia.get_by_role("link", name="Northshire County Council").click()
    accessible(lia)
    tasks = [t.strip() for t in lia.locator(".govuk-task-list__link").all_inner_texts()]
    assert tasks == ["Agree the support plan"]
    others = lia.locator("#other-action-links a").all_text_contents()
    assert others == ["Acknowledge need", "Decline support", "Attach a document"]
    do(lia, case_url, "Agree support plan")
    lia.fill("#reason", "The cabinet accepts the plan")
    recorded(lia, "Agree support plan")
    assert "agreed" in lia.inner_text("#plan ~ p")

    # The coordinator deploys a peer; the peer records a visit on their own deployment.
    deploy_pete(cora, case_url, peer_id)

    pete = browser.new_context().new_page()
    sign_in(pete, site, people["peer"])
    accessible(pete)
    pete.get_by_role("link", name="Northshire County Council").click()
    accessible(pete)
    assert pete.locator("#other-action-links a").all_inner_texts() == [
        "Record peer visit", "Attach a document"]
    do(pete, case_url, "Record peer visit")
    assert pete.get_by_label("Pete Peer, councillor peer", exact=False).is_checked()
    for part, value in (("day", "20"), ("month", "11"), ("year", "2026"), ("hour", "10"),
                        ("minute", "00")):
        pete.fill(f"#visited-at-{part}", value)
    pete.fill("#notes", "Met the leader and the chief executive")
    recorded(pete, "Record peer visit")
    assert "Met the leader" in pete.inner_text("#people ~ .app-table-scroll table")

    # The inspector reads, as of last week and today, verifies and downloads; no forms.
    ines = browser.new_context().new_page()
    sign_in(ines, site, people["inspector"])
    visit(ines, case_url)
    assert ines.locator("form[method=post]:not([action='/sign-out'])").count() == 0
    assert "History verified" in ines.inner_text("#verification")
    ines.fill("#as-of", (date.today() - timedelta(days=7)).isoformat())
    submit(ines, "Show the case on that date")
    assert "held no record of this case" in ines.inner_text("#before-case")
    assert ines.locator(".moj-timeline__item").count() == 0
    ines.fill("#as-of", date.today().isoformat())
    submit(ines, "Show the case on that date")
    titles = ines.locator(".moj-timeline__title").all_inner_texts()
    assert titles[-1] == ("Cora, regional coordinator, North West, raised a concern about "
                          "Northshire County Council")
    assert any(t.startswith("Pete, peer, recorded a visit by") for t in titles), titles
    assert not any("Recorded" in t or "version" in t for t in titles), titles
    with ines.expect_download() as downloading:
        ines.get_by_role("link", name="JSON Lines", exact=False).click()
    saved = tmp_path / "case.jsonl"
    downloading.value.save_as(saved)
    check = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(saved)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_stale_form_and_an_invalid_field_each_show_the_error_summary(browser, site, people):
    page = browser.new_context().new_page()
    sign_in(page, site, people["coordinator"])
    case_url = open_case(page, site)
    do(page, case_url, "Record diagnosis")  # read at version 1

    other = page.context.new_page()
    do(other, case_url, "Add intelligence")
    other.fill("#content", "Two senior officers resigned this month")
    other.fill("#source", "Chief executive of a neighbouring council")
    submit(other, "Add intelligence")

    page.fill("#summary", "Weak corporate capacity")
    submit(page, "Record diagnosis")
    summary = page.inner_text(".govuk-error-summary")
    assert "Cora added intelligence since you opened this form. Check what changed and " \
        "submit again" in summary
    assert "version" not in summary and "stale_version" not in summary
    assert "Cora, regional coordinator, North West, added intelligence" in page.inner_text(
        "#expected-version")
    submit(page, "Record diagnosis")  # having seen what changed, submit again
    assert "Done: the diagnosis is recorded" in page.inner_text(".govuk-notification-banner")

    draft_plan(page, case_url, due="2027-02-30")
    summary = page.inner_text(".govuk-error-summary")
    assert "must be a real date" in summary and "actions.0.due" not in summary
    page.get_by_role("link", name="must be a real date", exact=False).click()
    assert page.evaluate("document.activeElement.id") == "actions-0-due-day"
    assert page.input_value("#actions-0-description") == PLAN_ACTION["description"]


def test_a_form_someone_may_not_make_is_not_offered_and_refused_if_posted(browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)

    lia = browser.new_context().new_page()
    sign_in(lia, site, people["liaison"])
    visit(lia, case_url)
    assert lia.get_by_role("link", name="Record diagnosis").count() == 0
    assert lia.goto(f"{case_url}/do/diagnosis").status == 403
    csrf = lia.goto(f"{case_url}/do/plan/agreement") and lia.get_attribute(
        "input[name=csrf_token]", "value")
    answer = lia.request.post(f"{case_url}/do/diagnosis", form={
        "csrf_token": csrf, "expected_version": "1", "summary": "Not theirs to record"})
    assert answer.status == 403
    no_csrf = cora.request.post(f"{case_url}/do/diagnosis", form={
        "expected_version": "1", "summary": "Forged from another site"})
    assert no_csrf.status == 403
    cora.goto(case_url)
    assert cora.locator(".moj-timeline__title").all_inner_texts() == [
        "Cora, regional coordinator, North West, raised a concern about Northshire County "
        "Council"]


def test_signing_out_ends_the_session(browser, site, people):
    page = browser.new_context().new_page()
    sign_in(page, site, people["inspector"])
    cookie = next(c for c in page.context.cookies() if c["name"] == "casework_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    assert "/sign-in" in page.url
    accessible(page)
    # The old cookie is worth nothing now.
    page.context.add_cookies([{**cookie}])
    page.goto(f"{site}/my-work")
    assert "/sign-in" in page.url


def press_until(page, text: str, *, limit: int = 150) -> None:
    """Tab forward until the focused element shows `text`, then press Enter: no mouse."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("(document.activeElement.innerText || document.activeElement"
                                ".value || '').trim()")
        if focused == text:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError(f"no focusable {text!r} reached by Tab on {page.url}")


def tab_to(page, element_id: str, *, limit: int = 150) -> None:
    """Tab forward until the field with this id has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} never reached by Tab on {page.url}")


def a_drafted_plan(browser, site: str, people) -> tuple[object, str]:
    """The coordinator's page and a case with its diagnosis and a drafted plan."""
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    record_diagnosis(cora, case_url)
    draft_plan(cora, case_url)
    return cora, case_url


def test_the_liaison_agrees_a_plan_with_the_keyboard_alone(browser, site, people):
    _cora, case_url = a_drafted_plan(browser, site, people)

    lia = keyboard_sign_in(browser, site, people["liaison"])
    assert lia.url.endswith("/my-work")
    press_until(lia, "Northshire County Council")
    accessible(lia)
    press_until(lia, "Agree the support plan")
    accessible(lia)
    tab_to(lia, "reason")
    lia.keyboard.type("The cabinet accepts the plan")
    press_until(lia, "Agree support plan")
    assert "Done: the support plan is agreed" in lia.inner_text(".govuk-notification-banner")


def test_a_chatham_house_source_is_withheld_from_the_inspector_as_the_api_withholds_it(
        browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    source = "Chief executive of a neighbouring council"
    do(cora, case_url, "Add intelligence")
    cora.fill("#content", "Two senior officers resigned this month")
    cora.fill("#source", source)
    cora.get_by_label("Chatham House").check()
    submit(cora, "Add intelligence")
    assert source in cora.inner_text("#intelligence ~ .app-table-scroll table")

    ines = browser.new_context().new_page()
    sign_in(ines, site, people["inspector"])
    visit(ines, case_url)
    api = httpx.get(f"{site}/cases/{case_url.rsplit('/', 1)[1]}",
                    headers={"Authorization": f"Bearer {people['inspector']}"}).json()
    withheld = api["intelligence"][0]["source"]
    assert withheld != source
    assert withheld in ines.inner_text("#intelligence ~ .app-table-scroll table")
    assert source not in ines.content()
    with ines.expect_download() as downloading:
        ines.get_by_role("link", name="CSV", exact=False).click()
    assert source not in open(downloading.value.path()).read()


def test_a_coordinator_opens_a_case_and_records_a_diagnosis_with_the_keyboard_alone(
        browser, site, people):
    page = keyboard_sign_in(browser, site, people["coordinator"])
    press_until(page, "Open a case")
    tab_to(page, "authority")
    page.keyboard.type("Northshire County Council")
    tab_to(page, "summary")
    page.keyboard.type("Children's services judged inadequate")
    for group in ("source", "issue-type"):
        tab_to(page, group)
        page.keyboard.press("Space")  # the first choice in the group
    press_until(page, "Open the case")
    assert "Done: the case is open" in page.inner_text(".govuk-notification-banner")
    press_until(page, "Record the diagnosis")
    tab_to(page, "summary")
    page.keyboard.type("Weak corporate capacity")
    tab_to(page, "problem-natures")
    page.keyboard.press("Space")
    press_until(page, "Record diagnosis")
    assert "Done: the diagnosis is recorded" in page.inner_text(".govuk-notification-banner")
    assert "Weak corporate capacity" in page.inner_text("main")
    accessible(page)


def type_moment(page, when: date) -> None:
    """Type a date (and a time, for a datetime) into the focused date field, in the order
    the browser's locale shows its parts: a person types what they see."""
    order = page.evaluate("""() => new Intl.DateTimeFormat(undefined,
        {year: 'numeric', month: '2-digit', day: '2-digit'}).formatToParts(new Date())
        .map(p => p.type).filter(t => ['day', 'month', 'year'].includes(t))""")
    parts = {"day": f"{when.day:02}", "month": f"{when.month:02}", "year": f"{when.year}"}
    page.keyboard.type("".join(parts[p] for p in order))
    if isinstance(when, datetime):
        hour12 = page.evaluate("new Intl.DateTimeFormat(undefined, {hour: 'numeric'})"
                               ".resolvedOptions().hour12")
        page.keyboard.press("Tab")
        hour = (when.hour % 12 or 12) if hour12 else when.hour
        page.keyboard.type(f"{hour:02}{when.minute:02}"
                           + (("PM" if when.hour >= 12 else "AM") if hour12 else ""))


def keyboard_sign_in(browser, site: str, token: str):
    """A page signed in by typing the token and pressing Enter."""
    page = browser.new_context().new_page()
    page.goto(f"{site}/sign-in")
    tab_to(page, "sign-in-with-a-token")
    page.keyboard.press("Enter")  # opens "Sign in with a token"
    tab_to(page, "token")
    page.keyboard.type(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


def test_a_peer_records_a_visit_with_the_keyboard_alone(browser, site, people, web_settings):
    peer_id = seed_registers(web_settings.eventsourcing_env())["peer"]
    cora, case_url = a_drafted_plan(browser, site, people)
    lia = browser.new_context().new_page()
    sign_in(lia, site, people["liaison"])
    do(lia, case_url, "Agree support plan")
    lia.fill("#reason", "The cabinet accepts the plan")
    recorded(lia, "Agree support plan")
    deploy_pete(cora, case_url, peer_id)

    pete = keyboard_sign_in(browser, site, people["peer"])
    press_until(pete, "Northshire County Council")
    press_until(pete, "Record peer visit")
    tab_to(pete, "visited-at-day")  # their one deployment is chosen for them
    for box in ("20", "11", "2026", "10", "00"):  # day, month, year, hour, minute
        pete.keyboard.type(box)
        pete.keyboard.press("Tab")
    tab_to(pete, "notes")
    pete.keyboard.type("Met the leader and the chief executive")
    press_until(pete, "Record peer visit")
    assert "Done: the peer visit is recorded" in pete.inner_text(".govuk-notification-banner")
    assert "Met the leader" in pete.inner_text("#people ~ .app-table-scroll table")
    accessible(pete)


def test_an_inspector_reads_as_of_a_date_and_downloads_with_the_keyboard_alone(
        browser, site, people, tmp_path: Path):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)

    ines = keyboard_sign_in(browser, site, people["inspector"])
    ines.goto(case_url)  # an address typed or followed from elsewhere
    last_week = date.today() - timedelta(days=7)
    tab_to(ines, "as-of")
    type_moment(ines, last_week)
    assert ines.input_value("#as-of") == last_week.isoformat()
    press_until(ines, "Show the case on that date")
    assert "held no record of this case" in ines.inner_text("#before-case")
    accessible(ines)
    for _ in range(150):
        ines.keyboard.press("Tab")
        if ines.evaluate("document.activeElement.innerText || ''").startswith("JSON Lines"):
            break
    with ines.expect_download() as downloading:
        ines.keyboard.press("Enter")
    saved = tmp_path / "case.jsonl"
    downloading.value.save_as(saved)
    check = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(saved)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
