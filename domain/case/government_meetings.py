"""The government meeting, the last rung: convened before any intervention, concluded
with a sector-led approach or intervention, its summary due five working days on."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.diagnosis import DiagnosisPart
from domain.case.state import DEFAULT_POLICY, CaseState, a_moment, actor, required_text, texts
from domain.deadlines import DeadlinePolicy
from domain.errors import InvalidField, RuleViolation
from domain.vocabulary import Deadline, GovernmentMeetingOutcome, Stage, one_of


@dataclass(frozen=True)
class GovernmentMeeting:
    """A government meeting as the case holds it (a dict, which its snapshots store):
    who is called, when, why, and once concluded its outcome and summary."""

    attendees: list[str]
    meeting_at: datetime
    reason: str
    outcome: GovernmentMeetingOutcome | None = None
    summary: str | None = None
    concluded_at: datetime | None = None

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> "GovernmentMeeting":
        outcome = fields.get("outcome")
        return cls(fields["attendees"], fields["meeting_at"], fields["reason"],
                   None if outcome is None else GovernmentMeetingOutcome(outcome),
                   fields.get("summary"), fields.get("concluded_at"))

    @property
    def concluded(self) -> bool:
        return self.outcome is not None

    def as_fields(self) -> dict[str, Any]:
        return {"attendees": self.attendees, "meeting_at": self.meeting_at,
                "reason": self.reason,
                "outcome": None if self.outcome is None else self.outcome.value,
                "summary": self.summary, "concluded_at": self.concluded_at}


class GovernmentMeetingConvened(Aggregate.Event):
    attendees: list[str]
    meeting_at: datetime
    reason: str
    summary_due: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.government_meetings.append(
            GovernmentMeeting(self.attendees, self.meeting_at, self.reason).as_fields())
        aggregate._set_deadline(Deadline.MEETING_SUMMARY.value, self.summary_due,
                                self.meeting_at)


class GovernmentMeetingConcluded(Aggregate.Event):
    outcome: str
    summary: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.government_meetings[-1].update(outcome=self.outcome, summary=self.summary,
                                                 concluded_at=self.recorded_at)
        aggregate._clear_deadline(Deadline.MEETING_SUMMARY.value)


class GovernmentMeetingsPart(DiagnosisPart):
    """Convening and concluding the government meeting; the meetings a closure waits for."""

    def check_may_convene_government_meeting(self) -> None:
        """At the government meeting stage, one meeting at a time."""
        self.check_open()
        if self.stage != Stage.GOVERNMENT_MEETING:
            raise RuleViolation("a government meeting is convened only at that stage",
                                rule="government_meeting_needs_stage")
        if self._open_government_meeting() is not None:
            raise RuleViolation("a government meeting is already convened and not concluded",
                                rule="one_government_meeting_at_a_time")

    def check_may_conclude_government_meeting(self) -> None:
        self.check_open()
        if self._open_government_meeting() is None:
            raise RuleViolation("no government meeting has been convened to conclude",
                                rule="government_meeting_convened_first")

    def convene_government_meeting(
        self, *, attendees: Iterable[str], meeting_at: datetime, reason: str,
        recorded_at: datetime, actor_id: str, actor_role: str,
        policy: DeadlinePolicy = DEFAULT_POLICY,
    ) -> None:
        """The meeting before any intervention; its summary is due five working days on."""
        self.check_may_convene_government_meeting()
        people = texts(attendees, "attendees")
        if not people:
            raise InvalidField("attendees must name who is called", field="attendees")
        meeting_at = a_moment(meeting_at, "meeting_at")
        self.trigger_event(
            GovernmentMeetingConvened, attendees=people, meeting_at=meeting_at,
            reason=required_text(reason, "reason"),
            summary_due=policy.due(Deadline.MEETING_SUMMARY, meeting_at,
                                   risk_score=self.risk_score),
            recorded_at=recorded_at, **actor(actor_id, actor_role))

    def _open_government_meeting(self) -> GovernmentMeeting | None:
        meetings = [GovernmentMeeting.of(m) for m in self.government_meetings[-1:]]
        return meetings[0] if meetings and not meetings[0].concluded else None

    def conclude_government_meeting(self, *, outcome: str, summary: str, reason: str,
                                    recorded_at: datetime, actor_id: str,
                                    actor_role: str) -> None:
        """Sector-led approach agreed, or intervention; the summary meets its deadline."""
        self.check_may_conclude_government_meeting()
        self.trigger_event(
            GovernmentMeetingConcluded,
            outcome=one_of(outcome, GovernmentMeetingOutcome, "outcome"),
            summary=required_text(summary, "summary"), reason=required_text(reason, "reason"),
            recorded_at=recorded_at, **actor(actor_id, actor_role))

    def check_government_meeting_decided_intervention(self) -> None:
        """No intervention unless a government meeting was held first and concluded so."""
        concluded = [m for m in map(GovernmentMeeting.of, self.government_meetings)
                     if m.concluded]
        if not concluded or concluded[-1].outcome != GovernmentMeetingOutcome.INTERVENTION:
            raise RuleViolation(
                "intervention is recorded only after a government meeting concluded it",
                rule="intervention_needs_government_meeting", field="outcome")

    def check_meetings_concluded(self) -> None:
        """Every meeting, joint local or government, has its conclusion and summary."""
        unfinished = self._meetings_without_summary()
        if unfinished:
            raise RuleViolation(
                f"record the conclusion and summary of every meeting first: "
                f"{'; '.join(unfinished)}", rule="meetings_concluded_first", field="outcome")

    def _meetings_without_summary(self) -> list[str]:
        """Meetings whose conclusion or summary is still to be recorded: a government
        meeting not concluded, a joint local meeting whose summary is awaited, or any
        meeting summary deadline still running or paused."""
        found = [f"the government meeting convened for {m.meeting_at:%Y-%m-%d} is not "
                 f"concluded" for m in map(GovernmentMeeting.of, self.government_meetings)
                 if not m.concluded or not m.summary]
        found += [f"the joint local meeting of {m['held_at']:%Y-%m-%d} has no summary"
                  for m in self.joint_meetings if "summary" in m and not m["summary"]]
        summaries = (Deadline.MEETING_SUMMARY.value, Deadline.JOINT_MEETING_SUMMARY.value)
        if not found and any(s in self.deadlines or s in self.paused_deadlines
                             for s in summaries):
            found.append("a meeting summary is still due")
        return found
