"""The support plan: SMART actions the council agrees, revises, and has its progress
reviewed against."""

from collections.abc import Iterable, Mapping
from copy import deepcopy
from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.deadlines import ReminderIssued
from domain.case.diagnosis import DiagnosisPart
from domain.case.state import (
    AUTOMATION,
    DEFAULT_POLICY,
    CaseState,
    a_moment,
    actor,
    optional_text,
    required_text,
    texts,
)
from domain.deadlines import DeadlinePolicy
from domain.errors import InvalidField, RuleViolation
from domain.plan import measures, plan_actions
from domain.vocabulary import CaseStatus, Deadline, MeasureStatus, ProgressJudgement, one_of

AGREEMENT_REQUESTED = "plan agreement request"
"""What the notice telling the council's liaisons that a plan awaits them is about."""


class PlanStatus(StrEnum):
    """A plan is a draft until the council agrees it; each revision is a draft again."""

    DRAFT = "draft"
    AGREED = "agreed"


def agreed_part(plan: Mapping[str, Any]) -> dict[str, Any]:
    """What the council agreed: kept apart, so a revision awaiting agreement leaves it live."""
    return deepcopy({key: plan[key] for key in ("summary", "actions", "revision",
                                                "agreed_by", "agreed_at")})


class PlanAgreementRequested(Aggregate.Event):
    """A coordinator or adviser asks the council to agree this revision of the plan: its
    liaisons are told, and the plan waits on them."""

    revision: int
    note: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: "PlanPart") -> None:
        aggregate.drafted_plan.update(agreement_requested={
            "revision": self.revision, "requested_at": self.recorded_at,
            "requested_by": self.actor_id})


class SupportPlanDrafted(Aggregate.Event):
    summary: str
    actions: list[dict[str, Any]]
    adviser_id: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.plan = {"summary": self.summary, "actions": self.actions,
                          "adviser_id": self.adviser_id, "status": PlanStatus.DRAFT.value,
                          "revision": 1, "drafted_at": self.recorded_at, "suggestions": [],
                          "agreed_by": None, "agreed_at": None}


class SupportPlanReviewed(Aggregate.Event):
    """The confidential (Chatham House) group's suggestions on the plan."""

    suggestions: list[str]
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: "PlanPart") -> None:
        aggregate.drafted_plan["suggestions"].extend(self.suggestions)


class SupportPlanAgreed(Aggregate.Event):
    reason: str
    revision: int
    review_due: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: "PlanPart") -> None:
        case = aggregate
        case.drafted_plan.update(status=PlanStatus.AGREED.value, agreed_by=self.actor_id,
                                 agreed_at=self.recorded_at)
        case._agreed_plan = agreed_part(case.drafted_plan)
        case._clear_deadline(Deadline.PLAN_AGREED.value)
        if Deadline.NEXT_REVIEW.value not in case.paused_deadlines:
            case._set_deadline(Deadline.NEXT_REVIEW.value, self.review_due, self.recorded_at)


class SupportPlanRevised(Aggregate.Event):
    actions: list[dict[str, Any]]
    reason: str
    summary: str
    revision: int
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: "PlanPart") -> None:
        aggregate.drafted_plan.update(actions=self.actions, summary=self.summary,
                                      revision=self.revision, status=PlanStatus.DRAFT.value,
                                      agreed_by=None, agreed_at=None)


class ProgressReviewed(Aggregate.Event):
    measures: dict[str, str]
    judgement: str
    reason: str
    next_review_due: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.reviews.append({"measures": self.measures, "judgement": self.judgement,
                                  "reason": self.reason, "reviewed_at": self.recorded_at,
                                  "next_review_due": self.next_review_due})
        aggregate._set_deadline(Deadline.NEXT_REVIEW.value, self.next_review_due,
                                self.recorded_at)


