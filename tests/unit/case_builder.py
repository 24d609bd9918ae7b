"""A case walked to a given point, for the domain's unit tests."""

from datetime import UTC, datetime, timedelta

from domain.case import Case
from tests.helpers import OPEN_CASE

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
COUNCIL = dict(actor_id="liaison-1", actor_role="authority liaison")
ACTIONS = [
    dict(description="Interim director of children's services", owner="Chief executive",
         provider="IDeA", cost=0, due="2027-03-31", measure="Director in post"),
    dict(description="Social work caseload review", owner="Director", provider="RIEP",
         cost="12000", due="2027-06-30", measure="Caseloads under 20"),
]


def opened(**overrides) -> Case:
    fields = dict(OPEN_CASE, raised_at=NOW, diagnosis_due=NOW + timedelta(days=14), **ACTOR)
    fields.update(overrides)
    return Case.raise_concern(**fields)


def diagnosed(case: Case | None = None) -> Case:
    case = case or opened()
    case.record_diagnosis(summary="Weak leadership", problem_natures=["capability"],
                          evidence=["inspection"], root_causes=["turnover"], recorded_at=NOW,
                          **ACTOR)
    return case


def drafted(case: Case | None = None) -> Case:
    case = case or diagnosed()
    case.draft_plan(summary="Stabilise children's services", actions=ACTIONS,
                    adviser_id="adviser-1", recorded_at=NOW, **ACTOR)
    return case


def agreed(case: Case | None = None) -> Case:
    case = case or drafted()
    case.agree_plan(reason="Co-designed with us", recorded_at=NOW, **COUNCIL)
    return case


def types(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.collect_events()]
