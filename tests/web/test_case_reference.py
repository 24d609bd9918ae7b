"""Over real HTTP, a case's reference is accepted wherever its id is: the API answers for
it, takes commands on it, and a page's address with it shows the case."""

import json
import re
from uuid import UUID

import httpx

from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE
from tests.web.conftest import BOTH_STORES

pytestmark = BOTH_STORES


def _open(client: httpx.Client, token: str) -> dict:
    answer = client.post("/cases", json=OPEN_CASE, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_api_answers_for_a_case_by_its_reference(site, people):
    with httpx.Client(base_url=site, timeout=30) as client:
        case = _open(client, people["coordinator"])
        reference = case["reference"]
        assert re.fullmatch(r"NW-\d{4}-0001", reference)

        typed = f"/cases/{reference.lower()}"  # as someone might type it
        fetched = client.get(typed, headers=bearer(people["inspector"]))
        assert fetched.status_code == 200, fetched.text
        assert (fetched.json()["id"], fetched.json()["reference"]) == (case["id"], reference)
        history = client.get(f"/cases/{reference}/history", headers=bearer(people["inspector"]))
        assert [e["type"] for e in history.json()] == ["ConcernRaised"]
        assert history.json()[0]["data"]["reference"] == reference

        listed = client.get("/cases", headers=bearer(people["coordinator"])).json()
        assert [row["reference"] for row in listed["cases"]] == [reference]


def test_a_command_posted_to_a_reference_lands_on_its_case(site, people, web_cases):
    with httpx.Client(base_url=site, timeout=30) as client:
        case = _open(client, people["coordinator"])
        answer = client.post(f"/cases/{case['reference']}/diagnosis",
                             json={"summary": "Weak leadership"},
                             headers={**bearer(people["coordinator"]), "If-Match": '"1"'})
        assert answer.status_code == 200, answer.text
        assert answer.json()["id"] == case["id"]
    assert [e["type"] for e in web_cases.history(UUID(case["id"]))] == ["ConcernRaised",
                                                                  "DiagnosisRecorded"]


def test_the_export_names_the_case_by_its_reference_and_still_verifies(site, people):
    from services.audit.exports import verify_export

    with httpx.Client(base_url=site, timeout=30) as client:
        case = _open(client, people["coordinator"])
        answer = client.get(f"/cases/{case['reference']}/export",
                            headers=bearer(people["coordinator"]))
    assert answer.status_code == 200, answer.text
    lines = answer.text.splitlines()
    assert json.loads(lines[-1])["reference"] == case["reference"]
    assert json.loads(lines[0])["data"]["reference"] == case["reference"]
    assert verify_export(lines).ok


def test_a_reference_no_case_has_and_a_malformed_one_are_not_found(site, people):
    with httpx.Client(base_url=site, timeout=30) as client:
        _open(client, people["coordinator"])
        for path in ("/cases/NW-1999-0001", "/cases/NW-2026-00x1", "/cases/NW-2026-0000",
                     "/cases/LN-2026-0001/history"):
            answer = client.get(path, headers=bearer(people["coordinator"]))
            assert answer.status_code == 404, (path, answer.text)
            assert answer.json()["field"] == "case_id"


def test_a_page_address_with_a_reference_shows_the_case_to_those_who_may_see_it(site, people):
    with httpx.Client(base_url=site, timeout=30) as client:
        case = _open(client, people["coordinator"])
        form = client.get("/sign-in").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        client.post("/sign-in", data={"csrf_token": csrf, "token": people["coordinator"]})

        page = client.get(f"/case/{case['reference']}?done=open_case")
        assert page.status_code == 200 and case["reference"] in page.text
        assert f'href="/case/{case["id"]}/do/' in page.text  # its forms by the case's id
        assert client.get("/case/NW-1999-0001").status_code == 404
    with httpx.Client(base_url=site, timeout=30) as client:  # a peer not deployed to it
        form = client.get("/sign-in").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        client.post("/sign-in", data={"csrf_token": csrf, "token": people["peer"]})
        real = client.get(f"/case/{case['reference']}", follow_redirects=False)
        made_up = client.get("/case/NW-1999-0001", follow_redirects=False)
        # no different answer says that a case with this reference exists
        assert real.status_code == made_up.status_code == 404
