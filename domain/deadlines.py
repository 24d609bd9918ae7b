"""Deadline policy: how long each step of a case may take, and how risk shortens it.

The durations are policy, set per region by the services layer and passed into
the case's commands; the case stores the resulting due times in its events, so a
policy change never rewrites a deadline already set, and replay needs no policy.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.calendar import PolicyDuration, add_working_time, working_time_between
from domain.risk import IMMEDIATE_ACTION_SCORE
from domain.vocabulary import Deadline

COMPRESSION_FACTOR = 2
"""A risk score of 9 divides every duration by this (halves it), to at least one
working day: an authority facing a serious threat to key services cannot wait the
usual time for a diagnosis, a plan, a review or a meeting summary."""


def _days(n: int) -> PolicyDuration:
    return PolicyDuration(working_days=n)


TWELVE_MONTHS = PolicyDuration(elapsed=timedelta(days=365))
"""Seed 001: the work is "reviewed again in 12 months' time"."""


def compress(duration: PolicyDuration) -> PolicyDuration:
    """The duration divided by COMPRESSION_FACTOR, rounded up, never below one working day."""
    if duration.working_days is not None:
        halved = -(-duration.working_days // COMPRESSION_FACTOR)
        return PolicyDuration(working_days=max(1, halved))
    assert duration.elapsed is not None
    return PolicyDuration(elapsed=duration.elapsed / COMPRESSION_FACTOR)


@dataclass(frozen=True)
class DeadlinePolicy:
    """The time allowed for each deadline a case carries.

    diagnosis: from the concern; plan_agreed: from the diagnosis; next_review:
    from the plan's agreement or the last review; meeting_summary: from a
    government meeting or a joint local meeting (five working days);
    next_joint_meeting: from a joint local meeting that found a strong local
    plan, to the next one that reviews it, unless the meeting names its date;
    follow_up_review: from a closure as improved (twelve months), never
    compressed, since the case is closed by then.
    """

    diagnosis: PolicyDuration = field(default_factory=lambda: _days(10))
    plan_agreed: PolicyDuration = field(default_factory=lambda: _days(20))
    next_review: PolicyDuration = field(default_factory=lambda: _days(30))
    meeting_summary: PolicyDuration = field(default_factory=lambda: _days(5))
    follow_up_review: PolicyDuration = TWELVE_MONTHS
    next_joint_meeting: PolicyDuration = field(default_factory=lambda: _days(60))

    def duration(self, deadline: Deadline, *, risk_score: int | None = None) -> PolicyDuration:
        """The duration for one deadline, compressed when the risk score is 9."""
        chosen = {
            Deadline.DIAGNOSIS: self.diagnosis,
            Deadline.PLAN_AGREED: self.plan_agreed,
            Deadline.NEXT_REVIEW: self.next_review,
            Deadline.MEETING_SUMMARY: self.meeting_summary,
            Deadline.FOLLOW_UP_REVIEW: self.follow_up_review,
            Deadline.JOINT_MEETING_SUMMARY: self.meeting_summary,
            Deadline.NEXT_JOINT_MEETING: self.next_joint_meeting,
        }[Deadline(deadline)]
        if risk_score is not None and risk_score >= IMMEDIATE_ACTION_SCORE:
            return compress(chosen)
        return chosen

    def due(self, deadline: Deadline, start: datetime, *,
            risk_score: int | None = None) -> datetime:
        """When `deadline`, started at `start`, falls due under this policy."""
        return self.duration(deadline, risk_score=risk_score).due_after(start)


def resumed_due(due: datetime, paused_at: datetime, resumed_at: datetime, *,
                working_days: bool = True) -> datetime:
    """A paused deadline keeps the time already used: it moves out by the pause.

    A deadline counted in working days moves out by the working time the pause
    took (a pause over a weekend moves it not at all), and lands on working
    time too; one counted in elapsed time (a demo's seconds) by the time itself.
    """
    if resumed_at <= paused_at:
        return due
    if not working_days:
        return due + (resumed_at - paused_at)
    return add_working_time(due, working_time_between(paused_at, resumed_at))
