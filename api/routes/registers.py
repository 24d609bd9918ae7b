"""Register routes: authorities, peers, the support matrix, budgets and the picture.

Each route parses its input, makes one call to the register service and maps
the answer back; every rule lives in domain/, every refusal is problem+json.
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from api.threads import in_thread

from api.deps import Forbidden, PrincipalDep
from api.errors import problem
from domain.identity import Principal
from domain.register_access import may_act_in_region, may_use_registers
from services.registers import ImportRefused, RegisterService
from services.settings import Settings

router = APIRouter(tags=["registers"])


def install(app: FastAPI, settings: Settings) -> None:
    """Include the routes; the register service opens on first use, closes on shutdown."""
    app.state.registers_env = settings.eventsourcing_env()
    app.include_router(router)
    app_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[Any]:
        async with app_lifespan(app_) as state:
            yield state
        registers = getattr(app_.state, "registers", None)
        if registers is not None:
            app_.state.registers = None
            registers.close()

    app.router.lifespan_context = lifespan


def _registers(request: Request) -> RegisterService:
    """A plain `def`, so FastAPI runs it in a thread: the first call opens the store."""
    state = request.app.state
    if getattr(state, "registers", None) is None:
        state.registers = RegisterService(state.registers_env)
    return state.registers


def allowed(action: str):
    async def gate(principal: PrincipalDep) -> Principal:
        if not may_use_registers(principal, action):
            raise Forbidden(action, principal.role.value)
        return principal

    gate.action = action  # type: ignore[attr-defined]
    return gate


def check_region(who: Principal, region: str, action: str) -> None:
    if not may_act_in_region(who, region):
        raise Forbidden(f"{action} in {region}", who.role.value)


async def check_authority_region(registers: RegisterService, who: Principal, authority: str,
                                 action: str) -> None:
    """Commissioning and deploying are for councils in the coordinator's own region."""
    found = await call(registers.get_authority, authority)
    check_region(who, found["region"], action)


RegistersDep = Annotated[RegisterService, Depends(_registers)]
Reader = Annotated[Principal, Depends(allowed("read registers"))]
Keeper = Annotated[Principal, Depends(allowed("keep registers"))]
Matcher = Annotated[Principal, Depends(allowed("match support"))]
Commissioner = Annotated[Principal, Depends(allowed("commission from the matrix"))]
Deployer = Annotated[Principal, Depends(allowed("deploy a registered peer"))]
Treasurer = Annotated[Principal, Depends(allowed("manage support budget"))]


async def call(fn, *args: Any, **kwargs: Any) -> Any:
    return await in_thread(lambda: fn(*args, **kwargs))


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- authorities ------------------------------------------------------------------

class AuthorityIn(Input):
    name: str = Field(max_length=200, examples=["Ashby Vale District Council"])
    authority_type: str = Field(examples=["district"])
    region: str = Field(examples=["East Midlands"])
    sub_region: str | None = Field(None, examples=["Trentside"])
    mutuality_signed_on: date | None = None
    last_self_evaluation: date | None = None
    last_peer_challenge: date | None = None


class DateIn(Input):
    on: date


@router.get("/authorities")
async def list_authorities(registers: RegistersDep, _: Reader,
                           region: str | None = None) -> list[dict]:
    return await call(registers.list_authorities, region)


@router.post("/authorities", status_code=status.HTTP_201_CREATED)
async def register_authority(body: AuthorityIn, registers: RegistersDep, who: Keeper) -> dict:
    await call(registers.register_authority, **body.model_dump(), actor_id=who.id)
    return await call(registers.get_authority, body.name)


@router.post("/authorities/import", status_code=status.HTTP_201_CREATED,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {
                 "type": "string"}}}}})
async def import_authorities(request: Request, registers: RegistersDep, who: Keeper):
    """A CSV file imports whole or not at all; a refusal lists every bad row."""
    text = (await request.body()).decode("utf-8", errors="replace")
    try:
        return await call(registers.import_authorities_csv, text, actor_id=who.id)
    except ImportRefused as refused:
        return problem(422, "csv rows refused", refused.message, rule=refused.rule,
                       field=refused.field, rows=refused.rows)


@router.get("/authorities/duties")
async def authority_duties(registers: RegistersDep, _: Reader,
                           as_of: date | None = None) -> list[dict]:
    return await call(registers.authority_duties, as_of)


@router.get("/authorities/{name}")
async def get_authority(name: str, registers: RegistersDep, _: Reader) -> dict:
    return await call(registers.get_authority, name)


@router.post("/authorities/{name}/self-evaluations")
async def record_self_evaluation(name: str, body: DateIn, registers: RegistersDep,
                                 who: Keeper) -> dict:
    return await call(registers.record_self_evaluation, name, on=body.on, actor_id=who.id)


@router.post("/authorities/{name}/peer-challenges")
async def record_peer_challenge(name: str, body: DateIn, registers: RegistersDep,
                                who: Keeper) -> dict:
    return await call(registers.record_peer_challenge, name, on=body.on, actor_id=who.id)


@router.post("/authorities/{name}/mutuality-statement")
async def sign_mutuality_statement(name: str, body: DateIn, registers: RegistersDep,
                                   who: Keeper) -> dict:
    return await call(registers.sign_mutuality_statement, name, on=body.on, actor_id=who.id)


# -- peers ------------------------------------------------------------------------

class PeerIn(Input):
    name: str = Field(max_length=200)
    role: str = Field(examples=["officer"])
    council: str = Field(examples=["Eastshire County Council"])
    problem_natures: list[str] = Field(examples=[["financial", "capacity"]])
    service_areas: list[str] = Field(examples=[["finance"]])
    days_per_quarter: int


