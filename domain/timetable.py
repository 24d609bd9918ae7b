"""The escalation timetable: what is due next for a case under its region's policy.

A pure function of the case's facts, the policy and the time, so the workflow
can recompute it whenever it wakes: a deadline met, paused or moved, or a
policy changed, simply gives a different timetable. Each step has a key that
names it for good, so a step already recorded in the case is never due again.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.calendar import PolicyDuration, add_working_days
from domain.case import AGREEMENT_REQUESTED, ESCALATION_DECISION, JOINT_MEETING_DECISION, LADDER
from domain.policy import EscalationMode, EscalationPolicy
from domain.vocabulary import Deadline, Stage

REMIND = "remind"
ESCALATE = "escalate"
PROPOSE = "propose escalation"
REMIND_OF_PROPOSAL = "remind of proposal"
PROPOSAL_DEADLINE = ESCALATION_DECISION
PROPOSE_JOINT_MEETING = "propose joint local meeting"
REMIND_OF_JOINT_MEETING = "remind of joint local meeting"
JOINT_MEETING_DEADLINE = JOINT_MEETING_DECISION
ASK_COUNCIL = "ask council to agree plan"
AGREEMENT_REQUEST = AGREEMENT_REQUESTED

CASE_OWNER = "case owner"
COORDINATOR = "RIEP coordinator"
COUNCIL_LIAISON = "authority liaison"

AFTER_CLOSURE = frozenset({Deadline.FOLLOW_UP_REVIEW.value})
"""The deadlines a closed case is still reminded of: only its follow-up review."""


def next_stage(stage: str) -> str | None:
    """One rung up the ladder; None at the government meeting, the top automation reaches.

    Intervention is never a stage the automation can choose.
    """
    position = LADDER.index(stage)
    return LADDER[position + 1] if position + 1 < len(LADDER) else None


@dataclass(frozen=True)
class CaseFacts:
    """What the timetable needs to know of a case, read fresh from its stream.

    since: when the case last changed stage or had an escalation decided; the
    missed-deadline count starts again from there.
    proposal_at: when a pending escalation proposal was made, if one waits.
    escalation_allowed: whether the ladder's rules let the case up a rung now
    (from local, only with the council's agreement or a red flag).
    started: when each open deadline's clock started.
    up_to: the stage a move up leads to when the ladder's rules say other than the
    next rung (a red flag leads from local straight to the government meeting).
    joint_meeting_proposed_at: when a proposed joint local meeting was proposed,
    while it is neither held nor declined.
    agreement_requested_at: when the council was asked to agree the plan as it stands,
    while it has not agreed it.
    """

    status: str
    stage: str
    deadlines: dict[str, datetime]
    recorded: frozenset[str]
    since: datetime | None = None
    proposal_at: datetime | None = None
    escalation_allowed: bool = True
    started: dict[str, datetime] = field(default_factory=dict)
    up_to: str | None = None
    joint_meeting_proposed_at: datetime | None = None
    agreement_requested_at: datetime | None = None


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    deadline: str
    key: str
    recipient: str
    to_stage: str | None = None


def working_days_before(moment: datetime, days: int) -> datetime:
    """The same London time of day, `days` working days before `moment`."""
    return add_working_days(moment, -days)


def before(moment: datetime, duration: PolicyDuration) -> datetime:
    if duration.working_days is not None:
        return working_days_before(moment, duration.working_days)
    assert duration.elapsed is not None
    return moment - duration.elapsed


def repeats(start: datetime, every: PolicyDuration, count: int) -> list[datetime]:
    """`count` + 1 moments: `start`, then every interval after it."""
    moments = [start]
    for _ in range(count):
        moments.append(every.due_after(moments[-1]))
    return moments


def timetable(facts: CaseFacts, policy: EscalationPolicy, now: datetime) -> list[Step]:
    """Every step not yet recorded, earliest first. A closed case has only the reminders
    of its follow-up review (never an escalation): nothing else is due on it."""
    open_case = facts.status == "open"
    steps: list[Step] = []
    for deadline, due in facts.deadlines.items():
        if open_case or deadline in AFTER_CLOSURE:
            steps += _within_the_calendar(_deadline_steps, facts, policy, deadline, due, now)
    if open_case:
        steps += _within_the_calendar(_proposal_steps, facts, policy)
        steps += _within_the_calendar(_joint_meeting_steps, facts, policy, now)
        steps += _agreement_request(facts)
    return sorted((s for s in steps if s.key not in facts.recorded), key=lambda s: s.at)


def _within_the_calendar(steps: Callable[..., list[Step]], *args: Any) -> list[Step]:
    """Steps that would fall after the year 9999 never come; the case's other deadlines
    keep theirs (one out-of-range date must not stop a case's reminders)."""
    try:
        return steps(*args)
    except OverflowError:
        return []


def _deadline_steps(facts: CaseFacts, policy: EscalationPolicy, deadline: str,
                    due: datetime, now: datetime) -> list[Step]:
    """A reminder before the deadline, reminders once missed, then one escalation."""
    steps = []
    remind_at = before(due, policy.remind_before)
    started = facts.started.get(deadline, remind_at)
    # no "falls due soon" once it has passed, nor when the notice is longer than the deadline
    if now < due and started <= remind_at < due:
        steps.append(Step(remind_at, REMIND, deadline, f"{deadline}:{due.isoformat()}:before",
                          CASE_OWNER))
    missed_from = max(due, facts.since) if facts.since else due
    prefix = f"{deadline}:{due.isoformat()}:{missed_from.isoformat()}"
    moments = repeats(missed_from, policy.remind_every, policy.missed_reminder_limit)
    for number, moment in enumerate(moments[:-1], start=1):
        steps.append(Step(moment, REMIND, deadline, f"{prefix}:missed-{number}", CASE_OWNER))
    escalation = _escalation(facts, policy, deadline, moments[-1], f"{prefix}:escalate")
    return steps + ([escalation] if escalation else [])


def _escalation(facts: CaseFacts, policy: EscalationPolicy, deadline: str, at: datetime,
                key: str) -> Step | None:
    """Up one stage, or a proposal to, unless at the top or a proposal already waits.

    The move to a government meeting is only ever proposed, whatever the region's
    mode: a person confirms it and convenes the meeting. A case stuck at local
    without the council's agreement is never left silent: a joint local meeting
    is proposed instead.
    """
    if not facts.escalation_allowed:
        return _joint_meeting_proposal(facts, deadline, at, key)
    to_stage = facts.up_to or next_stage(facts.stage)
    if to_stage is None or facts.proposal_at is not None:
        return None
    if facts.status != "open":
        return None  # a closed case is only reminded of its follow-up review
    automatic = policy.escalation == EscalationMode.AUTOMATIC.value
    by_itself = automatic and to_stage != Stage.GOVERNMENT_MEETING.value
    return Step(at, ESCALATE if by_itself else PROPOSE, deadline, key, COORDINATOR, to_stage)


def _joint_meeting_proposal(facts: CaseFacts, deadline: str, at: datetime,
                            key: str) -> Step | None:
    """At local without the council's agreement, missed deadlines lead to a proposed joint
    local meeting (unless one is proposed already)."""
    if (facts.status != "open" or facts.stage != Stage.LOCAL.value
            or facts.joint_meeting_proposed_at is not None):
        return None
    return Step(at, PROPOSE_JOINT_MEETING, deadline, f"{key}:joint-meeting", COORDINATOR)


def _proposal_steps(facts: CaseFacts, policy: EscalationPolicy) -> list[Step]:
    """A waiting proposal reminds the coordinator to decide it, up to the limit."""
    if facts.proposal_at is None:
        return []
    moments = repeats(facts.proposal_at, policy.remind_every,
                      max(1, policy.missed_reminder_limit))[1:]
    prefix = f"{PROPOSAL_DEADLINE}:{facts.proposal_at.isoformat()}"
    return [Step(moment, REMIND_OF_PROPOSAL, PROPOSAL_DEADLINE, f"{prefix}:{number}",
                 COORDINATOR, next_stage(facts.stage))
            for number, moment in enumerate(moments, start=1)]


def _joint_meeting_steps(facts: CaseFacts, policy: EscalationPolicy,
                         now: datetime) -> list[Step]:
    """A proposed joint local meeting reminds the coordinator at every interval until it is
    held or declined: the latest reminder now due (none missed are sent in a burst after
    an outage) and the one after it."""
    start = facts.joint_meeting_proposed_at
    if start is None:
        return []
    prefix = f"{JOINT_MEETING_DEADLINE}:{start.isoformat()}"
    return [Step(moment, REMIND_OF_JOINT_MEETING, JOINT_MEETING_DEADLINE,
                 f"{prefix}:{number}", COORDINATOR)
            for number, moment in _latest_and_next(start, policy.remind_every, now)]


def _agreement_request(facts: CaseFacts) -> list[Step]:
    """The council asked to agree the plan is told at once, once per request."""
    asked = facts.agreement_requested_at
    if asked is None:
        return []
    return [Step(asked, ASK_COUNCIL, AGREEMENT_REQUEST,
                 f"{AGREEMENT_REQUEST}:{asked.isoformat()}", COUNCIL_LIAISON)]


def _latest_and_next(start: datetime, every: PolicyDuration,
                     now: datetime) -> list[tuple[int, datetime]]:
    """The numbered repeats of `every` after `start`: the last at or before `now`, if
    any, and the first after it."""
    if every.elapsed is not None:
        count = max(0, int((now - start) / every.elapsed)) if now > start else 0
        moments = [(n, start + every.elapsed * n) for n in (count, count + 1)]
        return [(n, m) for n, m in moments if n >= 1]
    number, moment, latest = 1, every.due_after(start), None
    while moment <= now:
        latest = (number, moment)
        number, moment = number + 1, every.due_after(moment)
    return ([latest] if latest else []) + [(number, moment)]
