"""Request bodies of the case commands, each with an example for /docs.

They check shape and closed vocabularies at the edge; the domain checks every
rule again (and alone knows the lifecycle rules), so an invalid body and a
refused command both answer with the field and the rule, and write nothing.
"""

from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import ConfigDict, Field, StrictInt

from api.fields import Day, Moment, Version
from api.text import Line, RequestBody
from domain.vocabulary import (
    CaseOutcome,
    Confidentiality,
    Deadline,
    FollowUpJudgement,
    GovernmentMeetingOutcome,
    JointMeetingAttendee,
    JointMeetingOutcome,
    Level,
    MeasureStatus,
    ProblemNature,
    ProgressJudgement,
    RiskKind,
    Stage,
)

Text = Field(min_length=1, max_length=5000)
Reason = Field(min_length=1, max_length=5000, description="Why: kept in the history.")


def _example(**values: Any) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})


class Command(RequestBody):
    expected_version: Version | None = Field(
        None, description="The version the command was decided on (or send If-Match).")


class IntelligenceAdd(Command):
    model_config = _example(content="Two senior officers resigned this month",
                            source="Chief executive of a neighbouring council",
                            confidentiality="Chatham House")
    content: str = Text
    source: Line = Field(min_length=1, max_length=500)
    confidentiality: Confidentiality = Confidentiality.NORMAL


class RiskAssess(Command):
    """The score, and the risk table's other columns (seed 003), each optional: who owns
    the risk, how it is managed, the key controls and the indicators to watch. Columns
    left out keep what an earlier assessment said."""

    model_config = _example(kind="inherent", impact="high", likelihood="medium",
                            reason="Safeguarding failures with weak leadership",
                            owner="RIEP and the council", management_solution=(
                                "Resolve by negotiation"),
                            key_controls=["LGA intervention/consultation"],
                            risk_indicators=["Report to the RIEP steering group"])
    kind: RiskKind
    impact: Level
    likelihood: Level
    reason: str = Reason
    owner: Line | None = Field(None, max_length=200, description="Who owns the risk.")
    management_solution: str | None = Field(None, max_length=2000)
    key_controls: list[Line] = Field(default_factory=list, max_length=20)
    risk_indicators: list[Line] = Field(default_factory=list, max_length=20)


class DiagnosisRecord(Command):
    model_config = _example(summary="Weak corporate capacity and unstable leadership",
                            problem_natures=["capacity", "political"],
                            evidence="Inspectorate report, staff survey",
                            root_causes="Turnover of senior officers")
    summary: str = Field(min_length=1, max_length=10000)
    problem_natures: list[ProblemNature] = Field(default_factory=list, max_length=4)
    evidence: str | None = Field(None, max_length=10000)
    root_causes: str | None = Field(None, max_length=10000)


class CouncilDecision(Command):
    model_config = _example(reason="The cabinet accepts the diagnosis and asks for support")
    reason: str = Reason


class PlanAction(RequestBody):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=2000)
    owner: Line = Field(min_length=1, max_length=200)
    provider: Line = Field(min_length=1, max_length=200)
    cost: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    due: Day
    measure: str = Field(min_length=1, max_length=1000)


_ACTION = {"description": "Interim director of children's services", "owner": "Chief executive",
           "provider": "the national improvement body", "cost": "0", "due": "2027-03-31",
           "measure": "Ofsted monitoring visit finds progress"}


class PlanDraft(Command):
    model_config = _example(summary="Stabilise leadership, then rebuild capacity",
                            actions=[_ACTION], adviser_id="adam")
    summary: str = Text
    actions: list[PlanAction] = Field(min_length=1, max_length=100)
    adviser_id: Line = Field(min_length=1, max_length=200,
                            description="The improvement adviser who oversees the plan.")


class PlanReview(Command):
    model_config = _example(suggestions=["Add a finance action with the LGA"])
    suggestions: list[str] = Field(min_length=1, max_length=100)


class AgreementRequest(Command):
    """Ask the council to agree the drafted plan: its liaisons are emailed, and the plan
    heads their My work until they agree it. Once per revision of the plan."""

    model_config = _example(note="Co-designed with your chief executive; ready for cabinet")
    note: str | None = Field(None, max_length=5000,
                             description="A note for the council's liaison, if any.")


