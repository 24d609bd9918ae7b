"""The escalation use cases the workflow calls: read the plan, take one step.

Both read the case afresh from its stream. Taking a step recomputes the
timetable first and acts only if the step is still pending, so a deadline met,
paused or moved since the workflow last looked makes the step moot.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.case import Case
from domain.errors import DomainError
from domain.timetable import (
    ESCALATE,
    PROPOSAL_DEADLINE,
    PROPOSE,
    REMIND_OF_PROPOSAL,
    CaseFacts,
    Step,
    next_stage,
    timetable,
)
from services.cases import CaseNotFound, CaseService, utc_now
from services.escalation import CasePlan, Notice, PlannedStep, StepOutcome, StepRequest
from services.policy import PolicyService

ACTOR = "escalation-workflow"


def case_facts(case: Case) -> CaseFacts:
    """The facts the timetable needs, straight from the aggregate just loaded."""
    proposal = case.pending_escalation
    return CaseFacts(
        status=case.status, stage=case.stage, deadlines=dict(case.deadlines),
        recorded=frozenset(case.reminders) | frozenset(case.escalation_keys),
        since=case.stage_since, proposal_at=proposal["proposed_at"] if proposal else None,
        escalation_allowed=_may_move_up(case),
        started=dict(case.deadline_started),
    )


def _may_move_up(case: Case) -> bool:
    """Whether the ladder lets the case up a rung now (the council's agreement, for one)."""
    to_stage = next_stage(case.stage)
    if to_stage is None:
        return False
    try:
        case.check_stage_move(to_stage)
    except DomainError:
        return False
    return True


def planned(step: Step) -> PlannedStep:
    return PlannedStep(at=step.at.isoformat(), action=step.action, deadline=step.deadline,
                       key=step.key, recipient=step.recipient, to_stage=step.to_stage)


class EscalationSteps:
    """Bound to the case and policy stores, so the worker wires them once."""

    def __init__(self, cases: CaseService, policies: PolicyService,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.cases, self.policies, self.clock = cases, policies, clock

    def plan(self, case_id: str) -> CasePlan:
        """The case's pending steps under its region's current policy, earliest first."""
        case, facts, steps = self._read(case_id)
        return CasePlan(
            status=facts.status, stage=facts.stage,
            deadlines={name: due.isoformat() for name, due in facts.deadlines.items()},
            steps=[planned(s) for s in steps],
            pending_proposal=facts.proposal_at.isoformat() if facts.proposal_at else None,
        )

    def take(self, request: StepRequest) -> StepOutcome:
        """Record the step once if it is still pending; the notice says what to deliver."""
        case, facts, steps = self._read(request.case_id)
        key = request.step.key
        if key in facts.recorded:  # recorded by an earlier attempt: deliver, record nothing
            return self._outcome(True, self._notice(case, request.step), request.case_id)
        if key not in {s.key for s in steps}:
            return self._outcome(False, None, request.case_id)
        recorded = self._record(UUID(request.case_id), request.step, facts)
        notice = self._notice(case, request.step) if recorded else None
        return self._outcome(recorded, notice, request.case_id)

    def _outcome(self, recorded: bool, notice: Notice | None, case_id: str) -> StepOutcome:
        return StepOutcome(recorded=recorded, notice=notice, plan=self.plan(case_id))

    def _read(self, case_id: str) -> tuple[dict[str, Any], CaseFacts, list[Step]]:
        aggregate = self._load(UUID(case_id))
        facts = case_facts(aggregate)
        policy = self.policies.policy_for(aggregate.region)
        case = {"id": aggregate.id, "authority": aggregate.authority,
                "region": aggregate.region}
        return case, facts, timetable(facts, policy, self.clock())

    def _load(self, case_id: UUID) -> Case:
        try:
            return self.cases.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case with id {case_id}", field="case_id") from None

    def _record(self, case_id: UUID, step: PlannedStep, facts: CaseFacts) -> bool:
        reason = (f"the {step.deadline} deadline was missed and reminders went unanswered "
                  f"at the {facts.stage} stage")
        if step.action == ESCALATE:
            return self.cases.escalate(case_id, reason=reason, escalation_key=step.key,
                                       actor_id=ACTOR)
        if step.action == PROPOSE:
            return self.cases.propose_escalation(case_id, reason=reason, proposal_key=step.key,
                                                 actor_id=ACTOR)
        if step.action == REMIND_OF_PROPOSAL:
            return self.cases.remind_of_proposal(case_id, recipient=step.recipient,
                                                 reminder_key=step.key, actor_id=ACTOR)
        return self.cases.issue_reminder(case_id, deadline=step.deadline,
                                         recipient=step.recipient, reminder_key=step.key,
                                         actor_id=ACTOR)

    def _notice(self, case: dict[str, Any], step: PlannedStep) -> Notice:
        policy = self.policies.policy_for(case["region"])
        return Notice(key=step.key, case_id=str(case["id"]), authority=case["authority"],
                      region=case["region"], subject=_subject(case, step),
                      body=_body(case, step), email_to=policy.notify_email,
                      webhook_url=policy.webhook_url)


def _subject(case: dict[str, Any], step: PlannedStep) -> str:
    if step.action == ESCALATE:
        return f"{case['authority']}: case escalated to the {step.to_stage} stage"
    if step.action == PROPOSE:
        return f"{case['authority']}: escalation to the {step.to_stage} stage proposed"
    if step.deadline == PROPOSAL_DEADLINE:
        return f"{case['authority']}: an escalation proposal awaits your decision"
    return f"{case['authority']}: reminder of the {step.deadline} deadline"


def _body(case: dict[str, Any], step: PlannedStep) -> str:
    return (f"Case {case['id']} ({case['authority']}, {case['region']}), "
            f"{step.action} for the {step.deadline} deadline, to the {step.recipient}. "
            f"Due step time: {step.at}.")
