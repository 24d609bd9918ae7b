"""Demo cases: one per case study of the sector's own paper, each at a different stage.

The councils are the demo registers' invented ones (services/ops/demo_data.py); the
stories follow the paper's appendix of case studies: a children's safeguarding
peer team of two council officers, a children's charity's official and a member peer
(deployed, at the RIEP stage), a council out of special measures
asking for peer challenge to keep improving (diagnosed, still local), and a
finance and governance recovery with an improvement group (closed, improved and
handed back). Each is driven through the same commands people use, so its
history reads as a real one. A case already loaded (same council and summary)
is left as it is, so loading twice adds nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict
from uuid import UUID

from services.cases.service import CaseService
from services.registers.service import RegisterService

COORDINATOR = "coordinator"
LIAISON = "authority liaison"
ADVISER = "adviser"


class Actor(TypedDict):
    """Who recorded a demo step, as the case's events name them."""

    actor_id: str
    actor_role: str


@dataclass(frozen=True)
class DemoCase:
    """A case study: where the concern came from, and how far the case has gone."""

    authority: str
    region: str
    summary: str
    source: str
    issue_type: str
    expected_stage: str
    expected_status: str
    progress: Callable[[CaseService, RegisterService, UUID, "DemoCase"], None]

    @property
    def coordinator(self) -> Actor:
        return {"actor_id": f"demo coordinator ({self.region})", "actor_role": COORDINATOR}

    @property
    def liaison(self) -> Actor:
        return {"actor_id": f"demo liaison ({self.authority})", "actor_role": LIAISON}


def _next_spring() -> str:
    return (datetime.now(UTC).date() + timedelta(days=180)).isoformat()


def _diagnosed_locally(cases: CaseService, _: RegisterService, case_id: UUID,
                       study: DemoCase) -> None:
    """Out of special measures, the council asks for peers to challenge it further."""
    cases.assess_risk(case_id, kind="inherent", impact="medium", likelihood="low",
                      reason="Improving well; the council itself asked for challenge",
                      **study.coordinator)
    cases.record_diagnosis(
        case_id, summary="Five services chosen by the council's own self-assessment: housing, "
        "customer service, worklessness, value for money and health inequality",
        problem_natures=["capability"], evidence=["Council self-assessment",
                                                  "Direction-of-travel statement"],
        root_causes=["Strategies not yet linked to the local area agreement's outcomes"],
        **study.coordinator)


def _peers_at_work(cases: CaseService, registers: RegisterService, case_id: UUID,
                   study: DemoCase) -> None:
    """A joint area review found weak safeguarding; a peer team works with the council."""
    cases.assess_risk(case_id, kind="inherent", impact="high", likelihood="medium",
                      reason="Safeguarding weaknesses could lead to unsafe practice",
                      **study.coordinator)
    cases.record_diagnosis(
        case_id, summary="The local safeguarding children board's roles are unclear; "
        "capacity, thresholds and quality assurance need work",
        problem_natures=["capability", "capacity"],
        evidence=["Joint area review", "Staff baseline survey"],
        root_causes=["Board members unclear of its remit", "Services working in silos"],
        **study.coordinator)
    cases.acknowledge_need(case_id, reason="The council asked for a peer team's help",
                           **study.liaison)
    cases.change_stage(case_id, to_stage="RIEP", reason="Referred with the council's "
                       "agreement for a peer team on safeguarding", **study.coordinator)
    cases.draft_plan(case_id, summary="Peer team on safeguarding, with two Beacon councils",
                     adviser_id="demo adviser", actions=[
                         {"description": "Review the safeguarding board's membership and "
                          "appoint an independent chair", "owner": "Director of children's "
                          "services", "provider": "peer team", "due": _next_spring(),
                          "measure": "Independent chair in post"},
                         {"description": "Reduce social work caseloads across the directorate",
                          "owner": "Head of safeguarding", "provider": "the council",
                          "due": _next_spring(), "measure": "Caseloads within agreed limits"}],
                     **study.coordinator)
    cases.agree_plan(case_id, reason="Cabinet agreed the plan", **study.liaison)
    for name, role, reason in SAFEGUARDING_TEAM:
        peer = _peer(registers, name)
        if peer is not None:
            cases.deploy_peer(case_id, peer_id=peer, days=4, role=role, reason=reason,
                              **study.coordinator)


