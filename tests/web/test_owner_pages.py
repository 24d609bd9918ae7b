"""The owner on the pages (no browser): the case page names it and offers reassignment to
coordinators; My work filters "My cases"; the reassignment form runs the API's route."""

import re

import httpx

from tests.helpers import OPEN_CASE
from tests.web.test_sessions import _sign_in


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_my_cases_and_the_owner_on_the_case_page(site, people, web_cases, web_identity):
    web_identity.register_user(username="carl", role="coordinator", region="North West")
    cora = dict(actor_id="cora", actor_role="coordinator")
    mine = web_cases.open_case(**OPEN_CASE, **cora)
    carls = web_cases.open_case(**OPEN_CASE, **cora, owner="carl")
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["coordinator"])
        everyone = client.get("/my-work").text
        assert str(mine) in everyone and str(carls) in everyone and "carl" in everyone
        only_mine = client.get("/my-work", params={"owner": "me"}).text
        assert str(mine) in only_mine and str(carls) not in only_mine
        assert 'value="me" selected' in only_mine

        page = client.get(f"/case/{carls}").text
        assert re.search(r"Owner\s*</dt>\s*<dd[^>]*>\s*carl", page)
        assert f"/case/{carls}/do/owner" in page
        form = client.get(f"/case/{carls}/do/owner").text
        moved = client.post(f"/case/{carls}/do/owner", data={
            "csrf_token": _csrf(form), "expected_version": "1", "owner": "cora",
            "reason": "Carl is on leave"})
        assert moved.status_code == 303
        refused = client.post(f"/case/{carls}/do/owner", data={
            "csrf_token": _csrf(form), "expected_version": "2", "owner": "nobody",
            "reason": "x"})
        assert refused.status_code == 422 and "Choose owner from the list" in refused.text
    assert web_cases.get_case(carls)["owner"] == "cora"

    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["inspector"])
        page = client.get(f"/case/{carls}").text
        assert "cora" in page and f"/case/{carls}/do/owner" not in page
        assert 'id="owner"' not in client.get("/my-work").text  # no "My cases" to filter


def test_the_government_office_sees_on_the_pages_only_the_case_granted_to_it(
        site, web_cases, web_identity):
    web_identity.register_user(username="gus", role="government office")
    token = web_identity.issue_token("gus")
    cora = dict(actor_id="cora", actor_role="coordinator")
    granted, other = (web_cases.open_case(**OPEN_CASE, **cora) for _ in range(2))
    web_cases.add_intelligence(granted, content="Members were warned", source="A neighbour",
                               confidentiality="Chatham House", **cora)
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, token)
        assert str(granted) not in client.get("/my-work").text
        assert client.get(f"/case/{granted}").status_code == 404
        web_cases.grant_confidential_access(granted, grantee="gus", reason="Locality team",
                                            **cora)
        work = client.get("/my-work").text
        assert str(granted) in work and str(other) not in work
        page = client.get(f"/case/{granted}")
        assert page.status_code == 200 and "A neighbour" in page.text
        assert "/do/" not in page.text  # no command offered
        assert "History verified" in page.text  # the timeline and its check
        exported = client.get(f"/case/{granted}/export.csv")
        assert exported.status_code == 200 and "A neighbour" in exported.text
        assert client.get(f"/case/{other}").status_code == 404
        web_cases.revoke_confidential_access(granted, grantee="gus", reason="Over", **cora)
        assert client.get(f"/case/{granted}").status_code == 404
        assert client.get(f"/case/{granted}/export.csv").status_code == 404
