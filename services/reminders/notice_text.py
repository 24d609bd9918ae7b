"""What a reminder or escalation says, written for the person who has to act.

The subject names the authority, what is due and the date; the body says in
plain English what is due and by when (UK local time, with the working days
left or overdue), what happens if it is missed (the next reminder, or the
escalation it leads to), what to do, and links to the case. Plain text and
HTML say the same.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from domain.calendar import is_working_day
from domain.timetable import (
    ASK_COUNCIL,
    ESCALATE,
    PROPOSAL_DEADLINE,
    PROPOSE,
    PROPOSE_JOINT_MEETING,
    REMIND_OF_JOINT_MEETING,
    REMIND_OF_PROPOSAL,
)
from domain.vocabulary import Deadline

UK = ZoneInfo("Europe/London")

WHAT = {
    Deadline.DIAGNOSIS.value: "the diagnosis",
    Deadline.PLAN_AGREED.value: "the council's agreement to the support plan",
    Deadline.NEXT_REVIEW.value: "the next progress review",
    Deadline.MEETING_SUMMARY.value: "the summary of the government meeting",
    Deadline.FOLLOW_UP_REVIEW.value: "the twelve-month follow-up review",
    Deadline.JOINT_MEETING_SUMMARY.value: "the summary of the joint local meeting",
    Deadline.NEXT_JOINT_MEETING.value: "the next joint local meeting, to review the local plan",
}
TO_DO = {
    Deadline.DIAGNOSIS.value: "Record the diagnosis on the case: the problems found, the "
                              "evidence and the root causes.",
    Deadline.PLAN_AGREED.value: "Agree the support plan with the council; the council's "
                                "liaison records its agreement on the case.",
    Deadline.NEXT_REVIEW.value: "Review progress against the plan's measures and record the "
                                "review on the case.",
    Deadline.MEETING_SUMMARY.value: "Record the meeting's summary on the case.",
    Deadline.FOLLOW_UP_REVIEW.value: "Check with the council that the improvement has lasted "
                                     "under its own improvement cycle, and record the "
                                     "follow-up review on the case; the judgement 'reopen' "
                                     "reopens it if support is needed again.",
    Deadline.JOINT_MEETING_SUMMARY.value: "Record the joint local meeting's summary on the "
                                          "case.",
    Deadline.NEXT_JOINT_MEETING.value: "Hold the joint local meeting with the council, the "
                                       "government office and the audit body, and record "
                                       "its outcome on the case.",
}
MORE_TIME = ("If more time is genuinely needed, a coordinator can pause the deadline on the "
             "case, giving the reason.")


@dataclass(frozen=True)
class StepFacts:
    """What the text needs: the step, its deadline's due time, and what comes next."""

    authority: str
    region: str
    stage: str
    action: str
    deadline: str
    due: datetime
    at: datetime
    to_stage: str | None
    next_action: str | None = None
    next_at: datetime | None = None
    next_to_stage: str | None = None
    asked_by: str = ""
    """Who put the plan to the council, by name (for a request to agree it)."""
    plan_due: datetime | None = None
    reference: str = ""
    """The case's reference (NW-2026-0042), quoted in the subject and the body."""


@dataclass(frozen=True)
class NoticeText:
    subject: str
    text: str
    html: str


def uk_day(moment: datetime) -> str:
    """'Tuesday 24 November 2026', in the UK's own time."""
    local = moment.astimezone(UK)
    return f"{local:%A} {local.day} {local:%B %Y}"


def uk_time(moment: datetime) -> str:
    """'18:36 on Tuesday 24 November 2026', in the UK's own time."""
    return f"{moment.astimezone(UK):%H:%M} on {uk_day(moment)}"


