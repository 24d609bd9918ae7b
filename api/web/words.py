"""Stored values in the sector's own words, for pages.

The domain stores its vocabulary as short phrases (`domain/vocabulary.py`), some of
them in lower case because they sit mid-sentence in the record. A page shows them at
the start of a cell or a sentence, where a simple capitalise reads "Riep" or "Caa".
This module says each value as people in the sector spell it ("RIEP", "CAA",
"Chatham House", "Refer to the RIEP with the council's agreement"), shows money with
separators and durations in words ("10 working days", "1 year").
"""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from api.web.people import ROLE_WORDS
from domain.calendar import PolicyDuration
from domain.errors import DomainError

PHRASES: dict[str, str] = {
    # Stage
    "local": "local", "riep": "RIEP", "government meeting": "government meeting",
    # CaseStatus, Delivery, PlanStatus
    "open": "open", "closed": "closed", "active": "active", "ended": "ended",
    "draft": "draft", "agreed": "agreed",
    # Deadline
    "diagnosis": "diagnosis", "plan agreed": "support plan to be agreed",
    "next review": "next progress review", "meeting summary": "government meeting summary",
    "follow-up review": "follow-up review", "joint meeting summary": "joint local meeting summary",
    "next joint meeting": "next joint local meeting",
    # ConcernSource
    "council self-assessment": "council self-assessment",
    "annual risk assessment": "annual risk assessment",
    "use-of-resources judgement": "use of resources judgement",
    "direction-of-travel statement": "direction of travel statement",
    "caa annual review": "CAA annual review", "peer review": "peer review",
    "inspectorate report": "inspectorate report",
    "regional performance comparators": "regional performance comparators",
    "anecdotal intelligence from change agents": "anecdotal intelligence from change agents",
    "confidential report to the clearing house": "confidential report to the clearing house",
    "council asked for help": "council asked for help",
    # IssueType
    "organisational crisis point": "organisational crisis point",
    "failure on critical success factors": "failure on critical success factors",
    "service-specific issue": "service-specific issue", "coasting": "coasting",
    "moving towards excellence": "moving towards excellence",
    # Confidentiality
    "normal": "normal", "chatham house": "Chatham House",
    # Level, RiskKind, RiskBand
    "high": "high", "medium": "medium", "low": "low",
    "inherent": "inherent risk", "residual": "residual risk",
    "immediate action needed": "immediate action needed", "key risk": "key risk",
    "monitor": "monitor", "no action": "no action",
    # ProblemNature
    "financial": "financial", "capacity": "capacity", "capability": "capability",
    "political": "political",
    # MeasureStatus, ProgressJudgement
    "on track": "on track", "off track": "off track",
    "improving": "improving", "no change": "no change", "deteriorating": "deteriorating",
    # StageTrigger
    "person": "by a person", "automated": "automatically",
    # JointMeetingOutcome
    "strong local plan": "strong local plan",
    "refer to riep with agreement": "refer to the RIEP with the council's agreement",
    "regulator not satisfied": "regulator not satisfied",
    # JointMeetingAttendee
    "council or partnership": "council or its local partnership",
    "government office": "government office", "audit body": "audit body",
    # GovernmentMeetingOutcome, CaseOutcome
    "sector-led approach agreed": "sector-led approach agreed",
    "intervention": "intervention",
    "improved and handed back": "improved and handed back to the council",
    "government intervention": "government intervention",
    # FollowUpJudgement
    "improvement sustained": "improvement sustained",
    "concerns left with the council": "concerns left with the council",
    "reopen": "reopen the case",
    # EscalationMode
    "automatic": "automatic", "proposed": "proposed",
    # What the pages add: an unassessed case, an authority duty's state
    "not assessed": "not assessed", "not started": "not started", "not yet due": "not yet due",
    "due": "due", "overdue": "overdue",
    # Roles (api/web/people.py says them)
    **{role.casefold(): words for role, words in ROLE_WORDS.items()},
}
ACRONYMS = ("RIEP", "CAA", "LGA", "IDeA", "Ofsted")
LONDON = ZoneInfo("Europe/London")


def phrase(value: Any) -> str:
    """A stored value as it reads mid-sentence ("the RIEP", "Chatham House")."""
    text = str(getattr(value, "value", value) or "")
    return PHRASES.get(text.casefold(), text)


def say(value: Any) -> str:
    """A stored value as it reads at the start of a cell or sentence ("RIEP",
    "Refer to the RIEP with the council's agreement", "Chatham House")."""
    text = phrase(value)
    return text[:1].upper() + text[1:]


def say_all(values: Any) -> str:
    """A list of stored values, in words, joined for a cell ("Capacity, political")."""
    if not values:
        return ""
    if isinstance(values, str):
        return say(values)
    return say(", ".join(phrase(v) for v in values))


