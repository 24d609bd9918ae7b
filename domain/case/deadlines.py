"""Deadlines paused and resumed, and the reminders automation issues: of a deadline, of
an escalation proposal awaiting a decision, of a proposed joint local meeting."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.joint_meetings import JOINT_MEETING_DECISION
from domain.case.state import AUTOMATION, DEFAULT_POLICY, CaseState, actor, required_text
from domain.deadlines import DeadlinePolicy, resumed_due
from domain.errors import RuleViolation
from domain.vocabulary import CaseStatus, Deadline, one_of

ESCALATION_DECISION = "escalation decision"
"""What a reminder of a pending escalation proposal is about: a decision, not a deadline."""


@dataclass(frozen=True)
class PausedDeadline:
    """A deadline whose clock is stopped: when it was due, when it started and paused, why."""

    due: datetime
    paused_at: datetime
    reason: str
    started: datetime

    @classmethod
    def of(cls, fields: dict[str, Any]) -> "PausedDeadline":
        return cls(fields["due"], fields["paused_at"], fields.get("reason", ""),
                   fields.get("started", fields["paused_at"]))

    def as_fields(self) -> dict[str, Any]:
        """As the case holds it (and its snapshots store it)."""
        return {"due": self.due, "paused_at": self.paused_at, "reason": self.reason,
                "started": self.started}


class DeadlinePaused(Aggregate.Event):
    deadline: str
    due: datetime
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        case = aggregate
        case.deadlines.pop(self.deadline)
        started = case.deadline_started.pop(self.deadline, self.recorded_at)
        case.paused_deadlines[self.deadline] = PausedDeadline(
            self.due, self.recorded_at, self.reason, started).as_fields()


class DeadlineResumed(Aggregate.Event):
    deadline: str
    due: datetime
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        paused = aggregate.paused_deadlines.pop(self.deadline)
        aggregate.deadlines[self.deadline] = self.due
        aggregate.deadline_started[self.deadline] = paused["started"] + (self.due - paused["due"])


class ReminderIssued(Aggregate.Event):
    deadline: str
    due: datetime
    recipient: str
    reminder_key: str
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.reminders.append(self.reminder_key)
        aggregate.reminders_issued += 1


class AutomatedStepFailed(Aggregate.Event):
    step_key: str
    action: str
    deadline: str
    error: str
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.reminders.append(self.step_key)


class DeadlinesPart(CaseState):
    """Stopping and restarting a deadline's clock; reminders, each recorded once per key."""

    def check_may_pause_deadline(self) -> None:
        """Some deadline is running to pause."""
        self.check_open()
        if not self.deadlines:
            raise RuleViolation("no deadline is running", rule="deadline_not_running",
                                field="deadline")

    def check_may_resume_deadline(self) -> None:
        """Some deadline is paused to resume."""
        self.check_open()
        if not self.paused_deadlines:
            raise RuleViolation("no deadline is paused", rule="deadline_not_paused",
                                field="deadline")

    def pause_deadline(self, *, deadline: str, reason: str, recorded_at: datetime,
                       actor_id: str, actor_role: str) -> None:
        """Stop a deadline's clock; no reminders while it is paused."""
        self.check_may_pause_deadline()
        name = one_of(deadline, Deadline, "deadline")
        if name not in self.deadlines:
            raise RuleViolation(f"the {name} deadline is not running", rule="deadline_not_running",
                                field="deadline")
        self.trigger_event(DeadlinePaused, deadline=name, due=self.deadlines[name],
                           reason=required_text(reason, "reason"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def resume_deadline(self, *, deadline: str, reason: str, recorded_at: datetime,
                        actor_id: str, actor_role: str,
                        policy: DeadlinePolicy = DEFAULT_POLICY) -> None:
        """Restart the clock keeping the time already used: due moves out by the pause
        (by the working time it took, for a deadline the policy counts in working days)."""
        self.check_may_resume_deadline()
        name = one_of(deadline, Deadline, "deadline")
        if name not in self.paused_deadlines:
            raise RuleViolation(f"the {name} deadline is not paused", rule="deadline_not_paused",
                                field="deadline")
        paused = PausedDeadline.of(self.paused_deadlines[name])
        due = resumed_due(paused.due, paused.paused_at, recorded_at,
                          working_days=policy.duration(Deadline(name)).working_days is not None)
        self.trigger_event(DeadlineResumed, deadline=name, due=due,
                           reason=required_text(reason, "reason"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def is_reminder_due(self, deadline: str) -> bool:
        """A reminder is due only while the deadline is still open on an open case, or,
        on a closed one, while its follow-up review is awaited."""
        watched = self.status == CaseStatus.OPEN or deadline == Deadline.FOLLOW_UP_REVIEW
        return watched and deadline in self.deadlines

    def issue_reminder(
        self, *, deadline: str, recipient: str, reminder_key: str, actor_id: str
    ) -> bool:
        """Record a reminder once per key; False when it was already recorded or is moot.

        The key makes a retried activity harmless: the same reminder never lands twice.
        """
        deadline = one_of(deadline, Deadline, "deadline")
        if reminder_key in self.reminders or not self.is_reminder_due(deadline):
            return False
        self._remind(deadline, self.deadlines[deadline], recipient, reminder_key, actor_id)
        return True

    def remind_of_proposal(self, *, recipient: str, reminder_key: str, actor_id: str) -> bool:
        """Remind the coordinator that a proposal awaits a decision; once per key.

        False, writing nothing, when no proposal is pending (it was decided
        meanwhile) or the reminder was already recorded.
        """
        proposal = self.pending_escalation
        if reminder_key in self.reminders or proposal is None or self.status != CaseStatus.OPEN:
            return False
        self._remind(ESCALATION_DECISION, proposal["proposed_at"], recipient, reminder_key,
                     actor_id)
        return True

    def remind_of_joint_meeting(self, *, recipient: str, reminder_key: str,
                                actor_id: str) -> bool:
        """Remind the coordinator that a proposed joint local meeting is still to be held
        or declined; once per key, False when it was meanwhile held or declined."""
        proposal = self.joint_meeting_proposal
        if reminder_key in self.reminders or proposal is None or self.status != CaseStatus.OPEN:
            return False
        self._remind(JOINT_MEETING_DECISION, proposal["proposed_at"], recipient, reminder_key,
                     actor_id)
        return True

    def _remind(self, about: str, due: datetime, recipient: str, reminder_key: str,
                actor_id: str) -> None:
        self.trigger_event(ReminderIssued, deadline=about, due=due,
                           recipient=required_text(recipient, "recipient"),
                           reminder_key=reminder_key, actor_id=actor_id, actor_role=AUTOMATION)

    def record_automation_failure(self, *, step_key: str, action: str, deadline: str,
                                  error: str, actor_id: str) -> bool:
        """An automated step that can never succeed (a rule refused it, a date overflowed),
        recorded once so that people are told and the timetable does not plan it again
        (its key joins the decided steps). False when already recorded or moot.
        """
        key = required_text(step_key, "step_key")
        if key in self.reminders or key in self.escalation_keys or self.status != CaseStatus.OPEN:
            return False
        self.trigger_event(
            AutomatedStepFailed, step_key=key, action=required_text(action, "action"),
            deadline=required_text(deadline, "deadline"),
            error=required_text(error, "error")[:500], actor_id=actor_id,
            actor_role=AUTOMATION)
        return True
