"""My work counts and sorts the whole worklist, not only the page on screen."""

import re
from datetime import UTC, datetime, timedelta

import httpx

from api.web.overview_pages import PAGE_SIZE
from tests.helpers import OPEN_CASE


def _sign_in(client: httpx.Client, token: str) -> None:
    form = client.get("/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    client.post("/sign-in", data={"csrf_token": csrf, "token": token, "next": "/my-work"})


def _open(cases, days: float) -> str:
    fields = {k: OPEN_CASE[k] for k in ("authority", "region", "summary", "source",
                                        "issue_type")}
    return str(cases.open_case(**fields, actor_id="cora", actor_role="coordinator",
                               diagnosis_due=datetime.now(UTC) + timedelta(days=days)))


def test_the_counts_and_the_order_cover_cases_beyond_the_first_page(site, people, web_cases):
    for _ in range(PAGE_SIZE + 2):
        _open(web_cases, 60)
    soon = [_open(web_cases, 1.5 + n / 10) for n in range(3)]  # raised last: page two
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["coordinator"])
        page = client.get("/my-work").text
        assert f"{PAGE_SIZE + 5} cases match these filters" in page
        assert "3 due in the next 5 working days" in page
        # something to see to is coloured; a zero is not an alarm
        assert re.search(r'tag--yellow" id="count-due-soon">3 due', page)
        assert re.search(r'tag--grey" id="count-overdue">0 overdue', page)
        assert soon[0] not in page  # on the second page of the order raised
        by_due = client.get("/my-work", params={"sort": "due"}).text
        listed = re.findall(r'href="/case/([0-9a-f-]{36})"', by_due)
        assert listed[:3] == soon  # the most pressing first, though raised last


def test_the_council_filter_offers_the_region_s_councils_by_name(site, people, web_cases,
                                                                  web_services):
    web_services.registers.register_authority(
        actor_id="test", name="Westmoor Borough Council", authority_type="metropolitan borough",
        region="North West")
    northshire = _open(web_cases, 30)
    fields = {k: OPEN_CASE[k] for k in ("region", "summary", "source", "issue_type")}
    westmoor = str(web_cases.open_case(
        **fields, authority="Westmoor Borough Council", actor_id="cora",
        actor_role="coordinator", diagnosis_due=datetime.now(UTC) + timedelta(days=30)))
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["coordinator"])
        offered = re.findall(r'<option value="([^"]*)"',
                             client.get("/my-work").text.split('id="authority"')[1]
                             .split("</select>")[0])
        # the coordinator's region's councils, by name; not another region's
        assert offered == ["", OPEN_CASE["authority"], "Westmoor Borough Council"]
        chosen = client.get("/my-work", params={"authority": "Westmoor Borough Council"}).text
        assert westmoor in chosen and northshire not in chosen
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["liaison"])  # one council's cases: nothing to choose
        assert 'id="authority"' not in client.get("/my-work").text


def test_an_inspector_is_told_the_cases_are_theirs_to_read_not_to_act_on(site, people,
                                                                         web_cases):
    _open(web_cases, 10)
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["inspector"])
        page = client.get("/my-work").text
        assert "The cases you may read." in page and "act on" not in page
