"""A demo set: the nine English regions with fictional councils, and a few cases.

Every council, peer and offer here is invented; the regions, council types and
providers are the real kinds. Loading is idempotent, so `make run DEMO=1` may
be run again and again: what is already registered is left as it is. The cases
(services/ops/demo_cases.py) follow the sector's own case studies, at different stages.

    casework demo          # loads into the configured store
"""

from datetime import UTC, datetime
from typing import Any

from domain.budget import financial_year
from services.cases.service import CaseService
from services.ops.demo_cases import load_demo_cases
from services.registers.service import AlreadyRegistered, NotRegistered, RegisterService

ACTOR = {"actor_id": "demo-data"}

# region: (sub-region, [(council, type)], RIEP total budget in pounds)
REGIONS: dict[str, tuple[str, list[tuple[str, str]], int]] = {
    "North East": ("Tyne and Wear", [
        ("Hollinside Metropolitan Borough Council", "metropolitan borough"),
        ("Wearmouth City Council", "metropolitan borough"),
        ("Teesbank Borough Council", "unitary")], 3_200_000),
    "North West": ("Greater Mersey", [
        ("Northshire County Council", "county"),
        ("Ribbleford Borough Council", "district"),
        ("Irwell Metropolitan Borough Council", "metropolitan borough"),
        ("Lunedale District Council", "district")], 5_600_000),
    "Yorkshire and the Humber": ("West Riding", [
        ("Calderbrook Metropolitan Borough Council", "metropolitan borough"),
        ("Humberside Vale Council", "unitary"),
        ("Swaledale District Council", "district")], 4_400_000),
    "East Midlands": ("Trentside", [
        ("Eastshire County Council", "county"),
        ("Ashby Vale District Council", "district"),
        ("Soarbridge City Council", "unitary"),
        ("Wreake District Council", "district")], 4_000_000),
    "West Midlands": ("Black Country", [
        ("Tamewell Metropolitan Borough Council", "metropolitan borough"),
        ("Severnside County Council", "county"),
        ("Arrowfield District Council", "district")], 5_100_000),
    "East of England": ("Fens and Broads", [
        ("Fenland Marsh District Council", "district"),
        ("Ouse Valley County Council", "county"),
        ("Colnebury Borough Council", "unitary")], 4_600_000),
    "London": ("North London", [
        ("London Borough of Northgate", "London borough"),
        ("London Borough of Riverside", "London borough"),
        ("Royal Borough of Kingsmead", "London borough")], 6_800_000),
    "South East": ("Downs and Weald", [
        ("Wealdshire County Council", "county"),
        ("Medway Reach Council", "unitary"),
        ("Arundale District Council", "district")], 6_200_000),
    "South West": ("Peninsula", [
        ("Tamarside Council", "unitary"),
        ("Exmoor Vale District Council", "district"),
        ("Severn Cross County Council", "county")], 4_800_000),
}

# (name, role, council, natures, service areas, days a quarter)
PEERS: list[tuple[str, str, str, list[str], list[str], int]] = [
    ("Cllr Margaret Hale", "councillor", "Northshire County Council",
     ["political", "capability"], ["corporate leadership", "governance"], 8),
    ("Dev Sharma", "officer", "Eastshire County Council",
     ["financial", "capacity"], ["finance", "commissioning"], 12),
    ("Cllr Owen Pryce", "councillor", "Tamarside Council",
     ["political"], ["governance"], 6),
    ("Rachel Okafor", "officer", "London Borough of Riverside",
     ["capability", "capacity"], ["children's services", "workforce"], 10),
    ("Tom Baines", "officer", "Calderbrook Metropolitan Borough Council",
     ["financial"], ["finance", "housing"], 9),
    ("Priya Natarajan", "officer", "Severnside County Council",
     ["capability"], ["adult social care", "commissioning"], 10),
    ("Cllr Janet Moore", "councillor", "Wealdshire County Council",
     ["political", "capability"], ["corporate leadership"], 5),
    ("Alan Whitfield", "officer", "Hollinside Metropolitan Borough Council",
     ["capacity", "capability"], ["waste", "planning"], 8),
    ("Sophie Clarke", "officer", "Ouse Valley County Council",
     ["financial", "capability"], ["finance", "corporate leadership"], 7),
    ("Hannah Reid", "officer", "Colnebury Borough Council",
     ["capability", "capacity"], ["children's services"], 8),
    ("Cllr Amira Haddad", "councillor", "Tamewell Metropolitan Borough Council",
     ["capability", "political"], ["children's services", "governance"], 6),
]

# Peers from partner organisations (seed 004's Midthorpe team had "an official from
# the NSPCC"): the organisation and its kind, and the councils they may not support.
PARTNER_PEERS: list[dict[str, Any]] = [
    dict(name="Marcus Bell", role="official", organisation="Safe Childhoods Trust",
         organisation_kind="charity", problem_natures=["capability", "capacity"],
         service_areas=["children's services"], days_per_quarter=8,
         conflicts_of_interest=["Ouse Valley County Council"]),
    dict(name="Helen Ashworth", role="official", organisation="National Improvement Body",
         organisation_kind="national improvement body",
         problem_natures=["capability", "political"],
         service_areas=["corporate leadership", "governance"], days_per_quarter=10),
]

