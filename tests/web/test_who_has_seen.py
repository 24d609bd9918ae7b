"""Who has seen a case, in the pages: an inspector reads on the case's page who looked at it,
by name and role, in plain words; a council liaison is not shown the section nor its page;
each person finds their own looks and searches from their account page."""

import httpx
import pytest

from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE
from tests.web.browser import accessible, fits, plain_words, sign_in
from tests.web.conftest import BOTH_STORES, register_people

NAMED = {"coordinator": dict(username="carla", role="coordinator", region="North West",
                             name="Carla Coates"),
         "inspector": dict(username="iris", role="inspector", name="Iris Ingram")}


@pytest.fixture
def named(web_identity) -> dict[str, str]:
    """People with names, as a page should name them."""
    return register_people(web_identity, NAMED)


@pytest.fixture
def case_id(site: str, named: dict[str, str]) -> str:
    with httpx.Client(base_url=site, timeout=30) as api:
        opened = api.post("/cases", json=OPEN_CASE, headers=bearer(named["coordinator"]))
        assert opened.status_code == 201, opened.text
        return str(opened.json()["id"])


@BOTH_STORES
def test_an_inspector_sees_who_has_seen_the_case_by_name_in_plain_words(
        browser, site, named, case_id):
    carla = browser.new_page()
    sign_in(carla, site, named["coordinator"])
    carla.goto(f"{site}/case/{case_id}")
    with httpx.Client(base_url=site, timeout=30) as api:
        assert api.get(f"/cases/{case_id}/history",
                       headers=bearer(named["coordinator"])).status_code == 200
    iris = browser.new_page()
    sign_in(iris, site, named["inspector"])
    iris.goto(f"{site}/case/{case_id}")
    rows = iris.locator("#seen-by-table tbody tr")
    assert rows.count() == 2
    assert "Carla Coates" in rows.nth(0).inner_text()
    assert "Regional coordinator" in rows.nth(0).inner_text()
    assert "Read the case's history" in rows.nth(0).inner_text()
    assert "Through the API" in rows.nth(0).inner_text()
    assert "Opened the case's page" in rows.nth(1).inner_text()
    assert "On a page" in rows.nth(1).inner_text()
    assert plain_words(iris, usernames=["carla", "iris"]) == []
    assert iris.inner_text("#as-of-hint") == "The day, for example 3 March 2027"  # not 2027-03-03
    accessible(iris)
    fits(iris)
    iris.get_by_role("link", name="Everyone who has seen this case").click()
    iris.wait_for_load_state()
    listed = iris.inner_text("#reads")
    assert "Iris Ingram" in listed and "Opened the case's page" in listed  # her own look
    accessible(iris)


def test_a_council_liaison_is_shown_neither_the_section_nor_its_page(
        browser, site, people, case_id):
    lia = browser.new_page()
    sign_in(lia, site, people["liaison"])
    lia.goto(f"{site}/case/{case_id}")
    assert lia.locator("#seen-by").count() == 0
    answer = lia.goto(f"{site}/case/{case_id}/access-log")
    assert answer is not None and answer.status == 403


def test_a_person_finds_their_own_looks_and_searches_from_their_account(
        browser, site, named, case_id):
    carla = browser.new_page()
    sign_in(carla, site, named["coordinator"])
    carla.goto(f"{site}/case/{case_id}")
    carla.goto(f"{site}/search?q=Northshire")
    carla.goto(f"{site}/account")
    carla.get_by_role("link", name="What you have looked at").click()
    carla.wait_for_load_state()
    rows = carla.locator("#reads tbody tr")
    assert "Searched for ‘Northshire’" in rows.nth(0).inner_text()
    assert "Opened the case's page" in rows.nth(1).inner_text()
    assert "Case NW-" in rows.nth(1).inner_text()
    case_cell = rows.nth(1).locator("td").nth(1)
    assert case_cell.get_by_role("link").inner_text() == "Northshire County Council"
    accessible(carla)
    fits(carla)
    carla.set_viewport_size({"width": 320, "height": 800})  # the table, not only the page
    assert carla.evaluate("(() => { const r = document.querySelector('.app-table-scroll');"
                          " return r.scrollWidth <= r.clientWidth; })()")
