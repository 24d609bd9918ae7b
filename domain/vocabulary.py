"""The words of sector-led improvement, as closed sets of values.

Using enums with the users' own phrases as values keeps the API, the stored
events and the web pages speaking the same language.
"""

from enum import StrEnum

from domain.errors import InvalidField


class ConcernSource(StrEnum):
    """Where a concern about an authority came from (the brief's list)."""

    SELF_ASSESSMENT = "council self-assessment"
    ANNUAL_RISK_ASSESSMENT = "annual risk assessment"
    USE_OF_RESOURCES = "use-of-resources judgement"
    DIRECTION_OF_TRAVEL = "direction-of-travel statement"
    CAA_ANNUAL_REVIEW = "CAA annual review"
    PEER_REVIEW = "peer review"
    INSPECTORATE_REPORT = "inspectorate report"
    REGIONAL_COMPARATORS = "regional performance comparators"
    CHANGE_AGENT_INTELLIGENCE = "anecdotal intelligence from change agents"
    CLEARING_HOUSE = "confidential report to the clearing house"
    COUNCIL_REQUEST = "council asked for help"


class IssueType(StrEnum):
    """The kind of trouble a concern describes."""

    ORGANISATIONAL_CRISIS = "organisational crisis point"
    CRITICAL_SUCCESS_FACTORS = "failure on critical success factors"
    SERVICE_SPECIFIC = "service-specific issue"
    COASTING = "coasting"
    MOVING_TOWARDS_EXCELLENCE = "moving towards excellence"


class Stage(StrEnum):
    """The rungs of the escalation ladder, lowest first."""

    LOCAL = "local"
    RIEP = "RIEP"
    GOVERNMENT_MEETING = "government meeting"


class CaseStatus(StrEnum):
    """Whether a case is still being worked."""

    OPEN = "open"
    CLOSED = "closed"


class Deadline(StrEnum):
    """The deadlines a case carries."""

    DIAGNOSIS = "diagnosis"
    PLAN_AGREED = "plan agreed"
    NEXT_REVIEW = "next review"
    MEETING_SUMMARY = "meeting summary"
    FOLLOW_UP_REVIEW = "follow-up review"
    """Twelve months after a case closed as improved (seed 001): has it lasted?"""
    JOINT_MEETING_SUMMARY = "joint meeting summary"
    NEXT_JOINT_MEETING = "next joint meeting"


def choices(enum: type[StrEnum]) -> str:
    """A readable list of allowed values, for error messages."""
    return ", ".join(repr(m.value) for m in enum)


class Confidentiality(StrEnum):
    """How intelligence may be shared: Chatham House content is usable, its source is not."""

    NORMAL = "normal"
    CHATHAM_HOUSE = "Chatham House"


class Level(StrEnum):
    """One axis of the risk matrix: impact or likelihood."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RiskKind(StrEnum):
    """Inherent risk is before any support; residual risk is what remains with it."""

    INHERENT = "inherent"
    RESIDUAL = "residual"


class RiskBand(StrEnum):
    """What a risk score asks for (seed 003, Risk Analysis Criteria)."""

    IMMEDIATE_ACTION = "immediate action needed"
    KEY_RISK = "key risk"
    MONITOR = "monitor"
    NO_ACTION = "no action"


class ProblemNature(StrEnum):
    """The nature of a council's problems, as a diagnosis names them."""

    FINANCIAL = "financial"
    CAPACITY = "capacity"
    CAPABILITY = "capability"
    POLITICAL = "political"


class MeasureStatus(StrEnum):
    """Where one outcome measure stands at a progress review."""

    ON_TRACK = "on track"
    OFF_TRACK = "off track"


class ProgressJudgement(StrEnum):
    """The overall judgement of a progress review."""

    IMPROVING = "improving"
    NO_CHANGE = "no change"
    DETERIORATING = "deteriorating"


class StageTrigger(StrEnum):
    """Who or what moved a case between stages."""

    PERSON = "person"
    AUTOMATED = "automated"


class JointMeetingOutcome(StrEnum):
    """The three outcomes of a joint local meeting (council, government office, audit body)."""

    STRONG_LOCAL_PLAN = "strong local plan"
    REFER_TO_RIEP = "refer to RIEP with agreement"
    REGULATOR_NOT_SATISFIED = "regulator not satisfied"


class JointMeetingAttendee(StrEnum):
    """Who sits at a joint local meeting (seed 004): the council (or its local
    partnership), the government office and the audit body."""

    COUNCIL = "council or partnership"
    GOVERNMENT_OFFICE = "government office"
    AUDIT_BODY = "audit body"


class GovernmentMeetingOutcome(StrEnum):
    """What the meeting before any intervention concludes."""

    SECTOR_LED = "sector-led approach agreed"
    INTERVENTION = "intervention"


class CaseOutcome(StrEnum):
    """How a case ends."""

    IMPROVED = "improved and handed back"
    INTERVENTION = "government intervention"


class FollowUpJudgement(StrEnum):
    """What the follow-up review of a case closed as improved finds, twelve months on."""

    SUSTAINED = "improvement sustained"
    CONCERNS = "concerns left with the council"
    """Some slippage, which the council's own improvement cycle is dealing with."""
    REOPEN = "reopen"
    """Support is needed again: the review reopens the case."""


def one_of(value: object, enum: type[StrEnum], field: str) -> str:
    """The value of `enum` that `value` names, or InvalidField listing the choices."""
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return enum(value).value
    except ValueError:
        raise InvalidField(
            f"{field} must be one of {choices(enum)}; got {value!r}", field=field
        ) from None