NATIONAL_OFFERS: list[dict[str, Any]] = [
    dict(title="Corporate peer challenge and diagnostic", provider="National Improvement Body",
         provider_type="national improvement body", problem_natures=["capability", "political"],
         service_areas=["corporate leadership", "governance"], days_per_year=120,
         cost_per_day=0, lead_time_days=20),
    dict(title="Political leadership mentoring", provider="The Leadership Centre",
         provider_type="leadership centre", problem_natures=["political"],
         service_areas=["corporate leadership"], days_per_year=60, cost_per_day=0,
         lead_time_days=10),
    dict(title="Workforce and HR support", provider="The Employers' Body",
         provider_type="employers' body", problem_natures=["capacity"],
         service_areas=["workforce"], days_per_year=80, cost_per_day=0, lead_time_days=15),
    dict(title="Financial turnaround programme", provider="Meridian Public Finance Ltd",
         provider_type="private sector", problem_natures=["financial", "capacity"],
         service_areas=["finance", "commissioning"], days_per_year=200, cost_per_day=1_100,
         lead_time_days=5),
]


def regional_offers(region: str, sub_region: str, councils: list[str]) -> list[dict[str, Any]]:
    """Each RIEP's own offer, a sub-regional one, and an excellent council's team."""
    excellent = councils[0]
    return [
        dict(title=f"{region} improvement adviser", provider=f"{region} RIEP",
             provider_type="RIEP", region=region, problem_natures=["capability", "capacity"],
             service_areas=["corporate leadership", "commissioning"], days_per_year=90,
             cost_per_day=0, lead_time_days=10),
        dict(title=f"{sub_region} finance review", provider=f"{sub_region} Partnership",
             provider_type="sub-regional partnership", region=region,
             problem_natures=["financial"], service_areas=["finance"], days_per_year=40,
             cost_per_day=450, lead_time_days=15, assesses=councils[1:]),
        dict(title="Service recovery team", provider=f"{excellent} improvement team",
             provider_type="excellent council team", region=region,
             problem_natures=["capability", "capacity"],
             service_areas=["children's services", "adult social care", "waste"],
             days_per_year=50, cost_per_day=600, lead_time_days=20,
             provider_council=excellent),
    ]


def _register(add, *args, **kwargs) -> int:
    """1 when added, 0 when it was already there."""
    try:
        add(*args, **kwargs)
        return 1
    except AlreadyRegistered:
        return 0


def _set_budget_once(registers: RegisterService, region: str, year: str, total: int) -> int:
    """The full 5% for struggling authorities, unless this year's budget is already set."""
    try:
        registers.get_budget(region, year)
        return 0
    except NotRegistered:
        registers.set_budget(region=region, financial_year=year, total=total,
                             allocation=total * 5 // 100, **ACTOR)
        return 1


def load_demo(registers: RegisterService, *, today: datetime | None = None) -> dict[str, int]:
    """Load the demo set; returns how many of each were newly added."""
    year = financial_year((today or datetime.now(UTC)).date())
    added = {"authorities": 0, "peers": 0, "offers": 0, "budgets": 0}
    for n, (region, (sub_region, councils, total)) in enumerate(REGIONS.items()):
        for i, (name, kind) in enumerate(councils):
            added["authorities"] += _register(
                registers.register_authority, name=name, authority_type=kind, region=region,
                sub_region=sub_region, mutuality_signed_on="2025-05-01",
                last_self_evaluation=f"{2025 + (i % 2)}-0{1 + (n + i) % 9}-15",
                last_peer_challenge=f"{2021 + (n + i) % 4}-0{1 + i}-10", **ACTOR)
        for fields in regional_offers(region, sub_region, [c for c, _ in councils]):
            added["offers"] += _register(registers.publish_offer, **fields, **ACTOR)
        added["budgets"] += _set_budget_once(registers, region, year, total)
    for fields in NATIONAL_OFFERS:
        added["offers"] += _register(registers.publish_offer, region=None, **fields, **ACTOR)
    for name, role, council, natures, areas, days in PEERS:
        added["peers"] += _register(registers.accredit_peer, name=name, role=role,
                                    council=council, problem_natures=natures,
                                    service_areas=areas, days_per_quarter=days, **ACTOR)
    for fields in PARTNER_PEERS:
        added["peers"] += _register(registers.accredit_peer, **fields, **ACTOR)
    return added


def load_everything(registers: RegisterService, cases: CaseService) -> dict[str, int]:
    """The registers, then the case studies' cases on them; what was newly added."""
    added = load_demo(registers)
    added["cases"] = load_demo_cases(cases, registers)
    return added