class DeploymentIn(Input):
    case_id: str
    authority: str
    days: int


@router.get("/peers")
async def list_peers(registers: RegistersDep, _: Reader) -> list[dict]:
    return await call(registers.list_peers)


@router.post("/peers", status_code=status.HTTP_201_CREATED)
async def accredit_peer(body: PeerIn, registers: RegistersDep, who: Keeper) -> dict:
    peer_id = await call(registers.accredit_peer, **body.model_dump(), actor_id=who.id)
    return await call(registers.get_peer, peer_id)


@router.get("/peers/{peer_id}")
async def get_peer(peer_id: UUID, registers: RegistersDep, _: Reader) -> dict:
    return await call(registers.get_peer, peer_id)


@router.post("/peers/{peer_id}/deployments", status_code=status.HTTP_201_CREATED)
async def deploy_peer(peer_id: UUID, body: DeploymentIn, registers: RegistersDep,
                      who: Deployer) -> dict:
    await check_authority_region(registers, who, body.authority, "deploy a peer")
    return await call(registers.deploy_peer, peer_id, **body.model_dump(), actor_id=who.id)


@router.post("/peers/{peer_id}/deployments/{deployment_id}/end")
async def end_peer_deployment(peer_id: UUID, deployment_id: str, registers: RegistersDep,
                              who: Deployer) -> dict:
    return await call(registers.end_peer_deployment, peer_id, deployment_id, actor_id=who.id)


# -- the support matrix -----------------------------------------------------------

class OfferIn(Input):
    title: str = Field(max_length=200)
    provider: str = Field(max_length=200)
    provider_type: str = Field(examples=["sub-regional partnership"])
    region: str | None = Field(None, description="None: offered in every region.")
    problem_natures: list[str]
    service_areas: list[str]
    days_per_year: int
    cost_per_day: int = Field(description="Whole pounds; 0 is free at the point of delivery.")
    lead_time_days: int
    provider_council: str | None = Field(None, description="For an excellent council's team.")
    assesses: list[str] = Field([], description="Councils this provider also assesses.")


class CommissionIn(DeploymentIn):
    pass


@router.get("/support-offers")
async def list_offers(registers: RegistersDep, _: Reader) -> list[dict]:
    return await call(registers.list_offers)


@router.post("/support-offers", status_code=status.HTTP_201_CREATED)
async def publish_offer(body: OfferIn, registers: RegistersDep, who: Keeper) -> dict:
    offer_id = await call(registers.publish_offer, **body.model_dump(), actor_id=who.id)
    return await call(registers.get_offer, offer_id)


@router.get("/support-offers/{offer_id}")
async def get_offer(offer_id: UUID, registers: RegistersDep, _: Reader) -> dict:
    return await call(registers.get_offer, offer_id)


@router.post("/support-offers/{offer_id}/commissions", status_code=status.HTTP_201_CREATED)
async def commission_offer(offer_id: UUID, body: CommissionIn, registers: RegistersDep,
                           who: Commissioner) -> dict:
    await check_authority_region(registers, who, body.authority, "commission support")
    return await call(registers.commission_offer, offer_id, **body.model_dump(),
                      actor_id=who.id)


@router.post("/support-offers/{offer_id}/commissions/{commission_id}/end")
async def end_commission(offer_id: UUID, commission_id: str, registers: RegistersDep,
                         who: Commissioner) -> dict:
    return await call(registers.end_commission, offer_id, commission_id, actor_id=who.id)


@router.get("/support-matches")
async def match_support(
    registers: RegistersDep, _: Matcher, authority: str,
    problem_nature: Annotated[list[str], Query()],
    service_area: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies it
    days: int = 1,
) -> dict:
    """Offers and peers ranked by fit for a diagnosis, and who was left out and why."""
    return await call(registers.match, authority=authority, problem_natures=problem_nature,
                      service_areas=service_area, days=days)


# -- budgets and the regional picture ---------------------------------------------

class BudgetIn(Input):
    region: str
    financial_year: str = Field(examples=["2026/27"])
    total: int = Field(description="The RIEP's total annual budget, whole pounds.")
    allocation: int = Field(description="For supporting struggling authorities: at most 5%.")


class CommitmentIn(Input):
    region: str
    financial_year: str
    case_id: str
    authority: str
    amount: int
    purpose: str


class SpendIn(Input):
    amount: int


@router.put("/budgets")
async def set_budget(body: BudgetIn, registers: RegistersDep, who: Treasurer) -> dict:
    check_region(who, body.region, "set the support budget")
    return await call(registers.set_budget, **body.model_dump(), actor_id=who.id)


@router.get("/budgets")
async def get_budget(registers: RegistersDep, _: Reader, region: str,
                     financial_year: str) -> dict:
    return await call(registers.get_budget, region, financial_year)


@router.post("/budgets/commitments", status_code=status.HTTP_201_CREATED)
async def commit_budget(body: CommitmentIn, registers: RegistersDep, who: Treasurer) -> dict:
    check_region(who, body.region, "commit the support budget")
    return await call(registers.commit_budget, **body.model_dump(), actor_id=who.id)


@router.post("/budgets/commitments/{commitment_id}/spend")
async def record_spend(commitment_id: str, body: SpendIn = Body(), *,
                       registers: RegistersDep, who: Treasurer) -> dict:
    return await call(registers.record_spend, commitment_id, amount=body.amount,
                      actor_id=who.id)


@router.get("/regions/support-picture")
async def support_picture(registers: RegistersDep, _: Reader,
                          financial_year: str | None = None) -> list[dict]:
    """Per region: authorities, offers in use, peers deployed, budget against allocation."""
    return await call(registers.regional_picture, financial_year)
