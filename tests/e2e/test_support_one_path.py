"""Support and peers on a case go through the registers, as one record seen from both.

Over HTTP: the conflict of interest, the peer's council, the days and the
budget come from the registers; a refusal anywhere writes nothing anywhere;
the registers no longer take case work that bypasses the case, and a
commission ended through the register's route is ended on its case.
"""

from datetime import date
from uuid import UUID

import pytest

from api.main import create_app
from api.routes.registers import ENDED_IN_THE_REGISTER
from domain.budget import financial_year
from services.platform.settings import Settings
from services.registers.service import RegisterService
from tests.e2e.conftest import bearer
from tests.e2e.test_case_journey import PLAN, Journey
from tests.helpers import OPEN_CASE
from tests.support_registers import PEER_COUNCIL, seed_registers

YEAR = financial_year(date.today())


async def agreed_case(http, tokens) -> Journey:
    case = Journey(http, tokens)
    await case.open()
    await case.do("coordinator", "diagnosis", {"summary": "Weak capacity",
                                               "problem_natures": ["capacity"]})
    await case.do("coordinator", "plan", PLAN)
    await case.do("authority liaison", "plan/agreement", {"reason": "Cabinet agreed"})
    return case


async def post(case: Journey, command: str, body: dict, etag: str | None = None):
    return await case.http.post(
        f"/cases/{case.case_id}/{command}", json=body,
        headers={**bearer(case.tokens["coordinator"]), "If-Match": etag or case.etag})


def registers_of(settings) -> RegisterService:
    return RegisterService(settings.eventsourcing_env())


