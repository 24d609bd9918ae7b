"""Every register write is for the acting coordinator's own region, over real HTTP.

A North West coordinator may not end a London commission, spend against a
London commitment, end a London peer deployment or keep London's registers;
a coordinator whose OIDC token names no region may act in none.
"""

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import httpx
import pytest

from api.main import create_app
from domain.budget import financial_year
from services.bootstrap import Services
from services.cases.service import CaseService
from services.identity.service import IdentityService
from services.platform.settings import Settings
from tests.conftest import free_port
from tests.e2e.conftest import bearer, serve
from tests.helpers import ISSUER, id_token

LONDON_COUNCIL = "Thamesbank London Borough Council"
PEER_COUNCIL = "Riverside London Borough Council"


@pytest.fixture
def cases(services: Services) -> CaseService:
    """The API's own case service, built by the composition root."""
    return services.cases


@pytest.fixture
def identity(services: Services) -> IdentityService:
    return services.identity


@pytest.fixture
def tokens(identity: IdentityService) -> dict[str, str]:
    made = {}
    for username, region in (("lulu", "London"), ("nora", "North West")):
        identity.register_user(username=username, role="coordinator", region=region)
        made[username] = identity.issue_token(username)
    return made


@pytest.fixture
def url(settings: Settings, services: Services, provider) -> Iterator[str]:
    configured = settings.model_copy(update={
        "temporal_address": f"127.0.0.1:{free_port()}", "oidc_issuer": ISSUER,
        "oidc_jwks_url": provider[1], "oidc_audience": "casework"})
    server, thread, address = serve(create_app(configured, services=services))
    yield address
    server.should_exit = True
    thread.join(timeout=10)


def london_case(cases: CaseService) -> UUID:
    actor = dict(actor_id="lulu", actor_role="coordinator")
    case_id = cases.open_case(authority=LONDON_COUNCIL, region="London", summary="s",
                              source="inspectorate report", issue_type="service-specific issue",
                              **actor)
    cases.record_diagnosis(case_id, summary="Money", problem_natures=["financial"], **actor)
    cases.draft_plan(case_id, summary="p", adviser_id="adam", actions=[{
        "description": "Recovery plan", "owner": "s151 officer", "provider": "LP",
        "due": "2027-03-31", "measure": "Balanced budget"}], **actor)
    cases.agree_plan(case_id, reason="Agreed", actor_id="liz", actor_role="authority liaison")
    return case_id


def london_work(api: httpx.Client, cases: CaseService) -> dict[str, str]:
    """A London council with a paid commission, a commitment and a peer deployed."""
    for name in (LONDON_COUNCIL, PEER_COUNCIL):
        assert api.post("/authorities", json={"name": name, "authority_type": "London borough",
                                              "region": "London"}).status_code == 201
    offer = api.post("/support-offers", json={
        "title": "Finance recovery", "provider": "London Partnership",
        "provider_type": "sub-regional partnership", "region": "London",
        "problem_natures": ["financial"], "service_areas": ["finance"],
        "days_per_year": 30, "cost_per_day": 1000, "lead_time_days": 10}).json()
    assert api.put("/budgets", json={"region": "London", "financial_year": this_year(),
                                     "total": 1_000_000, "allocation": 50_000}).is_success
    peer = api.post("/peers", json={"name": "Pat", "role": "officer", "council": PEER_COUNCIL,
                                    "problem_natures": ["financial"],
                                    "service_areas": ["finance"], "days_per_quarter": 5}).json()
    case_id, actor = london_case(cases), dict(actor_id="lulu", actor_role="coordinator")
    cases.commission_support(case_id, offer_id=UUID(offer["id"]), days=5,
                             problem_natures=["financial"], reason="Fits", **actor)
    cases.deploy_peer(case_id, peer_id=UUID(peer["id"]), days=2, role="officer peer",
                      reason="Fits", **actor)
    case = cases.get_case(case_id)
    return {"case": str(case_id),
            "offer": offer["id"], "commission": case["commissions"][0]["commission_id"],
            "peer": peer["id"],
            "deployment": case["deployments"]["deployment-1"]["register_deployment_id"]}


