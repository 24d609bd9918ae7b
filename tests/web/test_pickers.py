"""People and records chosen by name, never typed as ids, in a real browser."""

import re
from uuid import UUID

from tests.support_registers import PEER
from tests.web.browser import accessible, sign_in, visit
from tests.web.test_journeys import (
    do,
    open_case,
    record_diagnosis,
    recorded,
    submit,
    tab_to,
)

AN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-|deployment-\d|commission-\d")


def no_ids(text: str) -> None:
    """No UUID and no record code word in what a person reads."""
    assert not AN_ID.search(text), AN_ID.search(text)


def an_agreed_plan(browser, site, people, web_cases) -> tuple[object, str]:
    """The coordinator's page and a case whose plan the council has agreed."""
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    record_diagnosis(cora, case_url)
    case_id = UUID(case_url.rsplit("/", 1)[1])
    web_cases.draft_plan(case_id, summary="Stabilise", adviser_id="adam", actions=[{
        "description": "Interim director", "owner": "Chief executive", "provider": "IDeA",
        "due": "2027-03-31", "measure": "Director in post"}], actor_id="cora",
        actor_role="coordinator")
    web_cases.agree_plan(case_id, reason="Agreed", actor_id="lia",
                         actor_role="authority liaison")
    return cora, case_url


