"""Saved views on My work: a person saves the filters and sort under a name, finds the
view as a tab (a plain link) after signing out and in, and a coordinator shares one with
their region."""

import pytest

from tests.web.browser import accessible, sign_in
from tests.web.conftest import BOTH_STORES

pytestmark = BOTH_STORES


@pytest.fixture
def named(web_identity) -> dict[str, str]:
    """Two coordinators of one region, by name."""
    tokens = {}
    for username, name in (("cora", "Cora Coordinator"), ("carla", "Carla Coordinator")):
        web_identity.register_user(username=username, name=name, role="coordinator",
                                   region="North West")
        tokens[username] = web_identity.issue_token(username)
    return tokens


def _save(page, name: str) -> None:
    page.get_by_text("Save these filters as a view").click()
    page.get_by_label("Name of the view").fill(name)
    page.get_by_role("button", name="Save view").click()
    page.wait_for_load_state()


def _tabs(page) -> list[str]:
    return [t.strip() for t in page.locator("#saved-views a").all_inner_texts()]


def test_a_saved_view_comes_back_after_signing_out_and_in(browser, site, named):
    cora = browser.new_context().new_page()
    sign_in(cora, site, named["cora"])
    cora.goto(f"{site}/my-work")
    cora.get_by_label("Overdue", exact=True).select_option("yes")
    cora.get_by_label("Sort by", exact=True).select_option("due")
    cora.get_by_role("button", name="Apply filters").click()
    _save(cora, "Overdue first")
    accessible(cora)
    assert _tabs(cora) == ["All my work", "Overdue first"]
    assert cora.get_by_role("link", name="Overdue first").get_attribute("aria-current") == "page"

    cora.get_by_role("button", name="Sign out").click()
    sign_in(cora, site, named["cora"])
    cora.goto(f"{site}/my-work")
    assert _tabs(cora) == ["All my work", "Overdue first"]
    cora.get_by_role("link", name="Overdue first").click()
    assert cora.get_by_label("Overdue", exact=True).input_value() == "yes"
    assert cora.get_by_label("Sort by", exact=True).input_value() == "due"
    accessible(cora)


def test_a_name_used_already_is_refused_in_words_and_nothing_is_saved(browser, site, named):
    cora = browser.new_context().new_page()
    sign_in(cora, site, named["cora"])
    cora.goto(f"{site}/my-work")
    _save(cora, "Overdue first")
    with cora.expect_response(lambda r: r.request.method == "POST") as refused:
        _save(cora, "overdue FIRST")
    assert refused.value.status == 409
    summary = cora.locator(".govuk-error-summary").inner_text()
    assert "Choose another name: you already have a view called overdue FIRST" in summary
    accessible(cora)
    assert _tabs(cora) == ["All my work", "Overdue first"]


def test_a_view_shared_with_the_region_shows_who_shared_it(browser, site, named):
    cora = browser.new_context().new_page()
    sign_in(cora, site, named["cora"])
    cora.goto(f"{site}/my-work?status=closed")
    _save(cora, "Closed cases")
    cora.get_by_text("Save these filters as a view").click()
    cora.get_by_role("button", name="Share with your region").click()
    carla = browser.new_context().new_page()
    sign_in(carla, site, named["carla"])
    carla.goto(f"{site}/my-work")
    assert _tabs(carla) == ["All my work", "Closed cases (shared by Cora Coordinator)"]
    accessible(carla)
    assert carla.get_by_role("button", name="Rename").count() == 0  # not hers to change
    cora.get_by_text("Save these filters as a view").click()
    cora.get_by_role("button", name="Delete").click()
    carla.reload()
    assert _tabs(carla) == []


def _client(site: str, token: str):
    import re

    import httpx

    from tests.web.test_sessions import _sign_in

    client = httpx.Client(base_url=site, timeout=30)
    _sign_in(client, token)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/my-work").text)
    return client, csrf.group(1)


def test_bad_posts_are_refused_with_a_4xx_and_write_nothing(site, named):
    client, csrf = _client(site, named["cora"])
    try:
        blank = client.post("/my-work/views", data={"csrf_token": csrf, "name": "  "})
        assert blank.status_code == 422 and "Enter a name for the view" in blank.text
        control = client.post("/my-work/views", data={"csrf_token": csrf, "name": "A\x00B"})
        assert control.status_code == 422
        assert client.post("/my-work/views", data={"name": "No token"}).status_code == 403
        for action in ("rename", "delete", "share"):
            unknown = client.post(f"/my-work/views/{action}", data={
                "csrf_token": csrf, "view": "Never saved", "name": "New", "share": "yes"})
            assert unknown.status_code == 404, action
        assert client.post("/notifications/mark", data={
            "csrf_token": csrf, "item": "reminder:nothing", "mark": "done"}).status_code == 404
        assert 'id="saved-views"' not in client.get("/my-work").text  # no view was saved
    finally:
        client.close()
