"""`make run DEMO=1` loads the case studies' cases: the case list shows each at its stage,
and loading again adds nothing."""

from collections.abc import Iterator

import httpx
import pytest

from api.main import create_app
from domain.case_reference import CaseReference
from services.identity.service import IdentityService
from services.ops.demo_cases import CASE_STUDIES
from services.ops.demo_data import load_everything
from services.platform.settings import Settings
from tests.conftest import free_port
from tests.e2e.conftest import bearer, serve


@pytest.fixture
def api(settings: Settings, services, identity: IdentityService
        ) -> Iterator[httpx.Client]:
    identity.register_user(username="ines", role="inspector")
    identity.register_user(username="emma", role="coordinator", region="East Midlands")
    settings = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    server, thread, url = serve(create_app(settings, services=services))
    with httpx.Client(base_url=url, timeout=10) as client:
        client.headers.update(bearer(identity.issue_token("ines")))
        client.emma = bearer(identity.issue_token("emma"))  # type: ignore[attr-defined]
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def test_the_demo_loads_the_case_studies_at_their_stages_once(services, api: httpx.Client):
    first = load_everything(services.registers, services.cases)
    again = load_everything(services.registers, services.cases)
    assert first["cases"] == len(CASE_STUDIES) == 3 and again["cases"] == 0
    assert again == {"authorities": 0, "peers": 0, "offers": 0, "budgets": 0, "cases": 0}

    listed = api.get("/cases", params={"limit": 50})
    assert listed.status_code == 200, listed.text
    seen = {(c["authority"], c["stage"], c["status"]) for c in listed.json()["cases"]}
    assert seen == {(s.authority, s.expected_stage, s.expected_status) for s in CASE_STUDIES}
    references = [c["reference"] for c in listed.json()["cases"]]
    assert all(CaseReference.looks_like(r) for r in references)
    assert len(set(references)) == len(CASE_STUDIES)
    assert {s.expected_status for s in CASE_STUDIES} == {"open", "closed"}
    assert len({s.expected_stage for s in CASE_STUDIES}) == 2

    mine = api.get("/cases", headers=api.emma).json()["cases"]  # type: ignore[attr-defined]
    assert [c["authority"] for c in mine] == ["Soarbridge City Council"]
    case = api.get(f"/cases/{mine[0]['case_id']}").json()
    assert case["plan"]["status"] == "agreed"
    assert [d["status"] for d in case["deployments"].values()] == ["active"] * 4
    assert sorted(d["peer_council"] for d in case["deployments"].values()) == [  # seed 004
        "Colnebury Borough Council", "London Borough of Riverside", "Safe Childhoods Trust",
        "Tamewell Metropolitan Borough Council"]
