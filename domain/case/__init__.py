"""The support case: an append-only stream of what was known, decided and done.

Commands (public methods) check the rules and then trigger past-tense events.
Rules live only in the commands, so replaying old events never re-runs today's
rules against yesterday's facts. Every due time is worked out in the command and
stored in its event, so a later change of policy never moves a deadline already set.

The case is composed of parts, each a module of this package with its events and
the commands that record them: concern (opening, intelligence, the council's
position), diagnosis (risk and diagnosis), support_plan, support (commissions and
peer deployments), ladder (stages and escalation proposals), joint_meetings,
government_meetings, deadlines (pauses and reminders), access (owner and
confidential access), closure (closing, follow-up, reopening), notices and documents
(evidence attached to the case or one of its steps, bound in by its hash), and
redaction (one field of one event, or one document, taken off the record).
state.py holds what they share. next_steps.py says which commands the case can take
now, by asking the same `check_may_*` methods each command calls first.

Every event is a class with typed fields; a field added in a later release has a
default, so a stored event from before it still reads. The event classes are
declared on `Case` below, which gives each the topic it has always been stored
under (`domain.case:Case.<Name>`): hash chains, exports and backups name them so.

The rules, each refused with a RuleViolation of that name:
  closed_case_is_read_only, one_diagnosis, plan_needs_diagnosis, plan_drafted_first,
  agreement_already_requested, joint_meeting_already_proposed,
  plan_actions_are_smart, plan_agreed_first, peer_own_council,
  peer_deployment_active, no_stage_skipped,
  referral_needs_council_agreement, government_meeting_needs_red_flag,
  automation_never_convenes_government_meeting, joint_meeting_at_local_stage,
  joint_meeting_summary_first, joint_meeting_held_first, no_joint_meeting_proposed,
  government_meeting_needs_stage, government_meeting_convened_first,
  one_government_meeting_at_a_time, intervention_needs_government_meeting,
  no_escalation_pending, deadline_not_running,
  deadline_not_paused, only_a_closed_case_reopens, agreed_plan_is_revised,
  revision_already_agreed, peer_deployments_end_first, commissions_end_first,
  meetings_concluded_first, exit_strategy_needed, commission_active, follow_up_review_due,
  owner_is_region_coordinator, owner_required, owner_unchanged,
  grant_to_confidential_group, confidential_access_already_granted,
  confidential_access_not_granted (domain/ownership.py, where naming the wrong
  person as owner or grantee is an InvalidField of that rule), one_reference;
  a document's step_ref must name a step the case has (an InvalidField naming
  `step_ref`), and a closed case takes documents only on its closure
  (closed_case_is_read_only); redaction (domain/case/redaction.py):
  redaction_needs_reason, event_must_exist, redactions_stay_on_the_record,
  never_a_whole_event, field_must_exist, text_fields_only, already_redacted,
  document_must_be_attached.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, ProgrammingError

from domain.case import (
    access,
    closure,
    concern,
    deadlines,
    diagnosis,
    documents,
    government_meetings,
    joint_meetings,
    ladder,
    notices,
    redaction,
    support,
    support_plan,
)
from domain.case.deadlines import ESCALATION_DECISION
from domain.case.joint_meetings import JOINT_MEETING_DECISION
from domain.case.ladder import LADDER
from domain.case.state import AUTOMATION
from domain.case.support_plan import AGREEMENT_REQUESTED
from domain.ownership import Person
from domain.text import refuse_bad_text

__all__ = ["AGREEMENT_REQUESTED", "AUTOMATION", "ESCALATION_DECISION", "JOINT_MEETING_DECISION",
           "LADDER", "Case"]


class Case(Aggregate, closure.ClosurePart, joint_meetings.JointMeetingsPart,
           ladder.LadderPart, deadlines.DeadlinesPart, access.AccessPart,
           concern.ConcernPart, notices.NoticesPart, documents.DocumentsPart,
           redaction.RedactionPart):
    """One authority's support case, from concern raised to closure.

    Aggregate comes first among the bases: its `trigger_event` is the one the parts
    reach (through this class's, which names the event class declared here).
    """

    # Each event class of the parts, redefined here (by the aggregate's metaclass) as
    # `Case.<Name>` of this module: the topic its events have always been stored under.
    ConcernRaised = concern.ConcernRaised
    IntelligenceAdded = concern.IntelligenceAdded
    CouncilAcknowledgedNeed = concern.CouncilAcknowledgedNeed
    CouncilDeclinedSupport = concern.CouncilDeclinedSupport
    ReferenceGiven = concern.ReferenceGiven
    RiskAssessed = diagnosis.RiskAssessed
    DiagnosisRecorded = diagnosis.DiagnosisRecorded
    LGAAskedToBroker = diagnosis.LGAAskedToBroker
    SupportPlanDrafted = support_plan.SupportPlanDrafted
    PlanAgreementRequested = support_plan.PlanAgreementRequested
    SupportPlanReviewed = support_plan.SupportPlanReviewed
    SupportPlanAgreed = support_plan.SupportPlanAgreed
    SupportPlanRevised = support_plan.SupportPlanRevised
    ProgressReviewed = support_plan.ProgressReviewed
    SupportCommissioned = support.SupportCommissioned
    SupportCommissionEnded = support.SupportCommissionEnded
    PeerDeployed = support.PeerDeployed
    PeerVisitRecorded = support.PeerVisitRecorded
    PeerDeploymentEnded = support.PeerDeploymentEnded
    StageChanged = ladder.StageChanged
    EscalationProposed = ladder.EscalationProposed
    EscalationConfirmed = ladder.EscalationConfirmed
    EscalationDeclined = ladder.EscalationDeclined
    JointLocalMeetingHeld = joint_meetings.JointLocalMeetingHeld
    RedFlagRaised = joint_meetings.RedFlagRaised
    JointMeetingSummaryRecorded = joint_meetings.JointMeetingSummaryRecorded
    JointMeetingProposed = joint_meetings.JointMeetingProposed
    JointMeetingProposalDeclined = joint_meetings.JointMeetingProposalDeclined
    GovernmentMeetingConvened = government_meetings.GovernmentMeetingConvened
    GovernmentMeetingConcluded = government_meetings.GovernmentMeetingConcluded
    DeadlinePaused = deadlines.DeadlinePaused
    DeadlineResumed = deadlines.DeadlineResumed
    ReminderIssued = deadlines.ReminderIssued
    AutomatedStepFailed = deadlines.AutomatedStepFailed
    CaseReassigned = access.CaseReassigned
    ConfidentialAccessGranted = access.ConfidentialAccessGranted
    ConfidentialAccessRevoked = access.ConfidentialAccessRevoked
    CaseClosed = closure.CaseClosed
    FollowUpReviewed = closure.FollowUpReviewed
    CaseReopened = closure.CaseReopened
    NoticeDelivered = notices.NoticeDelivered
    NoticeFailed = notices.NoticeFailed
    DocumentAttached = documents.DocumentAttached
    FieldRedacted = redaction.FieldRedacted
    DocumentRedacted = redaction.DocumentRedacted

    def __init__(self) -> None:
        """Nothing: ConcernRaised.apply sets what a new case holds."""

    @classmethod
    def raise_concern(
        cls, *, authority: str, region: str, summary: str, source: str, issue_type: str,
        raised_at: datetime, diagnosis_due: datetime, actor_id: str, actor_role: str,
        owner: Person | None = None, reference: str = "", case_id: UUID | None = None,
    ) -> "Case":
        """Open a case; refuses one without an authority, summary or known source.

        Its owner is the coordinator named (an active coordinator of the region), else
        the coordinator opening it (domain/ownership.py). Its reference is the one the
        services allocated it (domain/case_reference.py); its id too, when they chose
        one (else a new random one).
        """
        fields = concern.concern_fields(
            authority=authority, region=region, summary=summary, source=source,
            issue_type=issue_type, raised_at=raised_at, diagnosis_due=diagnosis_due,
            actor_id=actor_id, actor_role=actor_role, owner=owner, reference=reference)
        case: Case = cls._create(concern.ConcernRaised, id=case_id, **fields)
        return case

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Any:
        """Every event's text is plain text (domain/text.py), whichever command made it."""
        refuse_bad_text(kwargs)
        return super()._create(cls._stored_as(event_class), **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        refuse_bad_text(kwargs)
        super().trigger_event(self._stored_as(event_class), **kwargs)

    @classmethod
    def _stored_as(cls, event_class: type[Any]) -> type[Any]:
        """A part's event class as declared on Case, whose topic is the one stored."""
        declared = cls.__dict__.get(event_class.__name__)
        if not (isinstance(declared, type) and issubclass(declared, event_class)):
            raise ProgrammingError(f"{event_class.__qualname__} is not an event of Case")
        return declared