def test_the_council_is_typed_in_part_and_only_the_coordinators_region_is_offered(
        browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    visit(cora, f"{site}/new-case")
    cora.locator(".autocomplete__wrapper").wait_for()  # the list turned into a type-ahead
    cora.get_by_label("Council", exact=True).fill("shire")
    offered = cora.get_by_role("option").all_inner_texts()
    accessible(cora)  # with the suggestions open
    assert offered == ["Northshire County Council"]  # Southshire is in the South East
    assert cora.get_by_label("Region", exact=True).count() == 0  # it follows the council
    no_ids(cora.inner_text("body"))


def test_without_javascript_the_council_is_chosen_from_a_plain_list(browser, site, people):
    cora = browser.new_context(java_script_enabled=False).new_page()
    sign_in(cora, site, people["coordinator"])
    cora.goto(f"{site}/new-case")
    # (axe, a script, cannot run here: it runs on this page with JavaScript on, above.)
    council = cora.get_by_label("Council", exact=True)
    assert council.locator("option").all_inner_texts() == ["Choose", "Northshire County Council"]
    council.select_option("Northshire County Council")
    cora.fill("#summary", "Children's services judged inadequate")
    cora.get_by_label("Inspectorate report").check()
    cora.get_by_label("Service-specific issue").check()
    cora.get_by_role("button", name="Open the case").click()
    assert "Done: the case is open" in cora.inner_text(".govuk-notification-banner")
    assert "North West" in cora.inner_text("main")


def test_a_peer_is_deployed_by_name_and_a_peer_of_the_cases_own_council_is_not_offered(
        browser, site, people, web_cases, registers):
    cora, case_url = an_agreed_plan(browser, site, people, web_cases)
    do(cora, case_url, "Deploy peer")
    assert "Pat Peer works for Northshire County Council, the council this case supports" \
        in cora.inner_text("main")
    assert cora.get_by_label("Pat Peer", exact=False).count() == 0
    pete = cora.get_by_label(f"{PEER[0]}, officer, {PEER[1]}, 10 days left")
    no_ids(cora.inner_text("body"))

    # A value no one was offered (Pat's id, posted by hand) is refused in plain words.
    pat = next(p for p in registers.list_peers() if p["name"] == "Pat Peer")
    pete.evaluate("(e, id) => e.value = id", str(pat["id"]))
    pete.check()
    cora.fill("#days", "2")
    cora.fill("#role", "officer peer")
    cora.fill("#reason", "Experienced leader")
    submit(cora, "Continue")
    assert "Choose peer from the list" in cora.inner_text(".govuk-error-summary")
    assert web_cases.get_case(UUID(case_url.rsplit("/", 1)[1]))["deployments"] == {}

    cora.get_by_label(f"{PEER[0]}, officer", exact=False).check()
    submit(cora, "Continue")  # then check the answers before they are recorded
    recorded(cora, "Confirm and deploy peer")
    table = cora.inner_text("#people ~ .app-table-scroll table")
    assert f"{PEER[0]}\t{PEER[1]}\tOfficer peer\tActive" in table  # values, capitalised
    no_ids(table)


def test_a_deployment_and_a_commission_are_ended_by_choosing_them(
        browser, site, people, web_cases, registers):
    cora, case_url = an_agreed_plan(browser, site, people, web_cases)
    case_id = UUID(case_url.rsplit("/", 1)[1])
    seeded = registers.seeded  # type: ignore[attr-defined]
    web_cases.deploy_peer(case_id, peer_id=seeded["peer"], days=2, role="officer peer",
                          reason="Experienced", actor_id="cora", actor_role="coordinator")
    do(cora, case_url, "Commission support")
    cora.get_by_label("Leadership mentoring, the national improvement body, 100 days left"
                      ).check()
    cora.fill("#days", "2")
    cora.get_by_label("Capacity").check()
    cora.fill("#reason", "Matches the capacity problems diagnosed")
    submit(cora, "Continue")
    recorded(cora, "Confirm and commission support")

    visit(cora, case_url)
    cora.get_by_role("link", name=f"End the deployment of {PEER[0]}").click()
    accessible(cora)
    assert cora.get_by_label(f"{PEER[0]}, officer peer, {PEER[1]}").is_checked()
    no_ids(cora.inner_text("body"))
    cora.fill("#reason", "Mentoring complete")
    recorded(cora, "End peer deployment")

    do(cora, case_url, "End commission")
    cora.get_by_label("Leadership mentoring, the national improvement body").check()
    no_ids(cora.inner_text("body"))
    cora.fill("#reason", "Sessions delivered")
    recorded(cora, "End commission")
    tables = cora.inner_text("#people ~ .app-table-scroll table") + cora.locator("table").nth(1).inner_text()
    assert "active" not in tables.lower()
    assert "Ended" in tables  # a status reads as a value, with a capital
    no_ids(tables)


def test_a_peer_deployed_from_the_matches_sees_the_case_and_records_a_visit_by_name(
        browser, site, people, web_cases, registers):
    peer_id = registers.seeded["peer"]  # type: ignore[attr-defined]
    registers.link_peer_account(peer_id, account="pete", actor_id="cora")
    cora, case_url = an_agreed_plan(browser, site, people, web_cases)
    visit(cora, f"{case_url}/support-matches")
    no_ids(cora.inner_text("body"))
    assert "sees the case through their account" in cora.inner_text("main")
    cora.get_by_role("button", name=f"Deploy {PEER[0]}").click()
    assert "Done: deployed" in cora.inner_text(".govuk-notification-banner")

    pete = browser.new_context().new_page()
    sign_in(pete, site, people["peer"])
    pete.get_by_role("link", name="Northshire County Council").click()
    do(pete, case_url, "Record peer visit")
    no_ids(pete.inner_text("body"))
    tab_to(pete, "visited-at-day")  # their one deployment is chosen for them
    for box in ("20", "11", "2026", "10", "00"):  # day, month, year, hour, minute
        pete.keyboard.type(box)
        pete.keyboard.press("Tab")
    pete.fill("#notes", "Met the leader")
    recorded(pete, "Record peer visit")
    assert "Met the leader" in pete.inner_text("#people ~ .app-table-scroll table")


def test_confidential_access_is_granted_and_revoked_by_choosing_the_person(
        browser, site, people, web_cases):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    case_url = open_case(cora, site)
    do(cora, case_url, "Grant confidential access")
    offered = cora.locator("label.govuk-radios__label").all_inner_texts()
    assert offered == ["adam, improvement adviser", "ines, inspector"]
    cora.get_by_label("ines, inspector").check()
    cora.fill("#reason", "Joins the review")
    recorded(cora, "Grant confidential access")

    do(cora, case_url, "Grant confidential access")
    assert cora.locator("label.govuk-radios__label").all_inner_texts() == [
        "adam, improvement adviser"]  # ines has it already
    do(cora, case_url, "Revoke confidential access")
    assert cora.get_by_label("ines, inspector").is_checked()  # the one granted
    cora.fill("#reason", "The review is over")
    recorded(cora, "Revoke confidential access")
    case_id = UUID(case_url.rsplit("/", 1)[1])
    assert web_cases.get_case(case_id)["confidential_access"] == {}


def test_more_than_five_peers_are_offered_as_a_list_chosen_by_name(
        browser, site, people, web_cases, registers):
    for n in range(1, 6):
        registers.accredit_peer(name=f"Peer {n}", role="councillor", council=PEER[1],
                                problem_natures=["capacity"], service_areas=["finance"],
                                days_per_quarter=3, actor_id="cora")
    cora, case_url = an_agreed_plan(browser, site, people, web_cases)
    do(cora, case_url, "Deploy peer")
    peer = cora.get_by_label("Peer", exact=True)
    assert peer.locator("option").count() == 7  # "Choose" and six peers; Pat left out
    peer.select_option(label=f"Peer 3, councillor, {PEER[1]}, 3 days left")
    cora.fill("#days", "1")
    cora.fill("#role", "member peer")
    cora.fill("#reason", "Led a similar recovery")
    submit(cora, "Continue")  # then check the answers before they are recorded
    recorded(cora, "Confirm and deploy peer")
    assert "Peer 3\t" in cora.inner_text("#people ~ .app-table-scroll table")