def money(value: Any) -> str:
    """Pounds with separators: £5,600,000; pence only when not whole (£1,200.50)."""
    try:
        amount = Decimal(str(value).replace(",", "").lstrip("£"))
    except (InvalidOperation, ValueError):
        return str(value or "")
    if amount == amount.to_integral_value():
        return f"£{int(amount):,}"
    return f"£{amount.quantize(Decimal('0.01')):,}"


_UNITS: tuple[tuple[str, timedelta], ...] = (
    ("year", timedelta(days=365)), ("week", timedelta(weeks=1)), ("day", timedelta(days=1)),
    ("hour", timedelta(hours=1)), ("minute", timedelta(minutes=1)),
    ("second", timedelta(seconds=1)))


def count(n: int, unit: str) -> str:
    """"1 year", "6 weeks"."""
    return f"{n} {unit}{'' if n == 1 else 's'}"


def duration_parts(value: Any) -> tuple[int, str] | None:
    """A stored policy duration as a number and a unit (working days, weeks, ...), or
    None when it is not one ('soon')."""
    try:
        parsed = PolicyDuration.parse(str(value))
    except DomainError:
        return None
    if parsed.working_days is not None:
        return parsed.working_days, "working day"
    assert parsed.elapsed is not None
    if not parsed.elapsed:
        return 0, "second"
    whole = next(((u, s) for u, s in _UNITS if not parsed.elapsed % s), None)
    return (int(parsed.elapsed / whole[1]), whole[0]) if whole else None


def duration(value: Any) -> str:
    """A stored duration in words: '10' -> "10 working days", 'PT31536000S' -> "1 year"."""
    parts = duration_parts(value)
    return count(*parts) if parts else str(value or "")


def moment_of(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def when(value: Any) -> str:
    """A moment as people in England read it: 3 March 2027 at 2:05pm."""
    moment = moment_of(value)
    if moment is None:
        return str(value or "")
    local = moment.astimezone(LONDON) if moment.tzinfo else moment
    hour = local.strftime("%I:%M%p").lstrip("0").lower()
    return f"{local.day} {local.strftime('%B %Y')} at {hour}"


def day(value: Any) -> str:
    moment = moment_of(value)
    if moment is not None:
        value = (moment.astimezone(LONDON) if moment.tzinfo else moment).date()
    if isinstance(value, date):
        return f"{value.day} {value.strftime('%B %Y')}"
    return str(value or "")


FILTERS = {"say": say, "say_all": say_all, "phrase": phrase, "money": money,
           "duration": duration}


DONE: dict[str, str] = {
    "open_case": "the case is open",
    "ask_council_to_agree": "the council is asked to agree the support plan; its liaisons "
                            "are told",
    "propose_joint_local_meeting": "a joint local meeting is proposed",
    "add_intelligence": "the intelligence is added",
    "attach_document": "the document is attached",
    "assess_risk": "the risk is assessed", "record_diagnosis": "the diagnosis is recorded",
    "acknowledge_need": "the council's need for support is acknowledged",
    "decline_support": "the council's refusal of support is recorded",
    "draft_plan": "the support plan is drafted", "review_plan": "the support plan is reviewed",
    "agree_plan": "the support plan is agreed", "revise_plan": "the support plan is revised",
    "commission_support": "the support is commissioned",
    "end_commission": "the commissioned support is ended", "deploy_peer": "the peer is deployed",
    "record_peer_visit": "the peer visit is recorded",
    "end_peer_deployment": "the peer deployment is ended",
    "review_progress": "the progress review is recorded", "change_stage": "the stage is changed",
    "hold_joint_local_meeting": "the joint local meeting is recorded",
    "record_joint_meeting_summary": "the joint local meeting's summary is recorded",
    "decline_joint_meeting": "the proposed joint local meeting is declined",
    "convene_government_meeting": "the government meeting is convened",
    "conclude_government_meeting": "the government meeting is concluded",
    "confirm_escalation": "the escalation is confirmed",
    "decline_escalation": "the escalation is declined", "pause_deadline": "the deadline is paused",
    "resume_deadline": "the deadline is running again", "close_case": "the case is closed",
    "reopen_case": "the case is reopened", "record_follow_up_review": "the follow-up review is "
    "recorded", "reassign_case": "the case has its new owner",
    "grant_confidential_access": "access to the confidential sources is given",
    "revoke_confidential_access": "access to the confidential sources is withdrawn",
}


def done_words(method: Any) -> str:
    """What a command did, for the banner after it: "the support plan is agreed"."""
    text = str(method or "")
    return DONE.get(text, text.replace("_", " "))


FILTERS["done_words"] = done_words
