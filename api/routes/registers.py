"""Register routes: authorities, peers, the support matrix, budgets and the picture.

Each route parses its input, makes one call to the register service and maps
the answer back; every rule lives in domain/, every refusal is problem+json.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request, status
from pydantic import ConfigDict, Field

from api.deps import (
    CasesDep,
    CommandsDep,
    Forbidden,
    PrincipalDep,
    check_case_access,
)
from api.errors import problem
from api.fields import Count, Day
from api.text import RequestBody
from api.threads import in_thread
from domain.identity import Principal
from domain.register_access import may_use_registers, region_refusal
from services.cases.handler import Actor, CaseCommandHandler
from services.registers.service import ImportRefused, RegisterService

router = APIRouter(tags=["registers"])

ENDED_IN_THE_REGISTER = "Ended through the register (the support matrix's end route)"


def _registers(request: Request) -> RegisterService:
    """The process's register service (services/bootstrap.py)."""
    registers: RegisterService = request.app.state.registers
    return registers


def allowed(action: str):
    async def gate(principal: PrincipalDep) -> Principal:
        if not may_use_registers(principal, action):
            raise Forbidden(action, principal.role.value)
        return principal

    gate.action = action  # type: ignore[attr-defined]
    return gate


class OutsideRegion(Forbidden):
    """A register write in a region the person does not act for (or with no region)."""

    rule = "own_region_only"

    def __init__(self, reason: str, action: str) -> None:
        Exception.__init__(self, reason)
        self.action = action


def check_region(who: Principal, region: str | None, action: str) -> None:
    """Every register write passes here with the region it touches (domain/register_access)."""
    reason = region_refusal(who, region)
    if reason is not None:
        raise OutsideRegion(f"{reason}: {action}", action)


async def check_region_of(who: Principal, action: str, find, *args: Any) -> None:
    """The region found by `find(*args)` (a register lookup); None skips to the write,
    which then refuses what is not registered."""
    check_region(who, await call(find, *args), action)


RegistersDep = Annotated[RegisterService, Depends(_registers)]
Reader = Annotated[Principal, Depends(allowed("read registers"))]
Keeper = Annotated[Principal, Depends(allowed("keep registers"))]
Matcher = Annotated[Principal, Depends(allowed("match support"))]
Commissioner = Annotated[Principal, Depends(allowed("commission from the matrix"))]
Treasurer = Annotated[Principal, Depends(allowed("manage support budget"))]


async def call(fn, *args: Any, **kwargs: Any) -> Any:
    return await in_thread(lambda: fn(*args, **kwargs))


class Input(RequestBody):
    model_config = ConfigDict(extra="forbid")


# -- authorities ------------------------------------------------------------------

class AuthorityIn(Input):
    name: str = Field(max_length=200, examples=["Ashby Vale District Council"])
    authority_type: str = Field(examples=["district"])
    region: str = Field(examples=["East Midlands"])
    sub_region: str | None = Field(None, examples=["Trentside"])
    mutuality_signed_on: Day | None = None
    last_self_evaluation: Day | None = None
    last_peer_challenge: Day | None = None


class DateIn(Input):
    on: Day


@router.get("/authorities")
async def list_authorities(registers: RegistersDep, _: Reader,
                           region: str | None = None) -> list[dict]:
    return await call(registers.list_authorities, region)


@router.post("/authorities", status_code=status.HTTP_201_CREATED)
async def register_authority(body: AuthorityIn, registers: RegistersDep, who: Keeper) -> dict:
    check_region(who, body.region, "register an authority")
    await call(registers.register_authority, **body.model_dump(), actor_id=who.id)
    return await call(registers.get_authority, body.name)


@router.post("/authorities/import", status_code=status.HTTP_201_CREATED,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {
                 "type": "string"}}}}})
async def import_authorities(request: Request, registers: RegistersDep, who: Keeper):
    """A CSV file imports whole or not at all; a refusal lists every bad row."""
    data = await request.body()  # decoded by the import, which refuses what is not UTF-8
    check_region(who, None, "import authorities")
    try:
        return await call(registers.import_authorities_csv, data, actor_id=who.id,
                          only_region=who.region if who.role.value != "admin" else None)
    except ImportRefused as refused:
        return problem(422, "csv rows refused", refused.message, rule=refused.rule,
                       field=refused.field, rows=refused.rows)


@router.get("/authorities/duties")
async def authority_duties(registers: RegistersDep, _: Reader,
                           as_of: Day | None = None) -> list[dict]:
    return await call(registers.authority_duties, as_of)


@router.get("/authorities/{name}")
async def get_authority(name: str, registers: RegistersDep, _: Reader) -> dict:
    return await call(registers.get_authority, name)


