"""Closing a case, its follow-up review twelve months after a closure as improved, and
reopening it."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.government_meetings import GovernmentMeetingsPart
from domain.case.state import DEFAULT_POLICY, CaseState, actor, optional_text, required_text
from domain.case.support import SupportPart
from domain.closure import ExitStrategy
from domain.deadlines import DeadlinePolicy
from domain.errors import RuleViolation
from domain.vocabulary import CaseOutcome, CaseStatus, Deadline, FollowUpJudgement, one_of


class CaseClosed(Aggregate.Event):
    """Version 2 added the exit strategy and the follow-up review's due time.

    Closures recorded before (version 1) carried an exit note only; they are
    upcast as they are read, with neither, so history is never rewritten.
    """

    class_version = 2
    outcome: str
    exit_note: str
    recorded_at: datetime
    actor_id: str
    actor_role: str
    exit_strategy: dict[str, str] | None = None
    follow_up_due: datetime | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("exit_strategy", None)
        state.setdefault("follow_up_due", None)

    def apply(self, aggregate: CaseState) -> None:
        case = aggregate
        case.status = CaseStatus.CLOSED.value
        case.closure = {"outcome": self.outcome, "exit_note": self.exit_note,
                        "exit_strategy": self.exit_strategy, "follow_up_due": self.follow_up_due,
                        "closed_at": self.recorded_at, "closed_by": self.actor_id}
        case.deadlines.clear()
        case.deadline_started.clear()
        case.paused_deadlines.clear()
        case.pending_escalation = None
        case.joint_meeting_proposal = None
        if self.follow_up_due is not None:
            case._set_deadline(Deadline.FOLLOW_UP_REVIEW.value, self.follow_up_due,
                               self.recorded_at)


class FollowUpReviewed(Aggregate.Event):
    judgement: str
    notes: str
    due: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        review = {"judgement": self.judgement, "notes": self.notes, "due": self.due,
                  "reviewed_at": self.recorded_at, "reviewed_by": self.actor_id}
        # set here rather than at opening, so cases (and snapshots) from before it load
        aggregate.__dict__.setdefault("_follow_up_reviews", []).append(review)
        if aggregate.closure is not None:
            aggregate.closure["follow_up_review"] = review
        aggregate._clear_deadline(Deadline.FOLLOW_UP_REVIEW.value)


class CaseReopened(Aggregate.Event):
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.status = CaseStatus.OPEN.value
        aggregate.closure = None
        aggregate.stage_since = self.recorded_at
        # open again: nothing to follow up
        aggregate._clear_deadline(Deadline.FOLLOW_UP_REVIEW.value)


class ClosurePart(SupportPart, GovernmentMeetingsPart):
    """The closure criteria, the follow-up review and reopening."""

    def check_may_close(self) -> None:
        """The closure criteria that do not hang on the outcome: no support still running,
        every meeting concluded and summarised."""
        self.check_open()
        self.check_support_ended()
        self.check_meetings_concluded()

    def check_may_record_follow_up_review(self) -> None:
        if self.status != CaseStatus.CLOSED or Deadline.FOLLOW_UP_REVIEW not in self.deadlines:
            raise RuleViolation(
                "a follow-up review is recorded once, on a case closed as improved whose "
                "follow-up review is due", rule="follow_up_review_due", field="judgement")

    def check_may_reopen(self) -> None:
        if self.status != CaseStatus.CLOSED:
            raise RuleViolation("only a closed case can be reopened",
                                rule="only_a_closed_case_reopens")

    def close(self, *, outcome: str, recorded_at: datetime, actor_id: str, actor_role: str,
              exit_note: str | None = None, exit_strategy: Mapping[str, Any] | None = None,
              policy: DeadlinePolicy = DEFAULT_POLICY) -> None:
        """End the case: improved and handed back, or government intervention.

        The closure criteria, each refused by its own rule: no peer still deployed
        (naming them: ending a deployment is a decision of its own, with its reason,
        and gives the peer's days back in the register), no commissioned support
        still running, no meeting without its conclusion and summary, and, for a
        case handed back as improved, an exit strategy saying how the council's own
        improvement cycle takes over and who leads it (seed 004). A case closed as
        improved is reviewed again twelve months on (seed 001): its follow-up review
        falls due then. Closed by intervention, it needs an exit note instead.
        """
        self.check_may_close()
        outcome = one_of(outcome, CaseOutcome, "outcome")
        if outcome == CaseOutcome.INTERVENTION:
            self.check_government_meeting_decided_intervention()
        strategy = None if exit_strategy is None else ExitStrategy.from_input(exit_strategy)
        follow_up_due = None
        if outcome == CaseOutcome.INTERVENTION:
            note = required_text(exit_note, "exit_note")
        else:
            if strategy is None:
                raise RuleViolation(
                    "a case handed back as improved needs an exit strategy: how the council's "
                    "own improvement cycle takes over (handover) and who leads it (led_by)",
                    rule="exit_strategy_needed", field="exit_strategy")
            note = optional_text(exit_note, "exit_note")
            follow_up_due = policy.due(Deadline.FOLLOW_UP_REVIEW, recorded_at)
        self.trigger_event(CaseClosed, outcome=outcome, exit_note=note, recorded_at=recorded_at,
                           **actor(actor_id, actor_role),
                           exit_strategy=strategy.as_fields() if strategy else None,
                           follow_up_due=follow_up_due)

    @property
    def follow_up_reviews(self) -> list[dict[str, Any]]:
        """Every follow-up review, oldest first (set in the event, so older snapshots load)."""
        return list(self.__dict__.get("_follow_up_reviews", []))

    def record_follow_up_review(self, *, judgement: str, notes: str, recorded_at: datetime,
                                actor_id: str, actor_role: str) -> None:
        """Has the improvement lasted? Recorded once per closure as improved; it meets the
        follow-up deadline, and the judgement "reopen" reopens the case, the notes its
        reason. A case may also be reopened on its own (`reopen`), which ends the wait."""
        self.check_may_record_follow_up_review()
        judgement = one_of(judgement, FollowUpJudgement, "judgement")
        notes = required_text(notes, "notes")
        who = actor(actor_id, actor_role)
        self.trigger_event(FollowUpReviewed, judgement=judgement, notes=notes,
                           due=self.deadlines[Deadline.FOLLOW_UP_REVIEW.value],
                           recorded_at=recorded_at, **who)
        if judgement == FollowUpJudgement.REOPEN:
            self.trigger_event(CaseReopened, reason=f"follow-up review: {notes}",
                               recorded_at=recorded_at, **who)

    def reopen(self, *, reason: str, recorded_at: datetime, actor_id: str,
               actor_role: str) -> None:
        """Open a closed case again; the closure stays in its history."""
        self.check_may_reopen()
        self.trigger_event(CaseReopened, reason=required_text(reason, "reason"),
                           recorded_at=recorded_at, **actor(actor_id, actor_role))