class PlanPart(DiagnosisPart):
    """Drafting, reviewing, agreeing and revising the plan; reviewing progress against it."""

    @property
    def agreed_plan(self) -> dict[str, Any] | None:
        """The plan the council last agreed: live, even while a revision awaits agreement."""
        if self._agreed_plan is None and self.plan and self.plan["status"] == PlanStatus.AGREED:
            return agreed_part(self.plan)  # from a snapshot older than `_agreed_plan`
        return self._agreed_plan

    @property
    def advisers(self) -> list[str]:
        """The improvement adviser named on the plan, who oversees it."""
        return [self.plan["adviser_id"]] if self.plan and self.plan.get("adviser_id") else []

    @property
    def drafted_plan(self) -> dict[str, Any]:
        """The support plan, which every event about a plan follows the drafting of."""
        if self.plan is None:
            raise RuleViolation("no support plan has been drafted", rule="plan_drafted_first")
        return self.plan

    def check_plan_drafted(self) -> None:
        """Reviewing, agreeing or revising a plan needs one drafted first."""
        if self.plan is None:
            raise RuleViolation("no support plan has been drafted", rule="plan_drafted_first")

    def check_plan_agreed(self, what: str) -> None:
        """No support commissioned or peer deployed before the council has agreed the plan
        (a revision awaiting agreement is not live: new support waits for its agreement)."""
        if self.plan is None or self.plan["status"] != PlanStatus.AGREED:
            raise RuleViolation(f"no {what} before the council agrees the support plan",
                                rule="plan_agreed_first")

    def check_plan_live(self, what: str) -> None:
        """Progress is reviewed against the plan the council last agreed, which stays live
        while a revision awaits agreement (else its review deadline could not be met)."""
        if self.agreed_plan is None:
            raise RuleViolation(f"no {what} before the council agrees the support plan",
                                rule="plan_agreed_first")

    def check_may_draft_plan(self) -> None:
        """A first plan only: once agreed, a plan changes by revision."""
        self.check_open()
        if self.agreed_plan is not None:
            raise RuleViolation(
                "the support plan is already agreed; change it with a revision "
                "(POST /cases/{id}/plan/revisions), which the council then agrees",
                rule="agreed_plan_is_revised")

    def check_may_review_plan(self) -> None:
        """The confidential group reviews a plan once one is drafted."""
        self.check_open()
        self.check_plan_drafted()

    def check_may_revise_plan(self) -> None:
        self.check_open()
        self.check_plan_drafted()

    def check_may_agree_plan(self) -> None:
        """A drafted plan (or revision) not yet agreed, on a diagnosed case."""
        self.check_open()
        self.check_plan_drafted()
        if self.diagnosis is None:
            raise RuleViolation("a plan cannot be agreed before a diagnosis is recorded",
                                rule="plan_needs_diagnosis")
        plan = self.drafted_plan
        if plan["status"] == PlanStatus.AGREED:
            raise RuleViolation(
                f"revision {plan['revision']} of the support plan is already agreed; "
                f"only a new revision awaits agreement", rule="revision_already_agreed")

    def check_may_ask_council_to_agree(self) -> None:
        """Only a plan the council could agree now, and only once per revision."""
        self.check_may_agree_plan()
        if self.agreement_requested is not None:
            raise RuleViolation("the council has already been asked to agree this revision "
                                "of the plan", rule="agreement_already_requested")

    @property
    def agreement_requested(self) -> dict[str, Any] | None:
        """When and by whom the council was asked to agree the plan as it now stands
        (None once agreed, or when a new revision has not been put to it)."""
        plan = self.plan or {}
        asked = plan.get("agreement_requested")
        if plan.get("status") != PlanStatus.DRAFT or not asked:
            return None
        return asked if asked["revision"] == plan["revision"] else None

    def tell_council_of_request(self, *, recipient: str, reminder_key: str,
                                actor_id: str) -> bool:
        """Record once per key that the council's liaisons were told the plan awaits their
        agreement; False, writing nothing, when told already or no longer awaited."""
        asked = self.agreement_requested
        if reminder_key in self.reminders or asked is None or self.status != CaseStatus.OPEN:
            return False
        self.trigger_event(ReminderIssued, deadline=AGREEMENT_REQUESTED,
                           due=asked["requested_at"],
                           recipient=required_text(recipient, "recipient"),
                           reminder_key=reminder_key, actor_id=actor_id, actor_role=AUTOMATION)
        return True

    def check_may_review_progress(self) -> None:
        self.check_open()
        self.check_plan_live("progress reviewed")

    def ask_council_to_agree(self, *, note: str | None, recorded_at: datetime, actor_id: str,
                             actor_role: str) -> None:
        """Put the drafted plan to the council: its liaisons are told it waits on them."""
        self.check_may_ask_council_to_agree()
        self.trigger_event(PlanAgreementRequested, revision=self.drafted_plan["revision"],
                           note=optional_text(note, "note"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def draft_plan(
        self, *, summary: str, actions: Iterable[Mapping[str, Any]], adviser_id: str,
        recorded_at: datetime, actor_id: str, actor_role: str,
    ) -> None:
        """A plan of SMART actions, coordinated by one improvement adviser.

        Once a plan is agreed, a new draft would silently replace what the council
        agreed; changes to an agreed plan are revisions, which it agrees in turn.
        """
        self.check_may_draft_plan()
        self.trigger_event(
            SupportPlanDrafted, summary=required_text(summary, "summary"),
            actions=plan_actions(actions), adviser_id=required_text(adviser_id, "adviser_id"),
            recorded_at=recorded_at, **actor(actor_id, actor_role))

    def review_plan(self, *, suggestions: Any, recorded_at: datetime, actor_id: str,
                    actor_role: str) -> None:
        """The confidential (Chatham House) group's suggestions on the plan."""
        self.check_may_review_plan()
        given = texts(suggestions, "suggestions")
        if not given:
            raise InvalidField("suggestions must name at least one suggestion",
                               field="suggestions")
        self.trigger_event(SupportPlanReviewed, suggestions=given, recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def agree_plan(self, *, reason: str, recorded_at: datetime, actor_id: str, actor_role: str,
                   policy: DeadlinePolicy = DEFAULT_POLICY) -> None:
        """The council agrees the plan, which makes it live; the first review falls due."""
        self.check_may_agree_plan()
        plan = self.drafted_plan
        review_due = self.deadlines.get(Deadline.NEXT_REVIEW.value) or policy.due(
            Deadline.NEXT_REVIEW, recorded_at, risk_score=self.risk_score)
        self.trigger_event(SupportPlanAgreed, reason=required_text(reason, "reason"),
                           revision=plan["revision"], review_due=review_due,
                           recorded_at=recorded_at, **actor(actor_id, actor_role))

    def revise_plan(self, *, actions: Iterable[Mapping[str, Any]], reason: str,
                    recorded_at: datetime, actor_id: str, actor_role: str,
                    summary: str | None = None) -> None:
        """New actions as things change; the council must agree the revision before it is
        live. Until then the plan it last agreed stays live: its progress is reviewed
        against that plan's measures, so its review deadline can still be met."""
        self.check_may_revise_plan()
        plan = self.drafted_plan
        self.trigger_event(
            SupportPlanRevised, actions=plan_actions(actions),
            reason=required_text(reason, "reason"),
            summary=optional_text(summary, "summary") or plan["summary"],
            revision=plan["revision"] + 1, recorded_at=recorded_at,
            **actor(actor_id, actor_role))

    def review_progress(
        self, *, measures: Mapping[str, str], judgement: str, reason: str,
        recorded_at: datetime, actor_id: str, actor_role: str,
        next_review_due: datetime | None = None, policy: DeadlinePolicy = DEFAULT_POLICY,
    ) -> None:
        """Each outcome measure on track or not, an overall judgement, the next review date."""
        self.check_may_review_progress()
        statuses = self._measure_statuses(measures)
        if next_review_due is None:
            next_review_due = policy.due(Deadline.NEXT_REVIEW, recorded_at,
                                         risk_score=self.risk_score)
        elif a_moment(next_review_due, "next_review_due") <= recorded_at:
            raise InvalidField("next_review_due must be after the review",
                               field="next_review_due")
        self.trigger_event(
            ProgressReviewed, measures=statuses,
            judgement=one_of(judgement, ProgressJudgement, "judgement"),
            reason=required_text(reason, "reason"), next_review_due=next_review_due,
            recorded_at=recorded_at, **actor(actor_id, actor_role))

    def _measure_statuses(self, given: Mapping[str, str]) -> dict[str, str]:
        """Every measure of the plan, and only those, each on track or off track."""
        if not isinstance(given, Mapping):
            raise InvalidField("measures must map each outcome measure to a status",
                               field="measures")
        assert self.agreed_plan is not None  # check_plan_live came first
        expected = measures(self.agreed_plan["actions"])
        unknown = [m for m in given if m not in expected]
        missing = [m for m in expected if m not in given]
        if unknown or missing:
            raise InvalidField(
                f"measures must report exactly the plan's outcome measures; "
                f"missing {missing}, unknown {unknown}", field="measures")
        return {m: one_of(given[m], MeasureStatus, f"measures[{m}]") for m in expected}
