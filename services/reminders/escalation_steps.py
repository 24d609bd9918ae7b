"""The escalation use cases the workflow calls: read the plan, take one step.

Both read the case afresh from its stream. Taking a step decides it inside the
save that the case's version check protects: the timetable is recomputed on the
very copy of the case that is saved, and the step recorded only if still
pending there. If another command saves first, the store refuses this save and
the step is decided again on a fresh read, so a deadline met, paused or moved,
even between the workflow's read and its write, makes the step moot.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.case import Case
from domain.errors import DomainError
from domain.policy import EscalationPolicy
from domain.timetable import (
    ASK_COUNCIL,
    ESCALATE,
    JOINT_MEETING_DEADLINE,
    PROPOSE,
    PROPOSE_JOINT_MEETING,
    REMIND_OF_JOINT_MEETING,
    REMIND_OF_PROPOSAL,
    CaseFacts,
    Step,
    timetable,
)
from services.cases.service import CaseNotFound, CaseService, utc_now
from services.cases.workflow_contract import (
    CASE_SEARCH_ATTRIBUTES,
    CasePlan,
    DeliveryOutcome,
    Notice,
    PlannedStep,
    RetrySchedule,
    StepFailure,
    StepOutcome,
    StepRequest,
)
from services.policy.service import PolicyService
from services.reminders.notice_text import StepFacts, write_notice
from services.reminders.notices import (
    Directory,
    NoDirectory,
    Recipients,
    case_uuid,
    count_failure,
    failure_alert,
    outcome_time,
    recipients,
)

ACTOR = "escalation-workflow"


def case_facts(case: Case) -> CaseFacts:
    """The facts the timetable needs, straight from the aggregate just loaded."""
    proposal, joint = case.pending_escalation, case.joint_meeting_proposal
    return CaseFacts(
        status=case.status, stage=case.stage, deadlines=dict(case.deadlines),
        recorded=frozenset(case.reminders) | frozenset(case.escalation_keys),
        since=case.stage_since, proposal_at=proposal["proposed_at"] if proposal else None,
        escalation_allowed=_may_move_up(case),
        started=dict(case.deadline_started),
        up_to=case.next_rung(),
        joint_meeting_proposed_at=joint["proposed_at"] if joint else None,
        agreement_requested_at=(case.agreement_requested or {}).get("requested_at"),
    )


def _may_move_up(case: Case) -> bool:
    """Whether the ladder lets the case up a rung now (the council's agreement, for one)."""
    to_stage = case.next_rung()
    if to_stage is None:
        return False
    try:
        case.check_stage_move(to_stage)
    except DomainError:
        return False
    return True


def _risk_band(case: Case) -> str:
    current = case.risk.get("residual") or case.risk.get("inherent")
    return current["band"] if current else "not assessed"


def search_attributes(case: dict[str, Any], facts: CaseFacts) -> dict[str, str]:
    """What the Temporal UI finds the case's workflow by (CASE_SEARCH_ATTRIBUTES)."""
    values = (case["authority"], case["region"], facts.stage, case["risk_band"])
    return dict(zip(CASE_SEARCH_ATTRIBUTES, values, strict=True))


def planned(step: Step) -> PlannedStep:
    return PlannedStep(at=step.at.isoformat(), action=step.action, deadline=step.deadline,
                       key=step.key, recipient=step.recipient, to_stage=step.to_stage)


class EscalationSteps:
    """Bound to the case and policy stores, so the worker wires them once."""

    def __init__(self, cases: CaseService, policies: PolicyService,
                 clock: Callable[[], datetime] = utc_now, *, index_cases: bool = False,
                 channels: frozenset[str] = frozenset({"email", "webhook"}),
                 retry: RetrySchedule | None = None, directory: Directory | None = None,
                 public_base_url: str = "") -> None:
        self.cases, self.policies, self.clock = cases, policies, clock
        self.index_cases = index_cases  # the search attributes are registered on Temporal
        self.channels, self.retry = channels, retry or RetrySchedule(by_temporal=True)
        self.directory = directory or NoDirectory()
        self.public_base_url = public_base_url.rstrip("/")

    def plan(self, case_id: str, policy: EscalationPolicy | None = None) -> CasePlan:
        """The case's pending steps under its region's current policy (or `policy`, read a
        moment ago for the same step), earliest first."""
        aggregate, _policy, facts, steps = self._read(case_id, policy)
        case = _summary(aggregate)
        return CasePlan(
            status=facts.status, stage=facts.stage,
            deadlines={name: due.isoformat() for name, due in facts.deadlines.items()},
            steps=[planned(s) for s in steps],
            pending_proposal=facts.proposal_at.isoformat() if facts.proposal_at else None,
            search_attributes=search_attributes(case, facts) if self.index_cases else {},
            summary=f"{case['authority']} ({case['region']}): {facts.stage} stage, {facts.status}",
        )

    def take(self, request: StepRequest) -> StepOutcome:
        """Record the step once if it is still pending; the notice says what to deliver.

        The region's policy is read once for the step: when a burst of a region's
        deadlines falls due together, every step reads that one record, so each read
        saved is a wait saved for all the others."""
        case, policy, facts, steps = self._read(request.case_id)
        key = request.step.key
        if key in facts.recorded:  # recorded by an earlier attempt: deliver, record nothing
            again = self._notice(case, policy, _as_recorded(case, request.step), facts, steps)
            return self._outcome(True, again, request.case_id, policy)
        current = next((planned(s) for s in steps if s.key == key), None)
        if current is None:
            return self._outcome(False, None, request.case_id, policy)
        recorded = self.cases.record_automated(
            UUID(request.case_id),
            lambda aggregate, now: self._decide(aggregate, current, policy, now))
        notice = self._notice(case, policy, current, facts, steps) if recorded else None
        return self._outcome(recorded, notice, request.case_id, policy)

    def record_failure(self, failure: StepFailure) -> StepOutcome:
        """Record on the case that a step can never be taken, once; the notice tells the
        region's coordinators, and the timetable plans the step no more."""
        step = failure.step
        recorded = self.cases.record_automated(
            UUID(failure.case_id), lambda case, _now: case.record_automation_failure(
                step_key=step.key, action=step.action, deadline=step.deadline,
                error=failure.error, actor_id=ACTOR))
        aggregate = self._load(UUID(failure.case_id))
        case = {"id": aggregate.id, "authority": aggregate.authority,
                "region": aggregate.region, "reference": aggregate.reference}
        notice = self._failure_notice(case, failure) if recorded else None
        return self._outcome(recorded, notice, failure.case_id)

    def _failure_notice(self, case: dict[str, Any], failure: StepFailure) -> Notice:
        step, policy = failure.step, self.policies.policy_for(case["region"])
        return Notice(
            key=f"{step.key}:failed", case_id=str(case["id"]), authority=case["authority"],
            region=case["region"],
            subject=f"{case['authority']}: the automated {step.action} for the "
                    f"{step.deadline} deadline failed",
            body=f"Case {case['reference'] or case['id']} ({case['authority']}, "
                 f"{case['region']}): the "
                 f"{step.action} due at {step.at} can never be recorded ({failure.error}). "
                 f"Other reminders continue; please act on the case by hand.",
            email_to=policy.notify_email, webhook_url=policy.webhook_url,
            deliveries=Recipients(self.directory.coordinators_of(case["region"]),
                                  policy.notify_email).deliveries(policy.webhook_url,
                                                                  self.channels),
            retry=self.retry, kind="automation failed", deadline=step.deadline,
            case_url=self.case_url(str(case["id"])), reference=case["reference"])

    def _outcome(self, recorded: bool, notice: Notice | None, case_id: str,
                 policy: EscalationPolicy | None = None) -> StepOutcome:
        return StepOutcome(recorded=recorded, notice=notice, plan=self.plan(case_id, policy))

    def _read(self, case_id: str, policy: EscalationPolicy | None = None
              ) -> tuple[Case, EscalationPolicy, CaseFacts, list[Step]]:
        """The case afresh, its region's policy (unless given) and its pending steps."""
        case = self._load(UUID(case_id))
        facts = case_facts(case)
        if policy is None:
            policy = self.policies.policy_for(case.region)
        return case, policy, facts, timetable(facts, policy, self.clock())

    def _load(self, case_id: UUID) -> Case:
        try:
            return self.cases.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case with id {case_id}", field="case_id") from None

    def _decide(self, case: Case, step: PlannedStep, policy: EscalationPolicy,
                now: datetime) -> bool:
        """On the copy about to be saved: record the step only if it is still pending, as
        the timetable now has it (a step planned as an escalation under an older rule is
        taken as the proposal it has become)."""
        facts = case_facts(case)
        fresh = {s.key: s for s in timetable(facts, policy, self.clock())}.get(step.key)
        if fresh is None:
            return False
        step = planned(fresh)
        reason = (f"the {step.deadline} deadline was missed and reminders went unanswered "
                  f"at the {facts.stage} stage")
        if step.action == PROPOSE_JOINT_MEETING:
            return case.propose_joint_meeting(
                reason=f"{reason}, and the council has not agreed to a referral",
                proposal_key=step.key, recorded_at=now, actor_id=ACTOR)
        if step.action == REMIND_OF_JOINT_MEETING:
            return case.remind_of_joint_meeting(recipient=step.recipient,
                                                reminder_key=step.key, actor_id=ACTOR)
        if step.action == ESCALATE:
            return case.escalate(reason=reason, escalation_key=step.key, recorded_at=now,
                                 actor_id=ACTOR)
        if step.action == PROPOSE:
            return case.propose_escalation(reason=reason, proposal_key=step.key,
                                           recorded_at=now, actor_id=ACTOR)
        if step.action == ASK_COUNCIL:
            return case.tell_council_of_request(recipient=step.recipient,
                                                reminder_key=step.key, actor_id=ACTOR)
        if step.action == REMIND_OF_PROPOSAL:
            return case.remind_of_proposal(recipient=step.recipient, reminder_key=step.key,
                                           actor_id=ACTOR)
        return case.issue_reminder(deadline=step.deadline, recipient=step.recipient,
                                   reminder_key=step.key, actor_id=ACTOR)

    def _notice(self, aggregate: Case, policy: EscalationPolicy, step: PlannedStep,
                facts: CaseFacts, steps: list[Step]) -> Notice:
        """The notice written for its readers, addressed to the people the step concerns."""
        to = recipients(aggregate, step.deadline, step.recipient, policy, self.directory)
        url = self.case_url(str(aggregate.id))
        facts_ = _step_facts(aggregate, step, facts, steps, self.directory)
        text = write_notice(facts_, self.clock(), url)
        # the council's own notice goes by email to its people, not to the region's webhook
        webhook = "" if step.action == ASK_COUNCIL else policy.webhook_url
        return Notice(key=step.key, case_id=str(aggregate.id), authority=aggregate.authority,
                      region=aggregate.region, subject=text.subject, body=text.text,
                      email_to=policy.notify_email, webhook_url=webhook,
                      deliveries=to.deliveries(webhook, self.channels),
                      retry=self.retry, kind=step.action, html=text.html,
                      deadline=step.deadline, due=facts_.due.isoformat(),
                      to_stage=step.to_stage or "", case_url=url,
                      reference=aggregate.reference)

    def case_url(self, case_id: str) -> str:
        """The case's page in a browser (through sign-in when needed), not the JSON API."""
        return f"{self.public_base_url}/case/{case_id}" if self.public_base_url else ""

    def record_outcome(self, outcome: DeliveryOutcome) -> list[Notice]:
        """Put one delivery's outcome on the case; a final failure is counted and its
        alert to the region's coordinators returned for delivery."""
        case_id = case_uuid(outcome.notice)
        delivered, first = outcome.result.delivered, True
        if case_id is not None:
            first = self.cases.record_notice_outcome(
                case_id, notice_key=outcome.notice.key, channel=outcome.delivery.channel,
                address=outcome.delivery.address, delivered=delivered,
                at=outcome_time(outcome, self.clock()), attempts=outcome.attempts,
                reason=outcome.result.reason or "not delivered")
        if delivered:
            return []
        if first:  # not again when a retried activity finds it recorded
            count_failure(outcome.delivery.channel)
        alert = failure_alert(outcome, self.directory.coordinators_of(outcome.notice.region),
                              self.channels, self.retry)
        return [alert] if alert else []


def _as_recorded(case: Case, step: PlannedStep) -> PlannedStep:
    """A step planned as an escalation that was recorded as a proposal (the move to a
    government meeting is only ever proposed) is told as the proposal it became."""
    proposal = case.pending_escalation
    if step.action == ESCALATE and proposal and proposal["proposal_key"] == step.key:
        return replace(step, action=PROPOSE)
    return step


def _summary(case: Case) -> dict[str, Any]:
    return {"id": case.id, "authority": case.authority, "region": case.region,
            "risk_band": _risk_band(case)}


def _step_facts(case: Case, step: PlannedStep, facts: CaseFacts,
                steps: list[Step], directory: Directory) -> StepFacts:
    """The step, when its deadline (or the proposal) fell due, and what follows it."""
    at = datetime.fromisoformat(step.at)
    joint = facts.joint_meeting_proposed_at if step.deadline == JOINT_MEETING_DEADLINE else None
    asked = case.agreement_requested if step.action == ASK_COUNCIL else None
    due = facts.deadlines.get(step.deadline) or joint or facts.proposal_at or at
    later = [s for s in steps if s.deadline == step.deadline and s.key != step.key
             and s.at >= at]
    following = later[0] if later else None
    return StepFacts(authority=case.authority, region=case.region, stage=case.stage,
                     action=step.action, deadline=step.deadline, due=due, at=at,
                     to_stage=step.to_stage,
                     next_action=following.action if following else None,
                     next_at=following.at if following else None,
                     next_to_stage=following.to_stage if following else None,
                     asked_by=directory.name_of(asked["requested_by"]) if asked else "",
                     plan_due=facts.deadlines.get("plan agreed"), reference=case.reference)