@router.post("/authorities/{name}/self-evaluations")
async def record_self_evaluation(name: str, body: DateIn, registers: RegistersDep,
                                 who: Keeper) -> dict:
    await check_region_of(who, "record a self-evaluation", registers.region_of_authority, name)
    return await call(registers.record_self_evaluation, name, on=body.on, actor_id=who.id)


@router.post("/authorities/{name}/peer-challenges")
async def record_peer_challenge(name: str, body: DateIn, registers: RegistersDep,
                                who: Keeper) -> dict:
    await check_region_of(who, "record a peer challenge", registers.region_of_authority, name)
    return await call(registers.record_peer_challenge, name, on=body.on, actor_id=who.id)


@router.post("/authorities/{name}/mutuality-statement")
async def sign_mutuality_statement(name: str, body: DateIn, registers: RegistersDep,
                                   who: Keeper) -> dict:
    await check_region_of(who, "record the mutuality statement",
                          registers.region_of_authority, name)
    return await call(registers.sign_mutuality_statement, name, on=body.on, actor_id=who.id)


# -- peers ------------------------------------------------------------------------

class PeerIn(Input):
    """A peer from a council (`council`, or `organisation` of kind `council`) or from a
    partner organisation (`organisation` with its `organisation_kind`)."""

    name: str = Field(max_length=200)
    role: str = Field(examples=["officer"],
                      description="councillor or officer of a council; official of a partner "
                                  "organisation.")
    council: str | None = Field(None, max_length=200, examples=["Eastshire County Council"],
                                description="A council peer's own council, as registered.")
    organisation: str | None = Field(None, max_length=200, examples=["NSPCC"],
                                     description="The peer's own organisation.")
    organisation_kind: str = Field("council", examples=["charity"])
    conflicts_of_interest: list[str] = Field(
        [], max_length=100, examples=[["Munbridge City Council"]],
        description="Registered councils this peer may not support, besides their own.")
    problem_natures: list[str] = Field(examples=[["financial", "capacity"]])
    service_areas: list[str] = Field(examples=[["finance"]])
    days_per_quarter: Count
    account: str | None = Field(None, min_length=1, max_length=100, examples=["pete"],
                                description="The peer's casework account (a username), if "
                                            "any: a deployment then lets them see the case.")


class PeerAccountIn(Input):
    """The peer's casework account, or null to unlink it."""

    account: str | None = Field(max_length=100, examples=["pete"])


@router.get("/peers")
async def list_peers(registers: RegistersDep, _: Reader) -> list[dict]:
    return await call(registers.list_peers)


@router.post("/peers", status_code=status.HTTP_201_CREATED)
async def accredit_peer(body: PeerIn, registers: RegistersDep, who: Keeper) -> dict:
    await check_region_of(who, "accredit a peer", registers.region_of_authority,
                          body.council or body.organisation)
    peer_id = await call(registers.accredit_peer, **body.model_dump(), actor_id=who.id)
    return await call(registers.get_peer, peer_id)


@router.get("/peers/{peer_id}")
async def get_peer(peer_id: UUID, registers: RegistersDep, _: Reader) -> dict:
    return await call(registers.get_peer, peer_id)


@router.put("/peers/{peer_id}/account")
async def link_peer_account(peer_id: UUID, body: PeerAccountIn, registers: RegistersDep,
                            who: Keeper) -> dict:
    """Link the peer's casework account, recorded in the register: deploying them from the
    register then names it, so the peer reads the case and records visits."""
    peer = await call(registers.get_peer, peer_id)
    await check_region_of(who, "link a peer's account", registers.region_of_authority,
                          peer["organisation"])
    return await call(registers.link_peer_account, peer_id, account=body.account or None,
                      actor_id=who.id)


# -- the support matrix -----------------------------------------------------------

class OfferIn(Input):
    title: str = Field(max_length=200)
    provider: str = Field(max_length=200)
    provider_type: str = Field(examples=["sub-regional partnership"])
    region: str | None = Field(None, description="None: offered in every region.")
    problem_natures: list[str]
    service_areas: list[str]
    days_per_year: Count
    cost_per_day: Count = Field(description="Whole pounds; 0 is free at the point of delivery.")
    lead_time_days: Count
    provider_council: str | None = Field(None, description="For an excellent council's team.")
    assesses: list[str] = Field([], description="Councils this provider also assesses.")


@router.get("/support-offers")
async def list_offers(registers: RegistersDep, _: Reader) -> list[dict]:
    return await call(registers.list_offers)