SAFEGUARDING_TEAM = [
    ("Rachel Okafor", "officer peer", "Integrated children's services experience"),
    ("Hannah Reid", "officer peer", "A Beacon council's safeguarding board"),
    ("Marcus Bell", "official from a children's charity", "Safeguarding practice"),
    ("Cllr Amira Haddad", "member peer", "Scrutiny of children's services"),
]
"""Seed 004's Midthorpe team, as the demo's invented people: two officers of Beacon
councils, an official of a children's charity (the NSPCC in the seed) and a member peer."""


def _closed_improved(cases: CaseService, _: RegisterService, case_id: UUID,
                     study: DemoCase) -> None:
    """Weak financial management and member behaviour; an improvement group; handed back."""
    cases.assess_risk(case_id, kind="inherent", impact="high", likelihood="high",
                      reason="Use of resources judged weak across finance and governance",
                      **study.coordinator)
    cases.record_diagnosis(
        case_id, summary="Weak financial and corporate management and planning; member "
        "behaviour", problem_natures=["financial", "political"],
        evidence=["Use-of-resources judgement", "Finance peer review"],
        root_causes=["No medium-term financial plan", "Unclear member and officer roles"],
        **study.coordinator)
    cases.acknowledge_need(case_id, reason="The leader and chief executive asked for peers",
                           **study.liaison)
    cases.change_stage(case_id, to_stage="RIEP", reason="Referred with the council's "
                       "agreement; an improvement group to be formed", **study.coordinator)
    measure = "Medium-term financial plan adopted"
    cases.draft_plan(case_id, summary="Finance peer review and an improvement group",
                     adviser_id="demo adviser", actions=[
                         {"description": "Finance peer review led by a former chief executive",
                          "owner": "Chief executive", "provider": "National Improvement Body",
                          "due": _next_spring(), "measure": measure}],
                     **study.coordinator)
    cases.agree_plan(case_id, reason="Leader and chief executive agreed", **study.liaison)
    cases.review_progress(case_id, measures={measure: "on track"}, judgement="improving",
                          reason="Reserves rebuilt; the improvement group monitors delivery",
                          **study.coordinator)
    cases.close_case(case_id, outcome="improved and handed back",
                     exit_strategy={
                         "handover": "Improvement moves into the council's own budget and "
                                     "performance cycle; the improvement group concludes "
                                     "as planned",
                         "led_by": "The chief executive, reporting to cabinet each quarter"},
                     **study.coordinator)


def _peer(registers: RegisterService, name: str) -> UUID | None:
    found = [p["id"] for p in registers.list_peers() if p["name"] == name]
    return found[0] if found else None


CASE_STUDIES: list[DemoCase] = [
    DemoCase("Humberside Vale Council", "Yorkshire and the Humber",
             "Out of special measures; asks for peer challenge to keep improving",
             "council asked for help", "moving towards excellence", "local", "open",
             _diagnosed_locally),
    DemoCase("Soarbridge City Council", "East Midlands",
             "Joint area review: safeguarding of children needs improvement",
             "inspectorate report", "service-specific issue", "RIEP", "open", _peers_at_work),
    DemoCase("Irwell Metropolitan Borough Council", "North West",
             "Weak financial and corporate management, and member behaviour",
             "use-of-resources judgement", "failure on critical success factors", "RIEP",
             "closed", _closed_improved),
]


def load_demo_cases(cases: CaseService, registers: RegisterService) -> int:
    """Open and progress each case study not yet loaded; returns how many were added."""
    loaded = {(c["authority"], c["summary"]) for c in map(cases.get_case, cases.case_ids())}
    added = 0
    for study in CASE_STUDIES:
        if (study.authority, study.summary) in loaded:
            continue
        case_id = cases.open_case(authority=study.authority, region=study.region,
                                  summary=study.summary, source=study.source,
                                  issue_type=study.issue_type, **study.coordinator)
        study.progress(cases, registers, case_id, study)
        added += 1
    return added