class PlanRevision(Command):
    model_config = _example(actions=[_ACTION], reason="The interim appointment was made early",
                            summary="Leadership stabilised; now capacity")
    actions: list[PlanAction] = Field(min_length=1, max_length=100)
    reason: str = Reason
    summary: str | None = Field(None, max_length=5000)


class SupportCommission(Command):
    """Commission an offer of the support matrix (`GET /support-offers`) for the case's
    council: the registers check its region, days, conflicts of interest and, when it
    is paid for, commit its cost to the region's budget, all in one transaction."""

    model_config = _example(offer_id="6f1c2d4e-0000-4000-8000-000000000001", days=5,
                            reason="Matches the political problems diagnosed",
                            problem_natures=["political"])
    offer_id: UUID
    days: StrictInt = Field(ge=1, le=366)
    problem_natures: list[ProblemNature] = Field(min_length=1, max_length=4)
    reason: str = Reason


class CommissionEnd(Command):
    """The commissioned support is delivered (or stopped). The case records it; the
    register gets the offer's days back and releases what of its cost was not spent.
    A case is closed only once every commission has ended."""

    model_config = _example(commission_id="6f1c2d4e-0000-4000-8000-000000000003",
                            reason="Coaching sessions delivered")
    commission_id: Line = Field(min_length=1, max_length=100)
    reason: str = Reason


class PeerDeploy(Command):
    """Deploy an accredited peer from the register (`GET /peers`): their organisation
    (recorded on the case as `peer_council`, a council or a partner organisation), their
    days, the own-council rule and the conflicts of interest come from the register.
    `peer_user` is the peer's casework account, if any: it may then read the case and
    record visits."""

    model_config = _example(peer_id="6f1c2d4e-0000-4000-8000-000000000002", days=3,
                            peer_user="pete", role="councillor peer",
                            reason="Experienced leader")
    peer_id: UUID
    days: StrictInt = Field(ge=1, le=92)
    peer_user: Line | None = Field(None, min_length=1, max_length=100)
    role: Line = Field(min_length=1, max_length=200)
    reason: str = Reason


class PeerVisit(Command):
    model_config = _example(deployment_id="deployment-1", visited_at="2027-01-15T10:00:00Z",
                            notes="Met the leader and the chief executive")
    deployment_id: Line = Field(min_length=1, max_length=100)
    visited_at: Moment
    notes: str = Text


class PeerDeploymentEnd(Command):
    model_config = _example(deployment_id="deployment-1", reason="Mentoring complete")
    deployment_id: Line = Field(min_length=1, max_length=100)
    reason: str = Reason


class ProgressReview(Command):
    model_config = _example(measures={"Ofsted monitoring visit finds progress": "on track"},
                            judgement="improving", reason="Monitoring visit positive")
    measures: dict[str, MeasureStatus] = Field(min_length=1, max_length=100)
    judgement: ProgressJudgement
    reason: str = Reason
    next_review_due: Moment | None = None


class StageChange(Command):
    model_config = _example(to_stage="RIEP", reason="The council agreed to a referral")
    to_stage: Stage
    reason: str = Reason


class MeetingAttendee(RequestBody):
    model_config = ConfigDict(extra="forbid")
    kind: JointMeetingAttendee
    name: Line = Field(min_length=1, max_length=200)


class JointLocalMeeting(Command):
    """The meeting of the council (or its partnership), the government office and the
    audit body, and its outcome: a strong local plan is reviewed at the next joint meeting
    (`next_joint_meeting_due`, else the policy's interval); a referral to the RIEP is the
    council's agreement only with the council among the attendees; a regulator not
    satisfied raises the red flag. Its summary is due within five working days."""

    model_config = _example(
        outcome="refer to RIEP with agreement", reason="The council asked for the RIEP's help",
        attendees=[{"kind": "council or partnership", "name": "Leader of the council"},
                   {"kind": "government office", "name": "GONW locality manager"},
                   {"kind": "audit body", "name": "Audit Commission relationship manager"}])
    outcome: JointMeetingOutcome
    reason: str = Reason
    attendees: list[MeetingAttendee] = Field(min_length=1, max_length=30)
    next_joint_meeting_due: Moment | None = None