@router.post("/support-offers", status_code=status.HTTP_201_CREATED)
async def publish_offer(body: OfferIn, registers: RegistersDep, who: Keeper) -> dict:
    check_region(who, body.region, "publish an offer")
    offer_id = await call(registers.publish_offer, **body.model_dump(), actor_id=who.id)
    return await call(registers.get_offer, offer_id)


@router.get("/support-offers/{offer_id}")
async def get_offer(offer_id: UUID, registers: RegistersDep, _: Reader) -> dict:
    return await call(registers.get_offer, offer_id)


class CommissionEndIn(Input):
    reason: str = Field(ENDED_IN_THE_REGISTER, min_length=1, max_length=5000,
                        description="Why: kept in the case's history.")


@router.post("/support-offers/{offer_id}/commissions/{commission_id}/end")
async def end_commission(request: Request, offer_id: UUID, commission_id: str,
                         registers: RegistersDep, cases: CasesDep, commands: CommandsDep,
                         who: Commissioner, body: CommissionEndIn | None = None) -> dict:
    """Ends the commission on the case it was made for, as `POST
    /cases/{id}/commission-ends` does, so the case and the register agree; answers with
    the offer. Only a commission no case shows running is ended in the register alone."""
    await check_region_of(who, "end a commission", registers.region_of_commission, offer_id,
                          commission_id)
    case_id = await call(cases.case_running_commission, offer_id, commission_id)
    if case_id is None:
        await call(registers.end_commission, offer_id, commission_id, actor_id=who.id)
    else:
        await end_on_the_case(request, who, case_id, commission_id,
                              (body or CommissionEndIn()).reason, commands)
    return await call(registers.get_offer, offer_id)


async def end_on_the_case(request: Request, who: Principal, case_id: UUID,
                          commission_id: str, reason: str,
                          commands: CaseCommandHandler) -> None:
    """The case command, behind the case's own role rules and through the one command
    handler; no version is asked for, as the register's clients never had one to give:
    ending names one commission, and a second end of it is refused."""
    access = await check_case_access(request, who, "end commission", case_id)
    await commands.handle(case_id, "end_commission",
                          {"commission_id": commission_id, "reason": reason},
                          Actor(access.id, access.role), expected_version=None)


@router.get("/support-matches")
async def match_support(
    registers: RegistersDep, _: Matcher, authority: str,
    problem_nature: Annotated[list[str], Query()],
    service_area: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies it
    days: int = Query(1, ge=1, le=1_000_000),
) -> dict:
    """Offers and peers ranked by fit for a diagnosis, and who was left out and why."""
    return await call(registers.match, authority=authority, problem_natures=problem_nature,
                      service_areas=service_area, days=days)


# -- budgets and the regional picture ---------------------------------------------

class BudgetIn(Input):
    region: str
    financial_year: str = Field(examples=["2026/27"])
    total: Count = Field(description="The RIEP's total annual budget, whole pounds.")
    allocation: Count = Field(description="For supporting struggling authorities: at most 5%.")


class CommitmentIn(Input):
    region: str
    financial_year: str
    case_id: str
    authority: str
    amount: Count
    purpose: str


class SpendIn(Input):
    amount: Count


@router.put("/budgets")
async def set_budget(body: BudgetIn, registers: RegistersDep, who: Treasurer) -> dict:
    check_region(who, body.region, "set the support budget")
    return await call(registers.set_budget, **body.model_dump(), actor_id=who.id)


@router.get("/budgets")
async def get_budget(registers: RegistersDep, _: Reader, region: str,
                     financial_year: str) -> dict:
    return await call(registers.get_budget, region, financial_year)


@router.post("/budgets/commitments", status_code=status.HTTP_201_CREATED)
async def commit_budget(body: CommitmentIn, registers: RegistersDep, cases: CasesDep,
                        who: Treasurer) -> dict:
    """Money set aside for support bought outside the matrix, for an open case with an
    agreed plan of that council (support from the matrix is commissioned on the case)."""
    check_region(who, body.region, "commit the support budget")
    await call(cases.check_takes_support, body.case_id, body.authority)
    return await call(registers.commit_budget, **body.model_dump(), actor_id=who.id)


@router.post("/budgets/commitments/{commitment_id}/spend")
async def record_spend(commitment_id: str, body: SpendIn = Body(), *,
                       registers: RegistersDep, who: Treasurer) -> dict:
    await check_region_of(who, "spend against a commitment", registers.region_of_commitment,
                          commitment_id)
    return await call(registers.record_spend, commitment_id, amount=body.amount,
                      actor_id=who.id)


@router.get("/regions/support-picture")
async def support_picture(registers: RegistersDep, _: Reader,
                          financial_year: str | None = None) -> list[dict]:
    """Per region: authorities, offers in use, peers deployed, budget against allocation."""
    return await call(registers.regional_picture, financial_year)
