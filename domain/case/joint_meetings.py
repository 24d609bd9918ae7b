"""Joint local meetings: council, government office and audit body decide, while a case
is local, what happens next; automation proposes one for a case stuck at local."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.diagnosis import DiagnosisPart
from domain.case.state import (
    AUTOMATION,
    DEFAULT_POLICY,
    CaseState,
    a_moment,
    actor,
    required_text,
)
from domain.deadlines import DeadlinePolicy
from domain.errors import InvalidField, RuleViolation
from domain.vocabulary import (
    CaseStatus,
    Deadline,
    JointMeetingAttendee,
    JointMeetingOutcome,
    Stage,
    one_of,
)

JOINT_MEETING_DECISION = "joint local meeting"
"""What a reminder of a proposed joint local meeting is about: holding it, or declining it."""


@dataclass(frozen=True)
class Attendee:
    """One who sat at a joint local meeting: of which kind, and their name."""

    kind: JointMeetingAttendee
    name: str

    @classmethod
    def from_input(cls, given: Any, index: int) -> "Attendee":
        if not isinstance(given, Mapping):
            raise InvalidField("each attendee has a kind and a name", field=f"attendees.{index}")
        kind = one_of(given.get("kind"), JointMeetingAttendee, f"attendees.{index}.kind")
        return cls(JointMeetingAttendee(kind),
                   required_text(given.get("name"), f"attendees.{index}.name"))

    def as_fields(self) -> dict[str, str]:
        """Primitives for the stored event."""
        return {"kind": self.kind.value, "name": self.name}


def meeting_attendees(values: Any) -> list[Attendee]:
    """Who attended a joint local meeting: each a kind (council or partnership, government
    office, audit body) and a name; at least one."""
    if values is None or isinstance(values, (str, Mapping)) or not isinstance(values, Iterable):
        raise InvalidField("attendees must list who attended, each with a kind and a name",
                           field="attendees")
    people = [Attendee.from_input(value, i) for i, value in enumerate(values)]
    if not people:
        raise InvalidField("attendees must name at least one attendee", field="attendees")
    return people


@dataclass(frozen=True)
class JointMeeting:
    """A joint local meeting as the case holds it (a dict, which its snapshots store):
    its outcome and reason, who attended (None when recorded before attendees were),
    and its summary, due five working days on."""

    outcome: JointMeetingOutcome
    reason: str
    held_at: datetime
    attendees: list[dict[str, str]] | None
    summary: str | None = None
    summary_due: datetime | None = None
    next_meeting_due: datetime | None = None

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> "JointMeeting":
        return cls(JointMeetingOutcome(fields["outcome"]), fields["reason"], fields["held_at"],
                   fields.get("attendees"), fields.get("summary"), fields.get("summary_due"),
                   fields.get("next_meeting_due"))

    @property
    def awaits_summary(self) -> bool:
        """A meeting recorded before summaries were due awaits none."""
        return self.summary_due is not None and self.summary is None

    def as_fields(self) -> dict[str, Any]:
        return {"outcome": self.outcome.value, "reason": self.reason, "held_at": self.held_at,
                "attendees": self.attendees, "summary": self.summary,
                "summary_due": self.summary_due, "next_meeting_due": self.next_meeting_due}


class JointLocalMeetingHeld(Aggregate.Event):
    """Version 2 added who attended, when its summary is due and, for a strong local
    plan, when the next joint meeting reviews it.

    Meetings recorded before that (version 1) carried only the outcome and reason;
    they are upcast as they are read, with none of these, so history is never
    rewritten (and one whose regulator was not satisfied raises the red flag).
    """

    class_version = 2
    outcome: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str
    attendees: list[dict[str, str]] | None = None
    summary_due: datetime | None = None
    next_meeting_due: datetime | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        for field in ("attendees", "summary_due", "next_meeting_due"):
            state.setdefault(field, None)

    def apply(self, aggregate: CaseState) -> None:
        case, at = aggregate, self.recorded_at
        case.joint_meetings.append(JointMeeting(
            JointMeetingOutcome(self.outcome), self.reason, at, self.attendees,
            summary_due=self.summary_due, next_meeting_due=self.next_meeting_due).as_fields())
        case.joint_meeting_proposal = None
        case._forget_reminders(JOINT_MEETING_DECISION)
        case._clear_deadline(Deadline.NEXT_JOINT_MEETING.value)
        if self.outcome == JointMeetingOutcome.REFER_TO_RIEP:
            case.council_agrees_referral = True
        if self.outcome == JointMeetingOutcome.REGULATOR_NOT_SATISFIED:
            case.regulator_not_satisfied = True
            if self.attendees is None:  # recorded before the red flag was an event of its own
                case.red_flag = {"reason": self.reason, "raised_at": at,
                                 "raised_by": self.actor_id}
        if self.summary_due is not None:
            case._set_deadline(Deadline.JOINT_MEETING_SUMMARY.value, self.summary_due, at)
        if self.next_meeting_due is not None:
            case._set_deadline(Deadline.NEXT_JOINT_MEETING.value, self.next_meeting_due, at)


class RedFlagRaised(Aggregate.Event):
    """Further government or inspectorate action follows: the route from local straight
    to the government meeting opens (never local to the RIEP)."""

    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.red_flag = {"reason": self.reason, "raised_at": self.recorded_at,
                              "raised_by": self.actor_id}


class JointMeetingSummaryRecorded(Aggregate.Event):
    summary: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.joint_meetings[-1].update(summary=self.summary, summarised_at=self.recorded_at)
        aggregate._clear_deadline(Deadline.JOINT_MEETING_SUMMARY.value)


class JointMeetingProposed(Aggregate.Event):
    reason: str
    proposal_key: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.joint_meeting_proposal = {
            "reason": self.reason, "proposal_key": self.proposal_key,
            "proposed_at": self.recorded_at, "proposed_by": self.actor_id}
        aggregate.escalation_keys.append(self.proposal_key)


class JointMeetingProposalDeclined(Aggregate.Event):
    proposal_key: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.joint_meeting_proposal = None
        aggregate._forget_reminders(JOINT_MEETING_DECISION)
        aggregate.stage_since = self.recorded_at


class JointMeetingsPart(DiagnosisPart):
    """Holding a joint local meeting and recording its summary; proposing and declining one."""

    def check_may_hold_joint_meeting(self) -> None:
        """At the local stage, once the last meeting's summary is recorded."""
        self.check_open()
        if self.stage != Stage.LOCAL:
            raise RuleViolation("a joint local meeting is held while the case is local",
                                rule="joint_meeting_at_local_stage")
        if self._joint_meeting_awaiting_summary() is not None:
            raise RuleViolation("record the summary of the last joint local meeting first",
                                rule="joint_meeting_summary_first", field="outcome")

    def check_may_record_joint_meeting_summary(self) -> None:
        self.check_open()
        if self._joint_meeting_awaiting_summary() is None:
            raise RuleViolation("no joint local meeting awaits its summary",
                                rule="joint_meeting_held_first", field="summary")

    def check_may_propose_joint_meeting(self) -> None:
        """A coordinator proposes one while the case is local and none is proposed."""
        self.check_open()
        if self.stage != Stage.LOCAL:
            raise RuleViolation("a joint local meeting is held while the case is local",
                                rule="joint_meeting_at_local_stage")
        if self.joint_meeting_proposal is not None:
            raise RuleViolation("a joint local meeting is already proposed; hold it or "
                                "decline it", rule="joint_meeting_already_proposed")

    def check_may_decline_joint_meeting(self) -> dict[str, Any]:
        self.check_open()
        if self.joint_meeting_proposal is None:
            raise RuleViolation("no joint local meeting is proposed",
                                rule="no_joint_meeting_proposed", field="reason")
        return self.joint_meeting_proposal

    def hold_joint_local_meeting(
        self, *, outcome: str, reason: str, recorded_at: datetime, actor_id: str,
        actor_role: str, attendees: Iterable[Mapping[str, Any]] | None = None,
        next_joint_meeting_due: datetime | None = None,
        policy: DeadlinePolicy = DEFAULT_POLICY,
    ) -> None:
        """Council, government office and audit body decide one of three outcomes, which
        sets the next step: a strong local plan is reviewed at the next joint meeting (a
        deadline); a referral to the RIEP is the council's agreement, so the council must
        be at the table; a regulator not satisfied raises the red flag. Its summary is due
        five working days on, and the previous meeting's summary comes first."""
        self.check_may_hold_joint_meeting()
        outcome = one_of(outcome, JointMeetingOutcome, "outcome")
        people = meeting_attendees(attendees)
        if outcome == JointMeetingOutcome.REFER_TO_RIEP and not any(
                p.kind == JointMeetingAttendee.COUNCIL for p in people):
            raise RuleViolation(
                "a referral to the RIEP needs the council's agreement: the council or its "
                "partnership must be among the meeting's attendees",
                rule="referral_needs_council_agreement", field="attendees")
        reason = required_text(reason, "reason")
        who = actor(actor_id, actor_role)
        self.trigger_event(
            JointLocalMeetingHeld, outcome=outcome, reason=reason, recorded_at=recorded_at,
            **who, attendees=[p.as_fields() for p in people],
            summary_due=policy.due(Deadline.JOINT_MEETING_SUMMARY, recorded_at,
                                   risk_score=self.risk_score),
            next_meeting_due=self._next_joint_meeting_due(outcome, next_joint_meeting_due,
                                                          recorded_at, policy))
        if outcome == JointMeetingOutcome.REGULATOR_NOT_SATISFIED:
            self.trigger_event(RedFlagRaised, reason=reason, recorded_at=recorded_at, **who)

    def _next_joint_meeting_due(self, outcome: str, given: datetime | None,
                                recorded_at: datetime, policy: DeadlinePolicy) -> datetime | None:
        """A strong local plan is reviewed at the next joint meeting: on the date given, or
        the policy's interval on; the other outcomes leave the local stage's review behind."""
        if outcome != JointMeetingOutcome.STRONG_LOCAL_PLAN:
            return None
        if given is None:
            return policy.due(Deadline.NEXT_JOINT_MEETING, recorded_at,
                              risk_score=self.risk_score)
        if a_moment(given, "next_joint_meeting_due") <= recorded_at:
            raise InvalidField("next_joint_meeting_due must be after the meeting",
                               field="next_joint_meeting_due")
        return given

    def _joint_meeting_awaiting_summary(self) -> JointMeeting | None:
        last = [JointMeeting.of(m) for m in self.joint_meetings[-1:]]
        return last[0] if last and last[0].awaits_summary else None

    def record_joint_meeting_summary(self, *, summary: str, recorded_at: datetime,
                                     actor_id: str, actor_role: str) -> None:
        """The last joint local meeting's summary; it meets its five-working-day deadline."""
        self.check_may_record_joint_meeting_summary()
        self.trigger_event(JointMeetingSummaryRecorded, summary=required_text(summary, "summary"),
                           recorded_at=recorded_at, **actor(actor_id, actor_role))

    def propose_joint_meeting(self, *, reason: str, proposal_key: str, recorded_at: datetime,
                              actor_id: str, actor_role: str = AUTOMATION) -> bool:
        """Propose a joint local meeting for a case stuck at local without the council's
        agreement; False, writing nothing, when already proposed, pending or moot."""
        key = required_text(proposal_key, "proposal_key")
        moot = (key in self.escalation_keys or self.joint_meeting_proposal is not None
                or self.status != CaseStatus.OPEN or self.stage != Stage.LOCAL)
        if moot:
            return False
        self.trigger_event(JointMeetingProposed, reason=required_text(reason, "reason"),
                           proposal_key=key, recorded_at=recorded_at,
                           **actor(actor_id, actor_role))
        return True

    def propose_joint_meeting_now(self, *, reason: str, recorded_at: datetime, actor_id: str,
                                  actor_role: str) -> None:
        """A coordinator proposes a joint local meeting, saying why: the reminders to hold
        or decline it follow, as for one automation proposed."""
        self.check_may_propose_joint_meeting()
        who = actor(actor_id, actor_role)
        key = f"proposed by {who['actor_id']} ({len(self.escalation_keys) + 1})"
        self.trigger_event(JointMeetingProposed, reason=required_text(reason, "reason"),
                           proposal_key=key, recorded_at=recorded_at, **who)

    def decline_joint_meeting(self, *, reason: str, recorded_at: datetime, actor_id: str,
                              actor_role: str) -> None:
        """A coordinator declines the proposed joint local meeting, saying why; the
        reminders stop, and missed deadlines count again from now."""
        proposal = self.check_may_decline_joint_meeting()
        self.trigger_event(
            JointMeetingProposalDeclined, proposal_key=proposal["proposal_key"],
            reason=required_text(reason, "reason"), recorded_at=recorded_at,
            **actor(actor_id, actor_role))

