"""The concern that opens a case, what more becomes known, and the council's own position."""

from datetime import datetime
from typing import Annotated, Any

from eventsourcing.domain import Aggregate

from domain.case.state import CaseState, actor, required_text
from domain.case_reference import CaseReference
from domain.errors import InvalidField, RuleViolation
from domain.moments import moment
from domain.ownership import Person, opening_owner
from domain.vocabulary import (
    CaseStatus,
    ConcernSource,
    Confidentiality,
    Deadline,
    IssueType,
    Stage,
    one_of,
)


class ConcernRaised(Aggregate.Created):
    """The first event of every case. `owner` and `reference` came in later releases:
    concerns raised before cases had owners carry none, and those raised before
    references carry "" (the case is given one by a later ReferenceGiven)."""

    authority: str
    region: str
    summary: str
    source: Annotated[str, ConcernSource]
    issue_type: Annotated[str, IssueType]
    raised_at: datetime
    diagnosis_due: datetime
    actor_id: str
    actor_role: str
    owner: str | None = None
    reference: str = ""

    def apply(self, aggregate: CaseState) -> None:
        case = aggregate
        case.authority, case.owner, case.region = self.authority, self.owner, self.region
        case.reference = self.reference
        case.summary, case.source, case.issue_type = self.summary, self.source, self.issue_type
        case.raised_at = self.raised_at
        case.stage, case.stage_since = Stage.LOCAL.value, self.raised_at
        case.status = CaseStatus.OPEN.value
        case.deadlines = {Deadline.DIAGNOSIS.value: self.diagnosis_due}
        case.deadline_started = {Deadline.DIAGNOSIS.value: self.raised_at}
        case.paused_deadlines = {}
        case.diagnosis = None
        case.reminders, case.reminders_issued = [], 0
        case.intelligence, case.risk = [], {}
        case.council_agrees_referral = case.regulator_not_satisfied = False
        case.council_decisions = []
        case.plan, case.commissions, case.deployments, case.reviews = None, [], {}, []
        case.joint_meetings, case.government_meetings = [], []
        case.pending_escalation, case.escalation_keys = None, []
        case.closure = None


def concern_fields(*, authority: str, region: str, summary: str, source: str,
                   issue_type: str, raised_at: datetime, diagnosis_due: datetime,
                   actor_id: str, actor_role: str, owner: Person | None = None,
                   reference: str = "") -> dict[str, Any]:
    """A concern's fields, refused without an authority, summary or known source.

    Its owner is the coordinator named (an active coordinator of the region), else
    the coordinator opening it (domain/ownership.py). Its reference, if given, is one
    (domain/case_reference.py), written in capitals.
    """
    if moment(diagnosis_due, "diagnosis_due") <= raised_at:
        raise InvalidField("diagnosis_due must be after the concern was raised",
                           field="diagnosis_due")
    region = required_text(region, "region")
    who = actor(actor_id, actor_role)
    owner_id = opening_owner(owner, region, **who)
    return dict(
        authority=required_text(authority, "authority"), region=region,
        summary=required_text(summary, "summary"),
        source=one_of(source, ConcernSource, "source"),
        issue_type=one_of(issue_type, IssueType, "issue_type"),
        raised_at=raised_at, diagnosis_due=diagnosis_due, **who, owner=owner_id,
        reference=str(CaseReference.parse(reference)) if reference else "")


class IntelligenceAdded(Aggregate.Event):
    content: str
    source: str
    confidentiality: Annotated[str, Confidentiality]
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.intelligence.append({"content": self.content, "source": self.source,
                                       "confidentiality": self.confidentiality,
                                       "recorded_at": self.recorded_at})


class CouncilAcknowledgedNeed(Aggregate.Event):
    """The council accepts it needs support: its agreement to a referral."""

    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.council_agrees_referral = True
        aggregate.council_decisions.append({"decision": "acknowledged need",
                                            "reason": self.reason,
                                            "recorded_at": self.recorded_at})


class ReferenceGiven(Aggregate.Event):
    """A case opened before references were given gets one (`casework give-references`)."""

    reference: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.reference = self.reference


class CouncilDeclinedSupport(Aggregate.Event):
    """The council will not seek support: any agreement to a referral is withdrawn."""

    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.council_agrees_referral = False
        aggregate.council_decisions.append({"decision": "declined support",
                                            "reason": self.reason,
                                            "recorded_at": self.recorded_at})


class ConcernPart(CaseState):
    """More of what is known, and the council's own position on support."""

    def add_intelligence(
        self, *, content: str, source: str, confidentiality: str, recorded_at: datetime,
        actor_id: str, actor_role: str,
    ) -> None:
        """More of what is known; a Chatham House source is kept but shown only to the group."""
        self.check_open()
        self.trigger_event(
            IntelligenceAdded, content=required_text(content, "content"),
            source=required_text(source, "source"),
            confidentiality=one_of(confidentiality, Confidentiality, "confidentiality"),
            recorded_at=recorded_at, **actor(actor_id, actor_role))

    def give_reference(self, *, reference: str, recorded_at: datetime, actor_id: str,
                       actor_role: str) -> None:
        """Give a case from before references its reference; a case keeps the one it has,
        so a reference quoted once always finds the same case. Allowed on a closed case."""
        if self.reference:
            raise RuleViolation(f"the case already has the reference {self.reference}",
                                rule="one_reference")
        self.trigger_event(ReferenceGiven, reference=str(CaseReference.parse(reference)),
                           recorded_at=recorded_at, **actor(actor_id, actor_role))

    def acknowledge_need(self, *, reason: str, recorded_at: datetime, actor_id: str,
                         actor_role: str) -> None:
        """The council accepts it needs support; this is its agreement to a referral."""
        self.check_open()
        self.trigger_event(CouncilAcknowledgedNeed, reason=required_text(reason, "reason"),
                           recorded_at=recorded_at, **actor(actor_id, actor_role))

    def decline_support(self, *, reason: str, recorded_at: datetime, actor_id: str,
                        actor_role: str) -> None:
        """The council will not seek support; it withdraws any agreement to a referral."""
        self.check_open()
        self.trigger_event(CouncilDeclinedSupport, reason=required_text(reason, "reason"),
                           recorded_at=recorded_at, **actor(actor_id, actor_role))