async def test_paid_support_beyond_the_budget_is_refused_and_nothing_is_written(
        http, tokens, settings):
    ids = seed_registers(settings.eventsourcing_env(), paid_per_day=20_000, allocation=50_000)
    case = await agreed_case(http, tokens)
    refused = await post(case, "support", {"offer_id": str(ids["offer"]), "days": 3,
                                           "problem_natures": ["capacity"], "reason": "r"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "budget_overspend"
    assert "£50,000" in refused.json()["detail"]
    assert (await case.read("coordinator")).headers["etag"] == case.etag
    registers = registers_of(settings)
    try:
        assert registers.get_offer(ids["offer"])["commissions"] == []
        assert registers.get_budget(OPEN_CASE["region"], YEAR)["committed"] == 0
    finally:
        registers.close()


async def test_one_commission_is_one_record_seen_from_the_case_and_the_registers(
        http, tokens, settings):
    ids = seed_registers(settings.eventsourcing_env(), paid_per_day=20_000, allocation=50_000)
    case = await agreed_case(http, tokens)
    made = await post(case, "support", {"offer_id": str(ids["offer"]), "days": 2,
                                        "problem_natures": ["capacity"], "reason": "Fits"})
    assert made.status_code == 200, made.text
    commission = made.json()["commissions"][0]
    assert (commission["provider"], commission["cost"], commission["days"]) == (
        "the national improvement body", 40_000, 2)
    registers = registers_of(settings)
    try:
        held = registers.get_offer(ids["offer"])["commissions"]
        assert [(c["commission_id"], c["case_id"]) for c in held] == [
            (commission["commission_id"], case.case_id)]
        budget = registers.get_budget(OPEN_CASE["region"], YEAR)
        assert budget["committed"] == 40_000
    finally:
        registers.close()
    history = (await case.read("inspector", "/history")).json()
    recorded = [e for e in history if e["type"] == "SupportCommissioned"]
    assert recorded[0]["data"]["commission_id"] == commission["commission_id"]


async def test_a_conflict_of_interest_is_computed_from_the_registers(http, tokens, settings):
    seed_registers(settings.eventsourcing_env())
    registers = registers_of(settings)
    try:
        conflicted = registers.publish_offer(
            title="Finance review", provider="Audit Partners", provider_type="private sector",
            region=OPEN_CASE["region"], problem_natures=["financial"],
            service_areas=["finance"], days_per_year=10, cost_per_day=0, lead_time_days=1,
            assesses=[OPEN_CASE["authority"]], actor_id="cora")
    finally:
        registers.close()
    case = await agreed_case(http, tokens)
    refused = await post(case, "support", {"offer_id": str(conflicted), "days": 1,
                                           "problem_natures": ["financial"], "reason": "r"})
    assert refused.status_code == 409 and refused.json()["rule"] == (
        "provider_conflict_of_interest")
    assert (await case.read("coordinator")).headers["etag"] == case.etag


async def test_a_peer_deployed_on_the_case_is_the_registers_and_ending_gives_days_back(
        http, tokens, settings):
    ids = seed_registers(settings.eventsourcing_env())
    case = await agreed_case(http, tokens)
    deployed = await case.do("coordinator", "peer-deployments", {
        "peer_id": str(ids["peer"]), "days": 4, "peer_user": "pete", "role": "officer peer",
        "reason": "Experienced"})
    deployment = deployed["deployments"]["deployment-1"]
    assert deployment["peer_council"] == PEER_COUNCIL and deployment["peer_id"] == "pete"
    registers = registers_of(settings)
    try:
        peer = registers.get_peer(ids["peer"])
        assert [(d["deployment_id"], d["case_id"]) for d in peer["deployments"]] == [
            (deployment["register_deployment_id"], case.case_id)]
        await case.do("coordinator", "peer-deployment-ends", {
            "deployment_id": "deployment-1", "reason": "Done"})
        assert registers.get_peer(ids["peer"])["deployments"] == []
    finally:
        registers.close()


async def test_a_stale_version_gives_the_reservation_back(http, tokens, settings):
    ids = seed_registers(settings.eventsourcing_env(), paid_per_day=1_000, allocation=50_000)
    case = await agreed_case(http, tokens)
    stale = await post(case, "support", {"offer_id": str(ids["offer"]), "days": 2,
                                         "problem_natures": ["capacity"], "reason": "r"},
                       etag='"1"')
    assert stale.status_code == 409 and stale.json()["rule"] == "stale_version"
    registers = registers_of(settings)
    try:
        assert registers.get_offer(ids["offer"])["commissions"] == []
        assert registers.get_budget(OPEN_CASE["region"], YEAR)["committed"] == 0
    finally:
        registers.close()


async def test_the_registers_take_no_case_work_that_bypasses_the_case(http, tokens, settings):
    ids = seed_registers(settings.eventsourcing_env(), allocation=50_000)
    coordinator = bearer(tokens["coordinator"])
    bypass = await http.post(f"/support-offers/{ids['offer']}/commissions", headers=coordinator,
                             json={"case_id": "c", "authority": OPEN_CASE["authority"],
                                   "days": 1})
    assert bypass.status_code in (404, 405)
    commitment = {"region": OPEN_CASE["region"], "financial_year": YEAR,
                  "authority": OPEN_CASE["authority"], "amount": 100, "purpose": "Coaching"}
    not_a_case = await http.post("/budgets/commitments", headers=coordinator,
                                 json={**commitment, "case_id": "not-a-case-at-all"})
    assert not_a_case.status_code == 422 and not_a_case.json()["field"] == "case_id"
    case = Journey(http, tokens)
    await case.open()
    no_plan = await http.post("/budgets/commitments", headers=coordinator,
                              json={**commitment, "case_id": case.case_id})
    assert no_plan.status_code == 409 and no_plan.json()["rule"] == "plan_agreed_first"
    case = await agreed_case(http, tokens)
    made = await http.post("/budgets/commitments", headers=coordinator,
                           json={**commitment, "case_id": case.case_id})
    assert made.status_code == 201, made.text
    assert UUID(case.case_id)


# -- one way to end a commission ---------------------------------------------------

async def commissioned(http, tokens, settings) -> tuple[Journey, UUID, str]:
    """An agreed case with a paid commission: 2 days at £1,000 committed from the budget."""
    ids = seed_registers(settings.eventsourcing_env(), paid_per_day=1_000, allocation=50_000)
    case = await agreed_case(http, tokens)
    made = await case.do("coordinator", "support", {
        "offer_id": str(ids["offer"]), "days": 2, "problem_natures": ["capacity"],
        "reason": "Fits"})
    return case, ids["offer"], made["commissions"][0]["commission_id"]


def running_in_the_register(settings, offer_id: UUID) -> tuple[set[str], int]:
    """The commissions the register holds as current, and the money it has committed."""
    registers = registers_of(settings)
    try:
        held = {c["commission_id"] for c in registers.get_offer(offer_id)["commissions"]}
        return held, registers.get_budget(OPEN_CASE["region"], YEAR)["committed"]
    finally:
        registers.close()


async def running_on_the_case(case: Journey) -> set[str]:
    view = (await case.read("coordinator")).json()
    return {c["commission_id"] for c in view["commissions"] if c["status"] == "active"}


ENDINGS = {
    "on the case": lambda case, offer, commission: (
        f"/cases/{case.case_id}/commission-ends",
        {"json": {"commission_id": commission, "reason": "Coaching delivered"},
         "headers": {"If-Match": case.etag}}, "Coaching delivered"),
    "in the register": lambda case, offer, commission: (
        f"/support-offers/{offer}/commissions/{commission}/end",
        {"json": {"reason": "Coaching delivered"}}, "Coaching delivered"),
    "in the register, with no body (as before)": lambda case, offer, commission: (
        f"/support-offers/{offer}/commissions/{commission}/end", {},
        ENDED_IN_THE_REGISTER),
}


@pytest.mark.parametrize("way", ENDINGS)
async def test_after_either_way_of_ending_a_commission_the_case_and_the_register_agree(
        http, tokens, settings, way):
    case, offer, commission = await commissioned(http, tokens, settings)
    assert await running_on_the_case(case) == {commission}
    assert running_in_the_register(settings, offer) == ({commission}, 2_000)
    path, request, reason = ENDINGS[way](case, offer, commission)
    coordinator = bearer(tokens["coordinator"])
    ended = await http.post(path, **{**request, "headers": {
        **coordinator, **request.get("headers", {})}})
    assert ended.status_code == 200, ended.text
    assert await running_on_the_case(case) == set()
    assert running_in_the_register(settings, offer) == (set(), 0)  # days and money back
    history = (await case.read("inspector", "/history")).json()
    [recorded] = [e for e in history if e["type"] == "SupportCommissionEnded"]
    assert (recorded["data"]["commission_id"], recorded["data"]["reason"],
            recorded["actor"]["role"]) == (commission, reason, "coordinator")
    again = await http.post(f"/support-offers/{offer}/commissions/{commission}/end",
                            headers=coordinator)
    assert again.status_code == 409 and again.json()["rule"] == "commission_not_current"
    assert len([e for e in (await case.read("inspector", "/history")).json()
                if e["type"] == "SupportCommissionEnded"]) == 1


async def test_a_commission_no_case_shows_running_ends_in_the_register_alone(
        http, tokens, settings):
    """One made in the register before support went through the case names no case:
    the register holds it alone, so ending it there is what makes the two agree."""
    ids = seed_registers(settings.eventsourcing_env(), allocation=50_000)
    registers = registers_of(settings)
    try:
        made = registers.commission_offer(ids["offer"], case_id="made-before-the-case-path",
                                          authority=OPEN_CASE["authority"], days=1,
                                          actor_id="cora")
    finally:
        registers.close()
    ended = await http.post(
        f"/support-offers/{ids['offer']}/commissions/{made['commission_id']}/end",
        headers=bearer(tokens["coordinator"]))
    assert ended.status_code == 200, ended.text
    assert ended.json()["commissions"] == []
    assert running_in_the_register(settings, ids["offer"])[0] == set()


def test_no_route_ends_a_peer_deployment_in_the_register_alone():
    """A deployment ends only on its case (`peer-deployment-ends`), which gives the
    peer's days back in the register: the registers offer no write on a deployment."""
    paths = create_app(Settings()).openapi()["paths"]
    writes = {path for path, methods in paths.items() if path.startswith("/peers")
              and set(methods) & {"post", "put", "patch", "delete"}}
    assert writes == {"/peers", "/peers/{peer_id}/account"}  # the account: no deployment
    assert "/cases/{case_id}/peer-deployment-ends" in paths