def this_year() -> str:
    return financial_year(date.today())


def writes(ids: dict[str, str]) -> list[tuple[str, str, dict]]:
    return [
        ("POST", f"/support-offers/{ids['offer']}/commissions/{ids['commission']}/end", {}),
        ("POST", f"/budgets/commitments/{ids['commission']}/spend", {"amount": 1000}),
        ("POST", f"/authorities/{LONDON_COUNCIL}/self-evaluations", {"on": "2026-01-05"}),
        ("POST", "/peers", {"name": "Sam", "role": "officer", "council": LONDON_COUNCIL,
                            "problem_natures": ["financial"], "service_areas": ["finance"],
                            "days_per_quarter": 5}),
        ("POST", "/authorities", {"name": "Another London Council",
                                  "authority_type": "London borough", "region": "London"}),
    ]


def test_a_coordinator_of_another_region_changes_nothing_in_london(url, tokens, cases):
    with httpx.Client(base_url=url, timeout=10, headers=bearer(tokens["lulu"])) as london:
        ids = london_work(london, cases)
        before = (london.get(f"/support-offers/{ids['offer']}").json(),
                  london.get(f"/peers/{ids['peer']}").json(),
                  london.get("/budgets", params={"region": "London",
                                                 "financial_year": this_year()}).json())
        for method, path, body in writes(ids):
            refused = london.request(method, path, json=body,
                                     headers=bearer(tokens["nora"]))
            assert refused.status_code == 403, (path, refused.text)
            assert refused.json()["rule"] == "own_region_only"
            assert "North West" in refused.json()["detail"]
        after = (london.get(f"/support-offers/{ids['offer']}").json(),
                 london.get(f"/peers/{ids['peer']}").json(),
                 london.get("/budgets", params={"region": "London",
                                                "financial_year": this_year()}).json())
        assert after == before
        ended = london.post(f"/cases/{ids['case']}/peer-deployment-ends",
                            json={"deployment_id": "deployment-1", "reason": "r"},
                            headers={**bearer(tokens["nora"]), "If-Match": '"6"'})
        assert ended.status_code in (403, 404)  # a case of another region is not revealed
        assert london.get(f"/peers/{ids['peer']}").json()["deployments"] != []
        assert london.post(f"/budgets/commitments/{ids['commission']}/spend",
                           json={"amount": 1000}).status_code == 200


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_coordinator_whose_token_names_no_region_acts_in_none(url, tokens, cases,
                                                               provider):  # noqa: F811
    regionless = bearer(id_token(provider[0], casework_role="coordinator"))
    with httpx.Client(base_url=url, timeout=10, headers=bearer(tokens["lulu"])) as london:
        ids = london_work(london, cases)
        for method, path, body in writes(ids) + [
                ("PUT", "/budgets", {"region": "London", "financial_year": this_year(),
                                     "total": 1_000_000, "allocation": 40_000})]:
            refused = london.request(method, path, json=body, headers=regionless)
            assert refused.status_code == 403, (path, refused.text)
            assert "no region" in refused.json()["detail"]


def test_a_regions_budget_is_not_committed_to_another_regions_council(url, tokens, cases):
    with httpx.Client(base_url=url, timeout=10, headers=bearer(tokens["lulu"])) as london:
        ids = london_work(london, cases)
    with httpx.Client(base_url=url, timeout=10, headers=bearer(tokens["nora"])) as north:
        assert north.put("/budgets", json={"region": "North West",
                                           "financial_year": this_year(), "total": 1_000_000,
                                           "allocation": 50_000}).is_success
        refused = north.post("/budgets/commitments", json={
            "region": "North West", "financial_year": this_year(), "case_id": ids["case"],
            "authority": LONDON_COUNCIL, "amount": 100, "purpose": "Mentoring"})
        assert refused.status_code == 409 and refused.json()["rule"] == "budget_of_own_region"
