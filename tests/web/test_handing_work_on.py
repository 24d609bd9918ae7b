"""Handing work on in the pages: several cases chosen on My work go to a colleague in one
decision, after checking the answers; an admin deactivating an owner of open cases is
asked who takes them. Axe on every page of the journey."""

import re

import httpx

from tests.helpers import OPEN_CASE
from tests.web.browser import accessible, fits, plain_words, sign_in, visit
from tests.web.conftest import BOTH_STORES
from tests.web.test_sessions import _sign_in

CORA = dict(actor_id="cora", actor_role="coordinator")


def _checked(page) -> None:
    """Axe finds nothing; no code word or bare username is read; it fits a phone."""
    accessible(page)
    assert plain_words(page, usernames=["carl"]) == []  # (cora has no name to show)
    fits(page)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _colleague(web_identity) -> None:
    web_identity.register_user(username="carl", name="Carl Cooper", role="coordinator",
                               region=OPEN_CASE["region"])


@BOTH_STORES
def test_a_coordinator_reassigns_three_cases_in_one_go(browser, site, people, web_cases,
                                                       web_identity):
    _colleague(web_identity)
    ids = [web_cases.open_case(**OPEN_CASE, **CORA) for _ in range(3)]
    kept = web_cases.open_case(**OPEN_CASE, **CORA)
    page = browser.new_context().new_page()
    sign_in(page, site, people["coordinator"])
    visit(page, f"{site}/my-work")
    for case_id in ids:
        page.locator(f"input[name=case][value^='{case_id}:']").check()
    page.get_by_role("button", name="Reassign selected").click()
    _checked(page)
    chosen = page.locator("#chosen-cases li").all_inner_texts()
    assert len(set(chosen)) == 3  # one council's three cases, each told apart by reference
    assert all(web_cases.get_case(i)["reference"] in " ".join(chosen) for i in ids)

    page.get_by_role("button", name="Continue").click()  # nothing chosen yet
    _checked(page)
    assert "Choose the coordinator who takes the cases" in page.inner_text(
        ".govuk-error-summary")
    page.get_by_label("New owner").select_option("carl")
    assert "Carl Cooper" in page.inner_text("#to_owner")
    page.fill("#reason", "Cora has left the RIEP")
    page.get_by_role("button", name="Continue").click()
    _checked(page)
    assert "Check your answers" in page.inner_text("h1")
    assert "Carl Cooper" in page.inner_text(".govuk-summary-list")
    page.get_by_role("button", name="Confirm and reassign 3 cases").click()
    _checked(page)
    banner = page.inner_text(".govuk-notification-banner")
    assert "3 cases are now owned by Carl Cooper" in banner
    assert page.locator("#cases-moved li").count() == 3
    assert [web_cases.get_case(i)["owner"] for i in ids] == ["carl"] * 3
    assert web_cases.get_case(kept)["owner"] == "cora"
    for case_id in ids:
        (moved,) = [e for e in web_cases.history(case_id) if e["type"] == "CaseReassigned"]
        assert moved["data"]["reason"] == "Cora has left the RIEP"


def test_a_case_changed_since_my_work_was_shown_moves_nothing(site, people, web_cases,
                                                              web_identity):
    _colleague(web_identity)
    ids = [web_cases.open_case(**OPEN_CASE, **CORA) for _ in range(2)]
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["coordinator"])
        chosen = client.get("/my-work/handing-on",
                            params=[("case", f"{i}:1") for i in ids]).text
        web_cases.record_diagnosis(ids[1], summary="Weak grip", **CORA)
        refused = client.post("/my-work/handing-on", data={
            "csrf_token": _csrf(chosen), "case": [f"{i}:1" for i in ids], "to_owner": "carl",
            "reason": "Leave", "confirmed": "yes"})
        assert refused.status_code == 409, refused.text
        assert "Northshire County Council" in refused.text
    assert [web_cases.get_case(i)["owner"] for i in ids] == ["cora", "cora"]


def test_all_of_a_colleagues_open_cases_are_offered_from_my_work(site, people, web_cases,
                                                                 web_identity):
    _colleague(web_identity)
    carls = [web_cases.open_case(**OPEN_CASE, **CORA, owner="carl") for _ in range(2)]
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["coordinator"])
        assert "Reassign all open cases owned by" in client.get("/my-work").text
        chosen = client.get("/my-work/handing-on", params={"from_owner": "carl"}).text
        assert re.search(r"Hand on (Carl Cooper|carl)(&#39;|')s open cases", chosen), chosen
        form = {"csrf_token": _csrf(chosen), "from_owner": "carl",
                "case": re.findall(r'name="case" value="([^"]+)"', chosen),
                "to_owner": "cora", "reason": "Carl has left"}
        checked = client.post("/my-work/handing-on", data=form)
        assert "Confirm and reassign 2 cases" in checked.text
        done = client.post("/my-work/handing-on", data={**form, "confirmed": "yes"})
        assert done.status_code == 303
    assert [web_cases.get_case(i)["owner"] for i in carls] == ["cora", "cora"]


def test_deactivating_an_owner_asks_who_takes_their_cases_first(site, web_cases,
                                                               web_identity, people):
    _colleague(web_identity)
    web_identity.register_user(username="ada", role="admin")
    web_identity.register_user(username="sam", role="coordinator", region="South East")
    web_cases.open_case(**{**OPEN_CASE, "region": "South East",
                           "authority": "Southshire District Council"}, actor_id="sam",
                        actor_role="coordinator")
    token = web_identity.issue_token("ada")
    ids = [web_cases.open_case(**OPEN_CASE, **CORA) for _ in range(2)]
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, token)
        stuck = client.get("/people/sam/deactivate").text  # no one else of the South East
        assert "No other coordinator of South East can take them yet" in stuck
        assert "Hand on their cases and deactivate them" not in stuck  # not a dead end
        asked = client.get("/people/cora/deactivate").text
        assert "They own 2 open cases" in asked and "Carl Cooper" in asked
        for case_id in ids:  # which two, told apart by reference (both are one council's)
            assert web_cases.get_case(case_id)["reference"] in asked
        form = {"csrf_token": _csrf(asked),
                "case": re.findall(r'name="case" value="([^"]+)"', asked)}
        unanswered = client.post("/people/cora/deactivate", data=form)
        assert unanswered.status_code == 422
        assert "Choose the coordinator who takes the cases" in unanswered.text
        assert web_identity.user("cora")["active"]
        done = client.post("/people/cora/deactivate",
                           data={**form, "to_owner": "carl", "reason": "Cora has left"})
        assert done.status_code == 303, done.text
        banner = client.get(done.headers["location"]).text
        assert '<h3 class="govuk-notification-banner__heading">' in banner  # not its markup
        assert "is deactivated</h3>" in banner and "&lt;h3" not in banner
        assert client.get("/people/nobody/deactivate").status_code == 404
        pete = client.get("/people/pete/deactivate").text  # a peer: simply confirmed
        assert "open case" not in pete
        assert client.post("/people/pete/deactivate",
                           data={"csrf_token": _csrf(pete)}).status_code == 303
    assert not web_identity.user("cora")["active"]
    assert not web_identity.user("pete")["active"]
    assert [web_cases.get_case(i)["owner"] for i in ids] == ["carl", "carl"]