def working_days_after(start: date, end: date) -> int:
    """Working days after `start`, up to and including `end`."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += is_working_day(day)
    return days


def how_long(due: datetime, now: datetime) -> str:
    """'2 working days left', 'due later today', '3 working days overdue'."""
    today, due_day = now.astimezone(UK).date(), due.astimezone(UK).date()
    if due >= now:
        left = working_days_after(today, due_day)
        return "due later today" if left == 0 else f"{_days(left)} left"
    overdue = working_days_after(due_day, today)
    return "overdue since earlier today" if overdue == 0 else f"{_days(overdue)} overdue"


def _days(n: int) -> str:
    return f"{n} working day{'s' if n != 1 else ''}"


def write_notice(step: StepFacts, now: datetime, case_url: str) -> NoticeText:
    if step.action == ASK_COUNCIL:
        subject, paragraphs = _agreement_request(step)
    elif step.action in (PROPOSE_JOINT_MEETING, REMIND_OF_JOINT_MEETING):
        subject, paragraphs = _joint_meeting(step, now)
    elif step.action in (ESCALATE, PROPOSE):
        subject, paragraphs = _escalation(step, now)
    elif step.action == REMIND_OF_PROPOSAL or step.deadline == PROPOSAL_DEADLINE:
        subject, paragraphs = _proposal(step)
    else:
        subject, paragraphs = _reminder(step, now)
    return _render(subject, paragraphs, case_url, step)


def _reminder(step: StepFacts, now: datetime) -> tuple[str, list[str]]:
    what = WHAT.get(step.deadline, f"the {step.deadline}")
    missed = step.due < now
    state = "overdue since" if missed else "due"
    subject = f"{step.authority}: {step.deadline} {state} {uk_day(step.due)}"
    verb = "was due by" if missed else "is due by"
    return subject, [
        f"{_capital(what)} for {step.authority}'s support case {verb} {uk_time(step.due)} "
        f"(UK time): {how_long(step.due, now)}.",
        _if_missed(step),
        f"What to do: {TO_DO.get(step.deadline, 'Record it on the case.')}"
        + ("" if step.deadline == Deadline.FOLLOW_UP_REVIEW.value else f" {MORE_TIME}"),
    ]


def _escalation(step: StepFacts, now: datetime) -> tuple[str, list[str]]:
    what = WHAT.get(step.deadline, f"the {step.deadline}")
    if step.action == ESCALATE:
        subject = (f"{step.authority}: case escalated to the {step.to_stage} stage "
                   f"({step.deadline} overdue since {uk_day(step.due)})")
        done = (f"The case has been escalated from the {step.stage} stage to the "
                f"{step.to_stage} stage.")
        to_do = (f"What to do: pick the case up at the {step.to_stage} stage, and record "
                 f"{what} as soon as it is ready.")
    else:
        subject = (f"{step.authority}: escalation to the {step.to_stage} stage proposed "
                   f"({step.deadline} overdue since {uk_day(step.due)})")
        done = (f"Escalating the case from the {step.stage} stage to the {step.to_stage} stage "
                "has been proposed, and waits for a RIEP coordinator's decision.")
        to_do = "What to do: confirm or decline the proposed escalation on the case."
    return subject, [
        f"{_capital(what)} for {step.authority}'s support case was due by {uk_time(step.due)} "
        f"(UK time) and is {how_long(step.due, now)}; the reminders went unanswered.",
        done, to_do,
    ]


def _proposal(step: StepFacts) -> tuple[str, list[str]]:
    subject = (f"{step.authority}: escalation to the {step.to_stage} stage awaits your "
               f"decision (proposed {uk_day(step.due)})")
    return subject, [
        f"Escalating {step.authority}'s support case to the {step.to_stage} stage was "
        f"proposed at {uk_time(step.due)} (UK time) and still awaits a decision.",
        _if_missed(step),
        "What to do: confirm or decline the proposed escalation on the case.",
    ]


def _joint_meeting(step: StepFacts, now: datetime) -> tuple[str, list[str]]:
    """A case stuck at local without the council's agreement: hold a joint local meeting."""
    to_do = ("What to do: hold a joint local meeting with the council, the government office "
             "and the audit body, and record its outcome on the case; or decline the proposal "
             "on the case, giving the reason.")
    if step.action == PROPOSE_JOINT_MEETING:
        what = WHAT.get(step.deadline, f"the {step.deadline}")
        return (f"{step.authority}: a joint local meeting is proposed "
                f"({step.deadline} overdue since {uk_day(step.due)})"), [
            f"{_capital(what)} for {step.authority}'s support case was due by "
            f"{uk_time(step.due)} (UK time) and is {how_long(step.due, now)}; the reminders "
            "went unanswered, and the council has not agreed to a referral to the RIEP.",
            "A joint local meeting is proposed to decide the next step.", to_do]
    return (f"{step.authority}: the proposed joint local meeting is still to be held "
            f"(proposed {uk_day(step.due)})"), [
        f"A joint local meeting for {step.authority}'s support case was proposed at "
        f"{uk_time(step.due)} (UK time) and has been neither held nor declined.",
        _if_missed(step), to_do]


def _agreement_request(step: StepFacts) -> tuple[str, list[str]]:
    """The plan is put to the council: its liaison reads it and agrees it on the case."""
    by = f"{step.asked_by or 'The RIEP'} asked"
    due = (f" It is due to be agreed by {uk_day(step.plan_due)}." if step.plan_due else "")
    return (f"{step.authority}: the support plan awaits your agreement"), [
        f"{by} {step.authority} to agree its support plan, on {uk_day(step.due)}.{due}",
        "What to do: read the plan on the case and, if the council agrees it, record the "
        "council's agreement there, giving the reason. If it does not, tell the RIEP "
        "coordinator what should change.",
    ]


def _if_missed(step: StepFacts) -> str:
    if step.next_at is None:
        return "No further reminder will be sent: the case stays where it is until this is done."
    when = uk_time(step.next_at)
    if step.next_action == ESCALATE:
        return (f"If it is still outstanding at {when}, the case will be escalated to the "
                f"{step.next_to_stage} stage.")
    if step.next_action == PROPOSE_JOINT_MEETING:
        return (f"If it is still outstanding at {when}, a joint local meeting will be "
                "proposed to the RIEP coordinators.")
    if step.next_action == PROPOSE:
        return (f"If it is still outstanding at {when}, escalating the case to the "
                f"{step.next_to_stage} stage will be proposed to the RIEP coordinators.")
    return f"If it is still outstanding, you will be reminded again at {when}."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _render(subject: str, paragraphs: list[str], case_url: str, step: StepFacts) -> NoticeText:
    link = f"Open the case: {case_url}" if case_url else ""
    sign_off = f"Sent by casework for the {step.region} regional improvement partnership."
    if step.reference:  # quoted in replies and on the phone
        subject = f"{subject} (case {step.reference})"
        paragraphs = [*paragraphs, f"The case's reference is {step.reference}."]
    text = "\n\n".join(["Hello,", *paragraphs, *([link] if link else []), sign_off]) + "\n"
    html_link = (f'<p><a href="{escape(case_url, quote=True)}">Open the case</a></p>'
                 if case_url else "")
    html = ("<html><body>" + "".join(f"<p>{escape(p)}</p>" for p in ["Hello,", *paragraphs])
            + html_link + f"<p>{escape(sign_off)}</p></body></html>\n")
    return NoticeText(subject, text, html)