class JointMeetingSummary(Command):
    """The last joint local meeting's summary, due within five working days of it."""

    model_config = _example(summary="Agreed to refer to the RIEP; the leader will write")
    summary: str = Text


class JointMeetingProposal(Command):
    """Propose a joint local meeting of the council, the government office and the audit
    body while the case is local; reminders to hold or decline it follow."""

    model_config = _example(reason="Deadlines keep slipping; time to decide the next step")
    reason: str = Reason


class JointMeetingDecline(Command):
    """Decline the joint local meeting automation proposed, saying why; its reminders stop."""

    model_config = _example(reason="The council's new chief executive starts next month")
    reason: str = Reason


class GovernmentMeetingConvene(Command):
    model_config = _example(attendees=["council leader", "DCSF", "Ofsted", "RIEP", "IDeA", "GO"],
                            reason="Before any improvement notice",
                            meeting_at="2027-02-01T10:00:00Z")
    attendees: list[str] = Field(min_length=1, max_length=50)
    reason: str = Reason
    meeting_at: Moment | None = None


class GovernmentMeetingConclude(Command):
    model_config = _example(outcome="sector-led approach agreed",
                            summary="The RIEP's plan is credible", reason="Progress evidenced")
    outcome: GovernmentMeetingOutcome
    summary: str = Text
    reason: str = Reason


class EscalationDecision(Command):
    model_config = _example(reason="The plan is overdue by a month")
    reason: str = Reason


class DeadlineChange(Command):
    model_config = _example(deadline="diagnosis", reason="Council elections purdah")
    deadline: Deadline
    reason: str = Reason


class ExitStrategyBody(RequestBody):
    model_config = ConfigDict(extra="forbid")
    handover: str = Field(min_length=1, max_length=5000, description=(
        "How the council's own improvement cycle takes over."))
    led_by: Line = Field(min_length=1, max_length=200, description=(
        "Who in the council leads the improvement agenda from now on."))


class CaseClose(Command):
    """Closed only when no peer is deployed, no commissioned support is running and every
    meeting has its conclusion and summary. Handed back as improved, the case needs an
    `exit_strategy` and gets a follow-up review twelve months on; closed by government
    intervention, it needs an `exit_note` (which an improved case may add)."""

    model_config = _example(outcome="improved and handed back", exit_strategy={
        "handover": "Into the council's continuous budget and performance improvement cycle",
        "led_by": "The chief executive"}, exit_note="The improvement board concludes in July")
    outcome: CaseOutcome
    exit_strategy: ExitStrategyBody | None = Field(
        None, description="Needed when the case is handed back as improved.")
    exit_note: str | None = Field(None, max_length=5000, description=(
        "Needed when the case is closed by government intervention."))


class CaseReopen(Command):
    model_config = _example(reason="New inspectorate report")
    reason: str = Reason


class FollowUpReview(Command):
    """Twelve months after a closure as improved: has the improvement lasted? The
    judgement "reopen" reopens the case, with the notes as the reason."""

    model_config = _example(judgement="improvement sustained",
                            notes="Performance held under the council's own framework")
    judgement: FollowUpJudgement
    notes: str = Text


class CaseReassign(Command):
    """Hand the case to another coordinator of its region, who is reminded of its deadlines
    from then on. A coordinator of the region or an administrator may reassign."""

    model_config = _example(owner="carl", reason="Cora is on leave until March")
    owner: Line = Field(min_length=1, max_length=200,
                        description="The username of an active coordinator of the region.")
    reason: str = Reason


class ConfidentialAccessGrant(Command):
    """Let a member of the Chatham House group (an adviser or an inspector) read this case's
    confidential material, such as the sources of intelligence shared under Chatham House
    terms, until the grant is revoked."""

    model_config = _example(grantee="ines", reason="The audit body joins the confidential "
                                                   "group's review of the plan")
    grantee: Line = Field(min_length=1, max_length=200, description="The person's username.")
    reason: str = Reason


class ConfidentialAccessRevoke(Command):
    """Withdraw a grant of the case's confidential material."""

    model_config = _example(grantee="ines", reason="The plan review is over")
    grantee: Line = Field(min_length=1, max_length=200, description="The person's username.")
    reason: str = Reason
