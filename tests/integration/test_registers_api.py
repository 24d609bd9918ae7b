"""The register routes over real HTTP, with real users and tokens, on both stores."""

from datetime import date

import httpx
import pytest
from eventsourcing.domain import EventSourcingError

from api.main import create_app
from domain.budget import financial_year
from services.bootstrap import Services
from services.cases.service import CaseService
from services.identity.service import IdentityService
from services.platform.settings import Settings
from tests.conftest import free_port
from tests.e2e.conftest import bearer, serve

CSV_HEADER = ("name,authority_type,region,sub_region,mutuality_signed_on,"
              "last_self_evaluation,last_peer_challenge\n")


@pytest.fixture
def cases(services: Services) -> CaseService:
    """The API's own case service, built by the composition root."""
    return services.cases


@pytest.fixture
def identity(services: Services) -> IdentityService:
    return services.identity


def test_a_csv_with_bad_rows_is_refused_whole_with_each_row_named(api: httpx.Client):
    body = CSV_HEADER + ("Ashby Vale District Council,district,East Midlands,,,,\n"
                         "Coldby Council,parish,East Midlands,,,,\n"
                         "Dunby Council,county,Midlands,,,2026-13-01,\n")
    refused = api.post("/authorities/import", content=body,
                       headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["rule"] == "csv_rows_refused"
    assert {(r["line"], r["field"]) for r in problem["rows"]} == {
        (3, "authority_type"), (4, "region"), (4, "last_self_evaluation")}
    assert api.get("/authorities").json() == []

    good = CSV_HEADER + "Ashby Vale District Council,district,East Midlands,,,,\n"
    assert api.post("/authorities/import", content=good).json()["imported"] == 1


def agreed_case(cases: CaseService, authority: str) -> str:
    """An East Midlands case with its plan agreed, ready for support."""
    actor = dict(actor_id="cora", actor_role="coordinator")
    case_id = cases.open_case(authority=authority, region="East Midlands", summary="s",
                              source="inspectorate report", issue_type="service-specific issue",
                              **actor)
    cases.record_diagnosis(case_id, summary="Money", problem_natures=["financial"], **actor)
    cases.draft_plan(case_id, summary="p", adviser_id="adam", actions=[{
        "description": "Recovery plan", "owner": "s151 officer", "provider": "Trentside",
        "due": "2027-03-31", "measure": "Balanced budget"}], **actor)
    cases.agree_plan(case_id, reason="Agreed", actor_id="lia", actor_role="authority liaison")
    return str(case_id)


def commission(api: httpx.Client, case_id: str, offer_id: str, days: int, **headers):
    version = api.get(f"/cases/{case_id}").headers["etag"]
    return api.post(f"/cases/{case_id}/support", headers={"If-Match": version, **headers},
                    json={"offer_id": offer_id, "days": days,
                          "problem_natures": ["financial"], "reason": "Fits"})


def test_commissioning_through_the_api_and_the_regional_picture(api: httpx.Client,
                                                                tokens: dict[str, str],
                                                                cases: CaseService):
    for name in ("Ashby Vale District Council", "Byford District Council"):
        made = api.post("/authorities", json={"name": name, "authority_type": "district",
                                              "region": "East Midlands"})
        assert made.status_code == 201, made.text
    offer = api.post("/support-offers", json={
        "title": "Finance recovery", "provider": "Trentside Partnership",
        "provider_type": "sub-regional partnership", "region": "East Midlands",
        "problem_natures": ["financial"], "service_areas": ["finance"],
        "days_per_year": 30, "cost_per_day": 1000, "lead_time_days": 10,
        "assesses": ["Byford District Council"]}).json()
    budget = api.put("/budgets", json={"region": "East Midlands", "financial_year": "2026/27",
                                       "total": 1_000_000, "allocation": 60_000})
    assert budget.status_code == 409 and "at most £50,000" in budget.json()["detail"]
    assert budget.json()["field"] == "allocation"

    matches = api.get("/support-matches", params={
        "authority": "Byford District Council", "problem_nature": "financial"}).json()
    assert matches["offers"] == [] and "assesses" in matches["excluded"][0]["reason"]

    byford, ashby = (agreed_case(cases, "Byford District Council"),
                     agreed_case(cases, "Ashby Vale District Council"))
    conflicted = commission(api, byford, offer["id"], 2)
    assert conflicted.status_code == 409
    assert conflicted.json()["rule"] == "provider_conflict_of_interest"

    inspector = bearer(tokens["ines"])
    forbidden = commission(api, ashby, offer["id"], 2, **inspector)
    assert forbidden.status_code == 403
    year = financial_year(date.today())
    elsewhere = bearer(tokens["otto"])
    for refused in (
        api.put("/budgets", headers=elsewhere, json={
            "region": "East Midlands", "financial_year": year, "total": 1_000_000,
            "allocation": 50_000}),
    ):
        assert refused.status_code == 403, refused.text
        assert "East Midlands" in refused.json()["detail"]
    assert commission(api, ashby, offer["id"], 1, **elsewhere).status_code == 404
    assert api.put("/budgets", json={"region": "East Midlands", "financial_year": year,
                                     "total": 1_000_000, "allocation": 50_000}).is_success
    made = commission(api, ashby, offer["id"], 12)
    assert made.status_code == 200 and made.json()["commissions"][0]["cost"] == 12_000
    spent = api.post(f"/budgets/commitments/{made.json()['commissions'][0]['commission_id']}"
                     f"/spend",
                     json={"amount": 5_000})
    assert spent.json()["spent"] == 5_000
    picture = api.get("/regions/support-picture", headers=inspector)
    east = {r["region"]: r for r in picture.json()}["East Midlands"]
    assert picture.status_code == 200 and len(picture.json()) == 9
    assert [o["authority"] for o in east["offers_in_use"]] == ["Ashby Vale District Council"]
    assert (east["budget"]["committed"], east["budget"]["spent"]) == (12_000, 5_000)

    missing = api.get("/authorities/Nowhere Council")
    assert missing.status_code == 404 and missing.json()["field"] == "authority"
    bad = api.post("/peers", json={"name": "Pat", "role": "mayor",
                                   "council": "Ashby Vale District Council",
                                   "problem_natures": ["financial"],
                                   "service_areas": ["finance"], "days_per_quarter": 5})
    assert bad.status_code == 422 and bad.json()["field"] == "role"


def test_the_services_the_api_built_close_when_it_stops(settings: Settings,
                                                         tokens: dict[str, str]):
    settings = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    app = create_app(settings)  # builds its own, so closes its own
    server, thread, url = serve(app)
    assert httpx.get(f"{url}/authorities", headers=bearer(tokens["cora"])).json() == []
    opened = app.state.registers
    server.should_exit = True
    thread.join(timeout=10)
    with pytest.raises(EventSourcingError):  # its connection pool is closed
        opened.list_authorities()


def test_a_peer_linked_to_their_account_is_deployed_with_it_and_sees_the_case(
        api: httpx.Client, tokens: dict[str, str], cases: CaseService):
    for name in ("Ashby Vale District Council", "Byford District Council"):
        api.post("/authorities", json={"name": name, "authority_type": "district",
                                       "region": "East Midlands"})
    peer = api.post("/peers", json={"name": "Pat Peer", "role": "officer",
                                    "council": "Byford District Council",
                                    "problem_natures": ["financial"],
                                    "service_areas": ["finance"], "days_per_quarter": 5})
    assert peer.status_code == 201 and peer.json()["account"] is None
    linked = api.put(f"/peers/{peer.json()['id']}/account", json={"account": "pete"})
    assert linked.status_code == 200 and linked.json()["account"] == "pete"
    assert api.put(f"/peers/{peer.json()['id']}/account", headers=bearer(tokens["ines"]),
                   json={"account": "ines"}).status_code == 403

    case_id = agreed_case(cases, "Ashby Vale District Council")
    version = api.get(f"/cases/{case_id}").headers["etag"]
    deployed = api.post(f"/cases/{case_id}/peer-deployments", headers={"If-Match": version},
                        json={"peer_id": peer.json()["id"], "days": 2, "role": "officer peer",
                              "reason": "Knows finance recovery"})
    assert deployed.status_code == 200, deployed.text
    assert deployed.json()["deployments"]["deployment-1"]["peer_id"] == "pete"
    assert api.get(f"/cases/{case_id}", headers=bearer(tokens["pete"])).status_code == 200
