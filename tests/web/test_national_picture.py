"""The national picture in the browser: an inspector reads the nine regions side by side
and follows a region to its own picture; an administrator reads it too; a coordinator
has neither the page nor its place in the navigation."""

import httpx

from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE
from tests.support_registers import seed_registers
from tests.web.browser import accessible, sign_in


def _row(page, region: str) -> list[str]:
    return page.locator(f"#national-picture tr[data-region='{region}'] > *").all_inner_texts()


def test_an_inspector_compares_the_regions_and_opens_one(browser, site, people, web_settings):
    seed_registers(web_settings.eventsourcing_env(), allocation=100_000)  # North West's
    opened = httpx.post(f"{site}/cases", json=OPEN_CASE, headers=bearer(people["coordinator"]))
    assert opened.status_code == 201, opened.text
    page = browser.new_context().new_page()
    sign_in(page, site, people["inspector"])
    page.get_by_role("link", name="National picture").click()
    accessible(page)
    assert page.locator("#national-picture tbody tr").count() == 10  # nine regions, England
    north_west = _row(page, "North West")
    assert north_west[:3] == ["North West", "1", "1"]  # one open case, at the local stage
    assert " ".join(north_west[-1].split()) == (
        "£100,000 allocated, 100% of the £100,000 cap £0 committed (0%), £0 spent")
    assert _row(page, "London")[-1] == "No budget set for this year"
    assert _row(page, "England")[:2] == ["England", "1"]
    page.get_by_role("link", name="North West", exact=True).click()
    assert page.inner_text("h1") == "Regional picture: North West"


def test_an_administrator_reads_it_and_a_coordinator_cannot(browser, site, people,
                                                             web_identity):
    web_identity.register_user(username="alan", role="admin", name="Alan Admin")
    page = browser.new_context().new_page()
    sign_in(page, site, web_identity.issue_token("alan"))
    assert page.goto(f"{site}/national-picture").status == 200
    assert page.locator("#national-picture a").count() == 0  # no regional picture for admins
    coordinator = browser.new_context().new_page()
    sign_in(coordinator, site, people["coordinator"])
    assert coordinator.get_by_role("link", name="National picture").count() == 0
    assert coordinator.goto(f"{site}/national-picture").status == 403
