"""The support case: an append-only stream of what was known, decided and done.

Commands (public methods) check the rules and then trigger past-tense events
(private methods decorated with `@event`). Rules live only in the commands, so
replaying old events never re-runs today's rules against yesterday's facts.
Every due time is worked out in the command and stored in its event, so a later
change of policy never moves a deadline already set.

The rules, each refused with a RuleViolation of that name:
  closed_case_is_read_only, one_diagnosis, plan_needs_diagnosis, plan_drafted_first,
  plan_actions_are_smart, plan_agreed_first, peer_not_from_own_council,
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
  person as owner or grantee is an InvalidField of that rule).
"""

from collections.abc import Iterable, Mapping
from copy import deepcopy
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.closure import ExitStrategy
from domain.deadlines import DeadlinePolicy, resumed_due
from domain.errors import InvalidField, RuleViolation
from domain.moments import moment
from domain.ownership import (
    ALREADY_GRANTED,
    NOT_GRANTED,
    OWNER_UNCHANGED,
    Person,
    check_confidential_grantee,
    check_owner,
    opening_owner,
)
from domain.plan import measures, money, plan_actions
from domain.risk import IMMEDIATE_ACTION_SCORE, RiskAssessment, RiskControls
from domain.text import refuse_control_characters
from domain.vocabulary import (
    CaseOutcome,
    ConcernSource,
    Confidentiality,
    Deadline,
    FollowUpJudgement,
    GovernmentMeetingOutcome,
    IssueType,
    JointMeetingAttendee,
    JointMeetingOutcome,
    Level,
    MeasureStatus,
    ProblemNature,
    ProgressJudgement,
    RiskKind,
    Stage,
    StageTrigger,
    one_of,
)

LADDER = [Stage.LOCAL.value, Stage.RIEP.value, Stage.GOVERNMENT_MEETING.value]
DEFAULT_POLICY = DeadlinePolicy()
AUTOMATION = "automation"
NO_GRANTS: Mapping[str, dict[str, Any]] = MappingProxyType({})
ESCALATION_DECISION = "escalation decision"
"""What a reminder of a pending escalation proposal is about: a decision, not a deadline."""
LGA_BROKERS = ("the diagnosis names a political problem: where the difficulties have a "
               "political cause, the LGA brokers discussions with the council's politicians")
"""Seed 004: "the LGA may need to broker discussions with appropriate politicians"."""

JOINT_MEETING_DECISION = "joint local meeting"
"""What a reminder of a proposed joint local meeting is about: holding it, or declining it."""


def _required_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(f"{field} is required and must not be blank", field=field)
    return value.strip()


def _optional_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidField(f"{field} must be text", field=field)
    return value.strip()


def _texts(values: Any, field: str) -> list[str]:
    """A list of non-blank texts; a single text counts as a list of one."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [_required_text(v, f"{field}[{i}]") for i, v in enumerate(values)]


def _moment(value: Any, field: str) -> datetime:
    return moment(value, field)


def _agreed_part(plan: dict[str, Any]) -> dict[str, Any]:
    return deepcopy({key: plan[key] for key in ("summary", "actions", "revision",
                                                "agreed_by", "agreed_at")})


def _actor(actor_id: Any, actor_role: Any) -> dict[str, str]:
    return {"actor_id": _required_text(actor_id, "actor_id"),
            "actor_role": _required_text(actor_role, "actor_role")}


def _attendees(values: Any) -> list[dict[str, str]]:
    """Who attended a joint local meeting: each a kind (council or partnership, government
    office, audit body) and a name; at least one."""
    if values is None or isinstance(values, (str, Mapping)) or not isinstance(values, Iterable):
        raise InvalidField("attendees must list who attended, each with a kind and a name",
                           field="attendees")
    people = []
    for i, value in enumerate(values):
        if not isinstance(value, Mapping):
            raise InvalidField("each attendee has a kind and a name", field=f"attendees.{i}")
        people.append({"kind": one_of(value.get("kind"), JointMeetingAttendee,
                                      f"attendees.{i}.kind"),
                       "name": _required_text(value.get("name"), f"attendees.{i}.name")})
    if not people:
        raise InvalidField("attendees must name at least one attendee", field="attendees")
    return people


class Case(Aggregate):
    """One authority's support case, from concern raised to closure."""

    _agreed_plan: dict[str, Any] | None = None
    """Set on agreement; a class default so snapshots taken before it existed still load."""
    _risk_controls: dict[str, Any] | None = None
    """The risk table's columns (RiskControls); a class default for older snapshots."""
    _lga_brokering: dict[str, Any] | None = None
    """Set when a political diagnosis asks the LGA to broker; a class default likewise."""

    owner: str | None = None
    """The coordinator who owns the case; None for cases opened before cases had owners."""

    confidential_access = NO_GRANTS
    """Who beyond the coordinators may read the case's confidential material, by username.
    Replaced (never changed in place) by each grant and revocation, so this class default
    stays empty for cases and snapshots from before grants existed."""
    red_flag: dict[str, Any] | None = None
    """Raised by a joint local meeting whose regulator is not satisfied: further government
    or inspectorate action follows. A class default, like `_agreed_plan`."""
    joint_meeting_proposal: dict[str, Any] | None = None
    """A joint local meeting automation proposed for a case stuck at local, until it is
    held or a coordinator declines it. A class default, like `_agreed_plan`."""

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Any:
        """Every event's text is plain text (domain/text.py), whichever command made it."""
        refuse_control_characters(kwargs)
        return super()._create(event_class, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        refuse_control_characters(kwargs)
        super().trigger_event(event_class, **kwargs)

    @classmethod
    def raise_concern(
        cls,
        *,
        authority: str,
        region: str,
        summary: str,
        source: str,
        issue_type: str,
        raised_at: datetime,
        diagnosis_due: datetime,
        actor_id: str,
        actor_role: str,
        owner: Person | None = None,
    ) -> "Case":
        """Open a case; refuses one without an authority, summary or known source.

        Its owner is the coordinator named (an active coordinator of the region), else
        the coordinator opening it (domain/ownership.py).
        """
        if moment(diagnosis_due, "diagnosis_due") <= raised_at:
            raise InvalidField(
                "diagnosis_due must be after the concern was raised", field="diagnosis_due"
            )
        region = _required_text(region, "region")
        owner_id = opening_owner(owner, region, actor_id=_required_text(actor_id, "actor_id"),
                                 actor_role=_required_text(actor_role, "actor_role"))
        return cls(
            authority=_required_text(authority, "authority"),
            region=_required_text(region, "region"),
            summary=_required_text(summary, "summary"),
            source=one_of(source, ConcernSource, "source"),
            issue_type=one_of(issue_type, IssueType, "issue_type"),
            raised_at=raised_at,
            diagnosis_due=diagnosis_due,
            actor_id=_required_text(actor_id, "actor_id"),
            actor_role=_required_text(actor_role, "actor_role"),
            owner=owner_id,
        )

    @event("ConcernRaised")
    def __init__(
        self,
        *,
        authority: str,
        region: str,
        summary: str,
        source: str,
        issue_type: str,
        raised_at: datetime,
        diagnosis_due: datetime,
        actor_id: str,
        actor_role: str,
        owner: str | None = None,
    ) -> None:
        self.authority = authority
        self.owner = owner  # concerns raised before cases had owners carry none
        self.region = region
        self.summary = summary
        self.source = source
        self.issue_type = issue_type
        self.raised_at = raised_at
        self.stage = Stage.LOCAL.value
        self.stage_since = raised_at
        self.status = "open"
        self.deadlines: dict[str, datetime] = {Deadline.DIAGNOSIS.value: diagnosis_due}
        self.deadline_started: dict[str, datetime] = {Deadline.DIAGNOSIS.value: raised_at}
        self.paused_deadlines: dict[str, dict[str, Any]] = {}
        self.diagnosis: dict[str, Any] | None = None
        self.reminders: list[str] = []  # keys of reminders for deadlines still open
        self.reminders_issued = 0
        self.intelligence: list[dict[str, Any]] = []
        self.risk: dict[str, dict[str, Any]] = {}
        self.council_agrees_referral = False
        self.regulator_not_satisfied = False
        self.council_decisions: list[dict[str, Any]] = []
        self.plan: dict[str, Any] | None = None
        self.commissions: list[dict[str, Any]] = []
        self.deployments: dict[str, dict[str, Any]] = {}
        self.reviews: list[dict[str, Any]] = []
        self.joint_meetings: list[dict[str, Any]] = []
        self.government_meetings: list[dict[str, Any]] = []
        self.pending_escalation: dict[str, Any] | None = None
        self.escalation_keys: list[str] = []
        self.closure: dict[str, Any] | None = None

    # -- what the case knows ------------------------------------------------------

    @property
    def risk_score(self) -> int | None:
        """The current risk: the residual assessment once made, else the inherent one."""
        current = self.risk.get(RiskKind.RESIDUAL.value) or self.risk.get(RiskKind.INHERENT.value)
        return current["score"] if current else None

    @property
    def agreed_plan(self) -> dict[str, Any] | None:
        """The plan the council last agreed: live, even while a revision awaits agreement."""
        if self._agreed_plan is None and self.plan and self.plan["status"] == "agreed":
            return _agreed_part(self.plan)  # from a snapshot older than `_agreed_plan`
        return self._agreed_plan

    @property
    def advisers(self) -> list[str]:
        """The improvement adviser named on the plan, who oversees it."""
        return [self.plan["adviser_id"]] if self.plan and self.plan.get("adviser_id") else []

    @property
    def peers(self) -> list[str]:
        """Every peer ever deployed to this case."""
        return sorted({d["peer_id"] for d in self.deployments.values()})

    def _set_deadline(self, name: str, due: datetime, started: datetime) -> None:
        """Start a deadline; set again to the same due time, it keeps its clock and the
        reminders already issued for it (their keys name that due time, so forgetting
        them would send them again)."""
        if self.deadlines.get(name) == due:
            return
        self.deadlines[name] = due
        self.deadline_started[name] = started
        self.paused_deadlines.pop(name, None)
        self._forget_reminders(name)

    def _clear_deadline(self, name: str) -> None:
        self.deadlines.pop(name, None)
        self.deadline_started.pop(name, None)
        self.paused_deadlines.pop(name, None)
        self._forget_reminders(name)

    def _forget_reminders(self, deadline: str) -> None:
        """Reminder keys name their deadline and its due time; once that is met or
        moved they can never recur, so keeping them would only grow every load."""
        prefix = f"{deadline}:"
        self.reminders = [key for key in self.reminders if not key.startswith(prefix)]

    # -- intelligence ---------------------------------------------------------------

    def add_intelligence(
        self, *, content: str, source: str, confidentiality: str, recorded_at: datetime,
        actor_id: str, actor_role: str,
    ) -> None:
        """More of what is known; a Chatham House source is kept but shown only to the group."""
        self.check_open()
        self._intelligence_added(
            content=_required_text(content, "content"),
            source=_required_text(source, "source"),
            confidentiality=one_of(confidentiality, Confidentiality, "confidentiality"),
            recorded_at=recorded_at, **_actor(actor_id, actor_role),
        )

    @event("IntelligenceAdded")
    def _intelligence_added(
        self, *, content: str, source: str, confidentiality: str, recorded_at: datetime,
        actor_id: str, actor_role: str,
    ) -> None:
        self.intelligence.append({"content": content, "source": source,
                                  "confidentiality": confidentiality,
                                  "recorded_at": recorded_at})

    # -- risk -------------------------------------------------------------------

    def assess_risk(
        self, *, kind: str, impact: str, likelihood: str, reason: str, recorded_at: datetime,
        actor_id: str, actor_role: str, policy: DeadlinePolicy = DEFAULT_POLICY,
        owner: str | None = None, management_solution: str | None = None,
        key_controls: Any = None, risk_indicators: Any = None,
    ) -> None:
        """Score impact against likelihood; a score of 9 brings open deadlines forward.

        The risk table's other columns (seed 003: owner, management solution, key
        controls, risk indicators) may come with any assessment; those given replace
        what an earlier one said, those left out keep it.
        """
        self.check_open()
        kind = one_of(kind, RiskKind, "kind")
        assessment = RiskAssessment(Level(one_of(impact, Level, "impact")),
                                    Level(one_of(likelihood, Level, "likelihood")))
        controls = RiskControls(
            owner=_optional_text(owner, "owner"),
            management_solution=_optional_text(management_solution, "management_solution"),
            key_controls=tuple(_texts(key_controls, "key_controls")),
            risk_indicators=tuple(_texts(risk_indicators, "risk_indicators")))
        residual_stands = kind == RiskKind.INHERENT.value and RiskKind.RESIDUAL.value in self.risk
        current = self.risk_score if residual_stands else assessment.score
        self._risk_assessed(
            kind=kind, impact=assessment.impact.value, likelihood=assessment.likelihood.value,
            score=assessment.score, band=assessment.band.value,
            reason=_required_text(reason, "reason"), recorded_at=recorded_at,
            compressed_deadlines=self._compressed(current, policy),
            owner=controls.owner, management_solution=controls.management_solution,
            key_controls=list(controls.key_controls),
            risk_indicators=list(controls.risk_indicators), **_actor(actor_id, actor_role),
        )

    def _compressed(self, score: int | None, policy: DeadlinePolicy) -> dict[str, datetime]:
        """Open deadlines that a score of 9 brings forward, counted from when each started."""
        if score is None or score < IMMEDIATE_ACTION_SCORE:
            return {}
        moved = {}
        for name, due in self.deadlines.items():
            sooner = policy.due(Deadline(name), self.deadline_started.get(name, due),
                                risk_score=score)
            if sooner < due:
                moved[name] = sooner
        return moved

    class RiskAssessed(Aggregate.Event):
        """Version 2 added the risk table's columns beside the score (seed 003).

        Assessments recorded before (version 1) are upcast as they are read, with
        the columns blank, so history is never rewritten.
        """

        class_version = 2
        kind: str
        impact: str
        likelihood: str
        score: int
        band: str
        reason: str
        recorded_at: datetime
        compressed_deadlines: dict[str, datetime]
        actor_id: str
        actor_role: str
        owner: str = ""
        management_solution: str = ""
        key_controls: list[str] | None = None
        risk_indicators: list[str] | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("owner", "")
            state.setdefault("management_solution", "")
            state.setdefault("key_controls", [])
            state.setdefault("risk_indicators", [])

    @event(RiskAssessed)
    def _risk_assessed(
        self, *, kind: str, impact: str, likelihood: str, score: int, band: str, reason: str,
        recorded_at: datetime, compressed_deadlines: dict[str, datetime], actor_id: str,
        actor_role: str, owner: str = "", management_solution: str = "",
        key_controls: list[str] | None = None, risk_indicators: list[str] | None = None,
    ) -> None:
        self.risk[kind] = {"impact": impact, "likelihood": likelihood, "score": score,
                           "band": band, "reason": reason, "assessed_at": recorded_at}
        self.deadlines.update(compressed_deadlines)
        given = RiskControls(owner, management_solution, tuple(key_controls or ()),
                             tuple(risk_indicators or ())).given()
        self._risk_controls = {**self.risk_controls, **given}

    @property
    def risk_controls(self) -> dict[str, Any]:
        """The risk table's columns as last given: owner, management solution, key
        controls, risk indicators (blank until an assessment gives them)."""
        return {**RiskControls().as_fields(), **(self._risk_controls or {})}

    # -- diagnosis -------------------------------------------------------------

    def record_diagnosis(
        self, *, summary: str, recorded_at: datetime, actor_id: str, actor_role: str,
        problem_natures: Iterable[str] | None = None, evidence: Any = None,
        root_causes: Any = None, policy: DeadlinePolicy = DEFAULT_POLICY,
    ) -> None:
        """Record the evidence-based diagnosis; it meets the diagnosis deadline and
        starts the clock for an agreed plan."""
        self.check_open()
        if self.diagnosis is not None:
            raise RuleViolation(
                "a diagnosis is already recorded for this case",
                rule="one_diagnosis",
                field="summary",
            )
        natures = [one_of(n, ProblemNature, f"problem_natures[{i}]")
                   for i, n in enumerate(_texts(problem_natures, "problem_natures"))]
        self._diagnosis_recorded(
            summary=_required_text(summary, "summary"),
            problem_natures=natures,
            evidence=_texts(evidence, "evidence"),
            root_causes=_texts(root_causes, "root_causes"),
            plan_due=policy.due(Deadline.PLAN_AGREED, recorded_at, risk_score=self.risk_score),
            recorded_at=recorded_at,
            **_actor(actor_id, actor_role),
        )
        if ProblemNature.POLITICAL.value in natures:
            self._lga_asked_to_broker(reason=LGA_BROKERS, recorded_at=recorded_at,
                                      **_actor(actor_id, actor_role))

    class DiagnosisRecorded(Aggregate.Event):
        """Version 2 added problem natures, evidence, root causes and the plan's due time.

        Diagnoses recorded before that (version 1) carried only a summary; they are
        upcast as they are read, with empty lists and no plan deadline, so history
        is never rewritten.
        """

        class_version = 2
        summary: str
        recorded_at: datetime
        actor_id: str
        actor_role: str
        problem_natures: list[str] | None = None
        evidence: list[str] | None = None
        root_causes: list[str] | None = None
        plan_due: datetime | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            for field in ("problem_natures", "evidence", "root_causes"):
                state.setdefault(field, [])
            state.setdefault("plan_due", None)

    @event(DiagnosisRecorded)
    def _diagnosis_recorded(
        self, *, summary: str, recorded_at: datetime, actor_id: str, actor_role: str,
        problem_natures: list[str] | None = None, evidence: list[str] | None = None,
        root_causes: list[str] | None = None, plan_due: datetime | None = None,
    ) -> None:
        self.diagnosis = {"summary": summary, "recorded_at": recorded_at,
                          "problem_natures": list(problem_natures or []),
                          "evidence": list(evidence or []),
                          "root_causes": list(root_causes or [])}
        self._clear_deadline(Deadline.DIAGNOSIS.value)
        if plan_due is not None and (self.plan or {}).get("status") != "agreed":
            self._set_deadline(Deadline.PLAN_AGREED.value, plan_due, recorded_at)

    @event("LGAAskedToBroker")
    def _lga_asked_to_broker(self, *, reason: str, recorded_at: datetime, actor_id: str,
                             actor_role: str) -> None:
        self._lga_brokering = {"asked_at": recorded_at, "asked_by": actor_id,
                               "reason": reason}

    @property
    def lga_brokering(self) -> dict[str, Any] | None:
        """When and why the LGA was asked to broker talks with the council's politicians."""
        return self._lga_brokering

    # -- the council's own position ----------------------------------------------

    def acknowledge_need(self, *, reason: str, recorded_at: datetime, actor_id: str,
                         actor_role: str) -> None:
        """The council accepts it needs support; this is its agreement to a referral."""
        self.check_open()
        self._council_acknowledged_need(reason=_required_text(reason, "reason"),
                                        recorded_at=recorded_at, **_actor(actor_id, actor_role))

    @event("CouncilAcknowledgedNeed")
    def _council_acknowledged_need(self, *, reason: str, recorded_at: datetime, actor_id: str,
                                   actor_role: str) -> None:
        self.council_agrees_referral = True
        self.council_decisions.append({"decision": "acknowledged need", "reason": reason,
                                       "recorded_at": recorded_at})

    def decline_support(self, *, reason: str, recorded_at: datetime, actor_id: str,
                        actor_role: str) -> None:
        """The council will not seek support; it withdraws any agreement to a referral."""
        self.check_open()
        self._council_declined_support(reason=_required_text(reason, "reason"),
                                       recorded_at=recorded_at, **_actor(actor_id, actor_role))

    @event("CouncilDeclinedSupport")
    def _council_declined_support(self, *, reason: str, recorded_at: datetime, actor_id: str,
                                  actor_role: str) -> None:
        self.council_agrees_referral = False
        self.council_decisions.append({"decision": "declined support", "reason": reason,
                                       "recorded_at": recorded_at})

    # -- the support plan ---------------------------------------------------------

    def draft_plan(
        self, *, summary: str, actions: Iterable[Mapping[str, Any]], adviser_id: str,
        recorded_at: datetime, actor_id: str, actor_role: str,
    ) -> None:
        """A plan of SMART actions, coordinated by one improvement adviser.

        Once a plan is agreed, a new draft would silently replace what the council
        agreed; changes to an agreed plan are revisions, which it agrees in turn.
        """
        self.check_open()
        if self.agreed_plan is not None:
            raise RuleViolation(
                "the support plan is already agreed; change it with a revision "
                "(POST /cases/{id}/plan/revisions), which the council then agrees",
                rule="agreed_plan_is_revised")
        self._support_plan_drafted(
            summary=_required_text(summary, "summary"), actions=plan_actions(actions),
            adviser_id=_required_text(adviser_id, "adviser_id"), recorded_at=recorded_at,
            **_actor(actor_id, actor_role),
        )

    @event("SupportPlanDrafted")
    def _support_plan_drafted(
        self, *, summary: str, actions: list[dict[str, Any]], adviser_id: str,
        recorded_at: datetime, actor_id: str, actor_role: str,
    ) -> None:
        self.plan = {"summary": summary, "actions": actions, "adviser_id": adviser_id,
                     "status": "draft", "revision": 1, "drafted_at": recorded_at,
                     "suggestions": [], "agreed_by": None, "agreed_at": None}

    def review_plan(self, *, suggestions: Any, recorded_at: datetime, actor_id: str,
                    actor_role: str) -> None:
        """The confidential (Chatham House) group's suggestions on the plan."""
        self.check_open()
        self.check_plan_drafted()
        texts = _texts(suggestions, "suggestions")
        if not texts:
            raise InvalidField("suggestions must name at least one suggestion",
                               field="suggestions")
        self._support_plan_reviewed(suggestions=texts, recorded_at=recorded_at,
                                    **_actor(actor_id, actor_role))

    @event("SupportPlanReviewed")
    def _support_plan_reviewed(self, *, suggestions: list[str], recorded_at: datetime,
                               actor_id: str, actor_role: str) -> None:
        self.drafted_plan["suggestions"].extend(suggestions)

    def agree_plan(self, *, reason: str, recorded_at: datetime, actor_id: str, actor_role: str,
                   policy: DeadlinePolicy = DEFAULT_POLICY) -> None:
        """The council agrees the plan, which makes it live; the first review falls due."""
        self.check_open()
        self.check_plan_drafted()
        if self.diagnosis is None:
            raise RuleViolation("a plan cannot be agreed before a diagnosis is recorded",
                                rule="plan_needs_diagnosis")
        if self.drafted_plan["status"] == "agreed":
            raise RuleViolation(
                f"revision {self.drafted_plan['revision']} of the support plan is already agreed; "
                f"only a new revision awaits agreement", rule="revision_already_agreed")
        review_due = self.deadlines.get(Deadline.NEXT_REVIEW.value) or policy.due(
            Deadline.NEXT_REVIEW, recorded_at, risk_score=self.risk_score)
        self._support_plan_agreed(reason=_required_text(reason, "reason"),
                                  revision=self.drafted_plan["revision"], review_due=review_due,
                                  recorded_at=recorded_at, **_actor(actor_id, actor_role))

    @event("SupportPlanAgreed")
    def _support_plan_agreed(self, *, reason: str, revision: int, review_due: datetime,
                             recorded_at: datetime, actor_id: str, actor_role: str) -> None:
        self.drafted_plan.update(status="agreed", agreed_by=actor_id, agreed_at=recorded_at)
        self._agreed_plan = _agreed_part(self.drafted_plan)
        self._clear_deadline(Deadline.PLAN_AGREED.value)
        if Deadline.NEXT_REVIEW.value not in self.paused_deadlines:
            self._set_deadline(Deadline.NEXT_REVIEW.value, review_due, recorded_at)

    def revise_plan(self, *, actions: Iterable[Mapping[str, Any]], reason: str,
                    recorded_at: datetime, actor_id: str, actor_role: str,
                    summary: str | None = None) -> None:
        """New actions as things change; the council must agree the revision before it is
        live. Until then the plan it last agreed stays live: its progress is reviewed
        against that plan's measures, so its review deadline can still be met."""
        self.check_open()
        self.check_plan_drafted()
        self._support_plan_revised(
            actions=plan_actions(actions), reason=_required_text(reason, "reason"),
            summary=_optional_text(summary, "summary") or self.drafted_plan["summary"],
            revision=self.drafted_plan["revision"] + 1, recorded_at=recorded_at,
            **_actor(actor_id, actor_role),
        )

    @event("SupportPlanRevised")
    def _support_plan_revised(self, *, actions: list[dict[str, Any]], reason: str, summary: str,
                              revision: int, recorded_at: datetime, actor_id: str,
                              actor_role: str) -> None:
        self.drafted_plan.update(actions=actions, summary=summary, revision=revision,
                                 status="draft", agreed_by=None, agreed_at=None)

    # -- support and peers ---------------------------------------------------------

    def commission_support(
        self, *, provider: str, description: str, problem_natures: Iterable[str], cost: Any,
        reason: str, recorded_at: datetime, actor_id: str, actor_role: str,
        commission_id: str = "", offer_id: str = "", days: int = 0,
    ) -> None:
        """Record support commissioned against the diagnosed problems, once the plan is agreed.

        The commission itself (the offer's days, the conflict of interest, the budget
        commitment) is made in the registers first; `commission_id` names that one
        record, seen from the case and from the registers alike.
        """
        self.check_open()
        self.check_plan_agreed("support commissioned")
        self._support_commissioned(
            commission_id=commission_id, offer_id=offer_id, days=days,
            provider=_required_text(provider, "provider"),
            description=_required_text(description, "description"),
            problem_natures=[one_of(n, ProblemNature, f"problem_natures[{i}]")
                             for i, n in enumerate(_texts(problem_natures, "problem_natures"))],
            cost=money(cost, "cost"), reason=_required_text(reason, "reason"),
            recorded_at=recorded_at, **_actor(actor_id, actor_role),
        )

    @event("SupportCommissioned")
    def _support_commissioned(self, *, provider: str, description: str,
                              problem_natures: list[str], cost: Decimal, reason: str,
                              recorded_at: datetime, actor_id: str, actor_role: str,
                              commission_id: str = "", offer_id: str = "",
                              days: int = 0) -> None:
        self.commissions.append({"provider": provider, "description": description,
                                 "problem_natures": problem_natures, "cost": cost,
                                 "commissioned_at": recorded_at,
                                 "commission_id": commission_id
                                 or f"commission-{len(self.commissions) + 1}",
                                 "offer_id": offer_id, "days": days, "status": "active",
                                 "ended_at": None})

    def _commission_keys(self) -> list[tuple[str, dict[str, Any]]]:
        """Each commission by its id; one recorded without an id (in a snapshot older than
        the registers' ids) by its place, as replaying its event names it."""
        return [(c["commission_id"] or f"commission-{i + 1}", c)
                for i, c in enumerate(self.commissions)]

    @property
    def active_commissions(self) -> list[str]:
        """Commissions still delivering support (one from an older snapshot, without a
        status, has never been ended)."""
        return [key for key, c in self._commission_keys()
                if c.get("status", "active") == "active"]

    def end_commission(self, *, commission_id: str, reason: str, recorded_at: datetime,
                       actor_id: str, actor_role: str) -> None:
        """The commissioned support is delivered (or stopped): a decision with its reason,
        which a closure waits for, as it waits for peers' deployments to end."""
        self.check_open()
        key = _required_text(commission_id, "commission_id")
        if key not in dict(self._commission_keys()):
            raise InvalidField(f"no commission {key!r} on this case", field="commission_id")
        if key not in self.active_commissions:
            raise RuleViolation(f"commission {key!r} has ended", rule="commission_active",
                                field="commission_id")
        self._support_commission_ended(commission_id=key,
                                       reason=_required_text(reason, "reason"),
                                       recorded_at=recorded_at, **_actor(actor_id, actor_role))

    @event("SupportCommissionEnded")
    def _support_commission_ended(self, *, commission_id: str, reason: str,
                                  recorded_at: datetime, actor_id: str,
                                  actor_role: str) -> None:
        dict(self._commission_keys())[commission_id].update(status="ended",
                                                            ended_at=recorded_at)

    def deploy_peer(self, *, peer_id: str, peer_council: str, role: str, reason: str,
                    recorded_at: datetime, actor_id: str, actor_role: str,
                    registered_peer_id: str = "", register_deployment_id: str = "",
                    days: int = 0) -> str:
        """Deploy an accredited peer from another council; returns the deployment id.

        The peer's days and council come from the register, which deploys them first;
        `register_deployment_id` names that same deployment there.
        """
        self.check_open()
        self.check_plan_agreed("peer deployed")
        council = _required_text(peer_council, "peer_council")
        if council.casefold() == self.authority.casefold():
            raise RuleViolation("a peer is never deployed to their own council",
                                rule="peer_not_from_own_council", field="peer_council")
        deployment_id = f"deployment-{len(self.deployments) + 1}"
        self._peer_deployed(
            deployment_id=deployment_id, peer_id=_required_text(peer_id, "peer_id"),
            peer_council=council, role=_required_text(role, "role"),
            reason=_required_text(reason, "reason"), recorded_at=recorded_at,
            registered_peer_id=registered_peer_id,
            register_deployment_id=register_deployment_id, days=days,
            **_actor(actor_id, actor_role),
        )
        return deployment_id

    @event("PeerDeployed")
    def _peer_deployed(self, *, deployment_id: str, peer_id: str, peer_council: str, role: str,
                       reason: str, recorded_at: datetime, actor_id: str,
                       actor_role: str, registered_peer_id: str = "",
                       register_deployment_id: str = "", days: int = 0) -> None:
        self.deployments[deployment_id] = {
            "peer_id": peer_id, "peer_council": peer_council, "role": role,
            "deployed_at": recorded_at, "status": "active", "visits": [], "ended_at": None,
            "registered_peer_id": registered_peer_id,
            "register_deployment_id": register_deployment_id, "days": days}

    def record_peer_visit(self, *, deployment_id: str, visited_at: datetime, notes: str,
                          recorded_at: datetime, actor_id: str, actor_role: str) -> None:
        """A visit made under an active deployment."""
        self.check_open()
        self.check_deployment_active(deployment_id)
        self._peer_visit_recorded(deployment_id=deployment_id,
                                  visited_at=_moment(visited_at, "visited_at"),
                                  notes=_required_text(notes, "notes"), recorded_at=recorded_at,
                                  **_actor(actor_id, actor_role))

    @event("PeerVisitRecorded")
    def _peer_visit_recorded(self, *, deployment_id: str, visited_at: datetime, notes: str,
                             recorded_at: datetime, actor_id: str, actor_role: str) -> None:
        self.deployments[deployment_id]["visits"].append(
            {"visited_at": visited_at, "notes": notes})

    def end_peer_deployment(self, *, deployment_id: str, reason: str, recorded_at: datetime,
                            actor_id: str, actor_role: str) -> None:
        """The peer's work on this case is done."""
        self.check_open()
        self.check_deployment_active(deployment_id)
        self._peer_deployment_ended(deployment_id=deployment_id,
                                    reason=_required_text(reason, "reason"),
                                    recorded_at=recorded_at, **_actor(actor_id, actor_role))

    @event("PeerDeploymentEnded")
    def _peer_deployment_ended(self, *, deployment_id: str, reason: str, recorded_at: datetime,
                               actor_id: str, actor_role: str) -> None:
        self.deployments[deployment_id].update(status="ended", ended_at=recorded_at)

    # -- progress reviews ------------------------------------------------------------

    def review_progress(
        self, *, measures: Mapping[str, str], judgement: str, reason: str,
        recorded_at: datetime, actor_id: str, actor_role: str,
        next_review_due: datetime | None = None, policy: DeadlinePolicy = DEFAULT_POLICY,
    ) -> None:
        """Each outcome measure on track or not, an overall judgement, the next review date."""
        self.check_open()
        self.check_plan_live("progress reviewed")
        statuses = self._measure_statuses(measures)
        if next_review_due is None:
            next_review_due = policy.due(Deadline.NEXT_REVIEW, recorded_at,
                                         risk_score=self.risk_score)
        elif _moment(next_review_due, "next_review_due") <= recorded_at:
            raise InvalidField("next_review_due must be after the review",
                               field="next_review_due")
        self._progress_reviewed(
            measures=statuses, judgement=one_of(judgement, ProgressJudgement, "judgement"),
            reason=_required_text(reason, "reason"), next_review_due=next_review_due,
            recorded_at=recorded_at, **_actor(actor_id, actor_role),
        )

    def _measure_statuses(self, given: Mapping[str, str]) -> dict[str, str]:
        """Every measure of the plan, and only those, each on track or off track."""
        if not isinstance(given, Mapping):
            raise InvalidField("measures must map each outcome measure to a status",
                               field="measures")
        assert self.agreed_plan is not None  # check_plan_live came first
        expected = measures(self.agreed_plan["actions"])
        unknown = [m for m in given if m not in expected]
        missing = [m for m in expected if m not in given]
        if unknown or missing:
            raise InvalidField(
                f"measures must report exactly the plan's outcome measures; "
                f"missing {missing}, unknown {unknown}", field="measures")
        return {m: one_of(given[m], MeasureStatus, f"measures[{m}]") for m in expected}

    @event("ProgressReviewed")
    def _progress_reviewed(self, *, measures: dict[str, str], judgement: str, reason: str,
                           next_review_due: datetime, recorded_at: datetime, actor_id: str,
                           actor_role: str) -> None:
        self.reviews.append({"measures": measures, "judgement": judgement, "reason": reason,
                             "reviewed_at": recorded_at, "next_review_due": next_review_due})
        self._set_deadline(Deadline.NEXT_REVIEW.value, next_review_due, recorded_at)

    # -- the escalation ladder ----------------------------------------------------------

    def change_stage(self, *, to_stage: str, trigger: str, reason: str, recorded_at: datetime,
                     actor_id: str, actor_role: str) -> None:
        """Move one rung up or down the ladder, saying who or what moved it and why."""
        self.check_open()
        to_stage = one_of(to_stage, Stage, "to_stage")
        self.check_stage_move(to_stage)
        self._stage_changed(
            from_stage=self.stage, to_stage=to_stage,
            trigger=one_of(trigger, StageTrigger, "trigger"),
            reason=_required_text(reason, "reason"), escalation_key=None,
            recorded_at=recorded_at, **_actor(actor_id, actor_role),
        )

    def escalate(self, *, reason: str, escalation_key: str, recorded_at: datetime,
                 actor_id: str) -> bool:
        """The automated move up one stage; False when already recorded or moot.

        Like reminders, the key makes a retried workflow activity harmless. Moot
        means the case is closed or already at the government meeting stage:
        intervention is never automated. Nor is a government meeting: the move to
        it is only ever proposed, for a coordinator to confirm and convene.
        """
        key = _required_text(escalation_key, "escalation_key")
        next_stage = self.next_rung()
        if key in self.escalation_keys or self.status != "open" or next_stage is None:
            return False
        if next_stage == Stage.GOVERNMENT_MEETING.value:
            raise RuleViolation(
                "automation never moves a case to the government meeting stage; it proposes "
                "the move for a coordinator to confirm",
                rule="automation_never_convenes_government_meeting", field="to_stage")
        self.check_stage_move(next_stage)
        self._stage_changed(
            from_stage=self.stage, to_stage=next_stage,
            trigger=StageTrigger.AUTOMATED.value, reason=_required_text(reason, "reason"),
            escalation_key=key, recorded_at=recorded_at,
            actor_id=_required_text(actor_id, "actor_id"), actor_role=AUTOMATION,
        )
        return True

    @event("StageChanged")
    def _stage_changed(self, *, from_stage: str, to_stage: str, trigger: str, reason: str,
                       escalation_key: str | None, recorded_at: datetime, actor_id: str,
                       actor_role: str) -> None:
        self.stage = to_stage
        self.stage_since = recorded_at
        self.pending_escalation = None
        if escalation_key:
            self.escalation_keys.append(escalation_key)

    def next_rung(self) -> str | None:
        """The stage a move up leads to: the next rung, except that a red-flagged case at
        local without the council's agreement leads straight to the government meeting."""
        if (self.stage == Stage.LOCAL.value and self.red_flag is not None
                and not self.council_agrees_referral):
            return Stage.GOVERNMENT_MEETING.value
        position = LADDER.index(self.stage)
        return LADDER[position + 1] if position + 1 < len(LADDER) else None

    def propose_escalation(self, *, reason: str, proposal_key: str, recorded_at: datetime,
                           actor_id: str, actor_role: str = AUTOMATION) -> bool:
        """Propose a move up one stage for a coordinator to confirm or decline.

        False, writing nothing, when this proposal was already recorded, another
        is pending, the case is closed or already at the top stage.
        """
        key = _required_text(proposal_key, "proposal_key")
        next_stage = self.next_rung()
        moot = (key in self.escalation_keys or self.pending_escalation is not None
                or self.status != "open" or next_stage is None)
        if moot or next_stage is None:
            return False
        self._escalation_proposed(
            from_stage=self.stage, to_stage=next_stage,
            reason=_required_text(reason, "reason"), proposal_key=key,
            recorded_at=recorded_at, **_actor(actor_id, actor_role),
        )
        return True

    @event("EscalationProposed")
    def _escalation_proposed(self, *, from_stage: str, to_stage: str, reason: str,
                             proposal_key: str, recorded_at: datetime, actor_id: str,
                             actor_role: str) -> None:
        self.pending_escalation = {"from_stage": from_stage, "to_stage": to_stage,
                                   "reason": reason, "proposal_key": proposal_key,
                                   "proposed_at": recorded_at, "proposed_by": actor_id}
        self.escalation_keys.append(proposal_key)

    def confirm_escalation(self, *, reason: str, recorded_at: datetime, actor_id: str,
                           actor_role: str) -> None:
        """A coordinator confirms the pending proposal: the case moves up, by a person."""
        self.check_open()
        proposal = self.check_escalation_pending()
        self.check_stage_move(proposal["to_stage"])
        reason = _required_text(reason, "reason")
        actor = _actor(actor_id, actor_role)
        self._escalation_confirmed(proposal_key=proposal["proposal_key"], reason=reason,
                                   recorded_at=recorded_at, **actor)
        self._stage_changed(from_stage=self.stage, to_stage=proposal["to_stage"],
                            trigger=StageTrigger.PERSON.value, reason=reason,
                            escalation_key=None, recorded_at=recorded_at, **actor)

    @event("EscalationConfirmed")
    def _escalation_confirmed(self, *, proposal_key: str, reason: str, recorded_at: datetime,
                              actor_id: str, actor_role: str) -> None:
        self.stage_since = recorded_at

    def decline_escalation(self, *, reason: str, recorded_at: datetime, actor_id: str,
                           actor_role: str) -> None:
        """A coordinator declines the pending proposal; the case stays where it is."""
        self.check_open()
        proposal = self.check_escalation_pending()
        self._escalation_declined(proposal_key=proposal["proposal_key"],
                                  reason=_required_text(reason, "reason"),
                                  recorded_at=recorded_at, **_actor(actor_id, actor_role))

    @event("EscalationDeclined")
    def _escalation_declined(self, *, proposal_key: str, reason: str, recorded_at: datetime,
                             actor_id: str, actor_role: str) -> None:
        self.pending_escalation = None
        self.stage_since = recorded_at

    # -- meetings ------------------------------------------------------------------

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
        self.check_open()
        if self.stage != Stage.LOCAL.value:
            raise RuleViolation("a joint local meeting is held while the case is local",
                                rule="joint_meeting_at_local_stage")
        if self._joint_meeting_awaiting_summary() is not None:
            raise RuleViolation("record the summary of the last joint local meeting first",
                                rule="joint_meeting_summary_first", field="outcome")
        outcome = one_of(outcome, JointMeetingOutcome, "outcome")
        people = _attendees(attendees)
        if outcome == JointMeetingOutcome.REFER_TO_RIEP.value and not any(
                p["kind"] == JointMeetingAttendee.COUNCIL.value for p in people):
            raise RuleViolation(
                "a referral to the RIEP needs the council's agreement: the council or its "
                "partnership must be among the meeting's attendees",
                rule="referral_needs_council_agreement", field="attendees")
        reason = _required_text(reason, "reason")
        actor = _actor(actor_id, actor_role)
        self._joint_local_meeting_held(
            outcome=outcome, reason=reason, recorded_at=recorded_at, attendees=people,
            summary_due=policy.due(Deadline.JOINT_MEETING_SUMMARY, recorded_at,
                                   risk_score=self.risk_score),
            next_meeting_due=self._next_joint_meeting_due(outcome, next_joint_meeting_due,
                                                          recorded_at, policy),
            **actor)
        if outcome == JointMeetingOutcome.REGULATOR_NOT_SATISFIED.value:
            self._red_flag_raised(reason=reason, recorded_at=recorded_at, **actor)

    def _next_joint_meeting_due(self, outcome: str, given: datetime | None,
                                recorded_at: datetime, policy: DeadlinePolicy) -> datetime | None:
        """A strong local plan is reviewed at the next joint meeting: on the date given, or
        the policy's interval on; the other outcomes leave the local stage's review behind."""
        if outcome != JointMeetingOutcome.STRONG_LOCAL_PLAN.value:
            return None
        if given is None:
            return policy.due(Deadline.NEXT_JOINT_MEETING, recorded_at,
                              risk_score=self.risk_score)
        if _moment(given, "next_joint_meeting_due") <= recorded_at:
            raise InvalidField("next_joint_meeting_due must be after the meeting",
                               field="next_joint_meeting_due")
        return given

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

    @event(JointLocalMeetingHeld)
    def _joint_local_meeting_held(self, *, outcome: str, reason: str, recorded_at: datetime,
                                  actor_id: str, actor_role: str,
                                  attendees: list[dict[str, str]] | None = None,
                                  summary_due: datetime | None = None,
                                  next_meeting_due: datetime | None = None) -> None:
        self.joint_meetings.append({"outcome": outcome, "reason": reason,
                                    "held_at": recorded_at, "attendees": attendees,
                                    "summary": None, "summary_due": summary_due,
                                    "next_meeting_due": next_meeting_due})
        self.joint_meeting_proposal = None
        self._forget_reminders(JOINT_MEETING_DECISION)
        self._clear_deadline(Deadline.NEXT_JOINT_MEETING.value)
        if outcome == JointMeetingOutcome.REFER_TO_RIEP.value:
            self.council_agrees_referral = True
        if outcome == JointMeetingOutcome.REGULATOR_NOT_SATISFIED.value:
            self.regulator_not_satisfied = True
            if attendees is None:  # recorded before the red flag was an event of its own
                self.red_flag = {"reason": reason, "raised_at": recorded_at,
                                 "raised_by": actor_id}
        if summary_due is not None:
            self._set_deadline(Deadline.JOINT_MEETING_SUMMARY.value, summary_due, recorded_at)
        if next_meeting_due is not None:
            self._set_deadline(Deadline.NEXT_JOINT_MEETING.value, next_meeting_due,
                               recorded_at)

    @event("RedFlagRaised")
    def _red_flag_raised(self, *, reason: str, recorded_at: datetime, actor_id: str,
                         actor_role: str) -> None:
        """Further government or inspectorate action follows: the route from local straight
        to the government meeting opens (never local to the RIEP)."""
        self.red_flag = {"reason": reason, "raised_at": recorded_at, "raised_by": actor_id}

    def _joint_meeting_awaiting_summary(self) -> dict[str, Any] | None:
        meetings = self.joint_meetings
        last = meetings[-1] if meetings else None
        awaiting = last is not None and last.get("summary_due") and last.get("summary") is None
        return last if awaiting else None

    def record_joint_meeting_summary(self, *, summary: str, recorded_at: datetime,
                                     actor_id: str, actor_role: str) -> None:
        """The last joint local meeting's summary; it meets its five-working-day deadline."""
        self.check_open()
        if self._joint_meeting_awaiting_summary() is None:
            raise RuleViolation("no joint local meeting awaits its summary",
                                rule="joint_meeting_held_first", field="summary")
        self._joint_meeting_summary_recorded(summary=_required_text(summary, "summary"),
                                             recorded_at=recorded_at,
                                             **_actor(actor_id, actor_role))

    @event("JointMeetingSummaryRecorded")
    def _joint_meeting_summary_recorded(self, *, summary: str, recorded_at: datetime,
                                        actor_id: str, actor_role: str) -> None:
        self.joint_meetings[-1].update(summary=summary, summarised_at=recorded_at)
        self._clear_deadline(Deadline.JOINT_MEETING_SUMMARY.value)

    # -- a case stuck at local: automation proposes a joint local meeting ----------------

    def propose_joint_meeting(self, *, reason: str, proposal_key: str, recorded_at: datetime,
                              actor_id: str, actor_role: str = AUTOMATION) -> bool:
        """Propose a joint local meeting for a case stuck at local without the council's
        agreement; False, writing nothing, when already proposed, pending or moot."""
        key = _required_text(proposal_key, "proposal_key")
        moot = (key in self.escalation_keys or self.joint_meeting_proposal is not None
                or self.status != "open" or self.stage != Stage.LOCAL.value)
        if moot:
            return False
        self._joint_meeting_proposed(reason=_required_text(reason, "reason"),
                                     proposal_key=key, recorded_at=recorded_at,
                                     **_actor(actor_id, actor_role))
        return True

    @event("JointMeetingProposed")
    def _joint_meeting_proposed(self, *, reason: str, proposal_key: str, recorded_at: datetime,
                                actor_id: str, actor_role: str) -> None:
        self.joint_meeting_proposal = {"reason": reason, "proposal_key": proposal_key,
                                       "proposed_at": recorded_at, "proposed_by": actor_id}
        self.escalation_keys.append(proposal_key)

    def decline_joint_meeting(self, *, reason: str, recorded_at: datetime, actor_id: str,
                              actor_role: str) -> None:
        """A coordinator declines the proposed joint local meeting, saying why; the
        reminders stop, and missed deadlines count again from now."""
        self.check_open()
        proposal = self.joint_meeting_proposal
        if proposal is None:
            raise RuleViolation("no joint local meeting is proposed",
                                rule="no_joint_meeting_proposed", field="reason")
        self._joint_meeting_proposal_declined(
            proposal_key=proposal["proposal_key"], reason=_required_text(reason, "reason"),
            recorded_at=recorded_at, **_actor(actor_id, actor_role))

    @event("JointMeetingProposalDeclined")
    def _joint_meeting_proposal_declined(self, *, proposal_key: str, reason: str,
                                         recorded_at: datetime, actor_id: str,
                                         actor_role: str) -> None:
        self.joint_meeting_proposal = None
        self._forget_reminders(JOINT_MEETING_DECISION)
        self.stage_since = recorded_at

    def remind_of_joint_meeting(self, *, recipient: str, reminder_key: str,
                                actor_id: str) -> bool:
        """Remind the coordinator that a proposed joint local meeting is still to be held
        or declined; once per key, False when it was meanwhile held or declined."""
        proposal = self.joint_meeting_proposal
        if reminder_key in self.reminders or proposal is None or self.status != "open":
            return False
        self._reminder_issued(
            deadline=JOINT_MEETING_DECISION, due=proposal["proposed_at"],
            recipient=_required_text(recipient, "recipient"), reminder_key=reminder_key,
            actor_id=actor_id, actor_role=AUTOMATION)
        return True

    def convene_government_meeting(
        self, *, attendees: Iterable[str], meeting_at: datetime, reason: str,
        recorded_at: datetime, actor_id: str, actor_role: str,
        policy: DeadlinePolicy = DEFAULT_POLICY,
    ) -> None:
        """The meeting before any intervention; its summary is due five working days on."""
        self.check_open()
        if self.stage != Stage.GOVERNMENT_MEETING.value:
            raise RuleViolation("a government meeting is convened only at that stage",
                                rule="government_meeting_needs_stage")
        if self._open_government_meeting() is not None:
            raise RuleViolation("a government meeting is already convened and not concluded",
                                rule="one_government_meeting_at_a_time")
        people = _texts(attendees, "attendees")
        if not people:
            raise InvalidField("attendees must name who is called", field="attendees")
        meeting_at = _moment(meeting_at, "meeting_at")
        self._government_meeting_convened(
            attendees=people, meeting_at=meeting_at, reason=_required_text(reason, "reason"),
            summary_due=policy.due(Deadline.MEETING_SUMMARY, meeting_at,
                                   risk_score=self.risk_score),
            recorded_at=recorded_at, **_actor(actor_id, actor_role),
        )

    @event("GovernmentMeetingConvened")
    def _government_meeting_convened(self, *, attendees: list[str], meeting_at: datetime,
                                     reason: str, summary_due: datetime, recorded_at: datetime,
                                     actor_id: str, actor_role: str) -> None:
        self.government_meetings.append({"attendees": attendees, "meeting_at": meeting_at,
                                         "reason": reason, "outcome": None, "summary": None,
                                         "concluded_at": None})
        self._set_deadline(Deadline.MEETING_SUMMARY.value, summary_due, meeting_at)

    def _open_government_meeting(self) -> dict[str, Any] | None:
        meetings = self.government_meetings
        return meetings[-1] if meetings and meetings[-1]["outcome"] is None else None

    def conclude_government_meeting(self, *, outcome: str, summary: str, reason: str,
                                    recorded_at: datetime, actor_id: str,
                                    actor_role: str) -> None:
        """Sector-led approach agreed, or intervention; the summary meets its deadline."""
        self.check_open()
        if self._open_government_meeting() is None:
            raise RuleViolation("no government meeting has been convened to conclude",
                                rule="government_meeting_convened_first")
        self._government_meeting_concluded(
            outcome=one_of(outcome, GovernmentMeetingOutcome, "outcome"),
            summary=_required_text(summary, "summary"), reason=_required_text(reason, "reason"),
            recorded_at=recorded_at, **_actor(actor_id, actor_role),
        )

    @event("GovernmentMeetingConcluded")
    def _government_meeting_concluded(self, *, outcome: str, summary: str, reason: str,
                                      recorded_at: datetime, actor_id: str,
                                      actor_role: str) -> None:
        self.government_meetings[-1].update(outcome=outcome, summary=summary,
                                            concluded_at=recorded_at)
        self._clear_deadline(Deadline.MEETING_SUMMARY.value)

    # -- pausing deadlines ---------------------------------------------------------------

    def pause_deadline(self, *, deadline: str, reason: str, recorded_at: datetime,
                       actor_id: str, actor_role: str) -> None:
        """Stop a deadline's clock; no reminders while it is paused."""
        self.check_open()
        name = one_of(deadline, Deadline, "deadline")
        if name not in self.deadlines:
            raise RuleViolation(f"the {name} deadline is not running", rule="deadline_not_running",
                                field="deadline")
        self._deadline_paused(deadline=name, due=self.deadlines[name],
                              reason=_required_text(reason, "reason"), recorded_at=recorded_at,
                              **_actor(actor_id, actor_role))

    @event("DeadlinePaused")
    def _deadline_paused(self, *, deadline: str, due: datetime, reason: str,
                         recorded_at: datetime, actor_id: str, actor_role: str) -> None:
        self.deadlines.pop(deadline)
        self.paused_deadlines[deadline] = {
            "due": due, "paused_at": recorded_at, "reason": reason,
            "started": self.deadline_started.pop(deadline, recorded_at)}

    def resume_deadline(self, *, deadline: str, reason: str, recorded_at: datetime,
                        actor_id: str, actor_role: str,
                        policy: DeadlinePolicy = DEFAULT_POLICY) -> None:
        """Restart the clock keeping the time already used: due moves out by the pause
        (by the working time it took, for a deadline the policy counts in working days)."""
        self.check_open()
        name = one_of(deadline, Deadline, "deadline")
        paused = self.paused_deadlines.get(name)
        if paused is None:
            raise RuleViolation(f"the {name} deadline is not paused", rule="deadline_not_paused",
                                field="deadline")
        self._deadline_resumed(
            deadline=name, due=resumed_due(
                paused["due"], paused["paused_at"], recorded_at,
                working_days=policy.duration(Deadline(name)).working_days is not None),
            reason=_required_text(reason, "reason"), recorded_at=recorded_at,
            **_actor(actor_id, actor_role))

    @event("DeadlineResumed")
    def _deadline_resumed(self, *, deadline: str, due: datetime, reason: str,
                          recorded_at: datetime, actor_id: str, actor_role: str) -> None:
        paused = self.paused_deadlines.pop(deadline)
        shift = due - paused["due"]
        self.deadlines[deadline] = due
        self.deadline_started[deadline] = paused["started"] + shift

    # -- reminders -------------------------------------------------------------

    def is_reminder_due(self, deadline: str) -> bool:
        """A reminder is due only while the deadline is still open on an open case, or,
        on a closed one, while its follow-up review is awaited."""
        watched = self.status == "open" or deadline == Deadline.FOLLOW_UP_REVIEW.value
        return watched and deadline in self.deadlines

    def issue_reminder(
        self, *, deadline: str, recipient: str, reminder_key: str, actor_id: str
    ) -> bool:
        """Record a reminder once per key; False when it was already recorded or is moot.

        The key makes a retried activity harmless: the same reminder never lands twice.
        """
        deadline = one_of(deadline, Deadline, "deadline")
        if reminder_key in self.reminders or not self.is_reminder_due(deadline):
            return False
        self._reminder_issued(
            deadline=deadline,
            due=self.deadlines[deadline],
            recipient=_required_text(recipient, "recipient"),
            reminder_key=reminder_key,
            actor_id=actor_id,
            actor_role=AUTOMATION,
        )
        return True

    @event("ReminderIssued")
    def _reminder_issued(
        self,
        *,
        deadline: str,
        due: datetime,
        recipient: str,
        reminder_key: str,
        actor_id: str,
        actor_role: str,
    ) -> None:
        self.reminders.append(reminder_key)
        self.reminders_issued += 1

    def record_automation_failure(self, *, step_key: str, action: str, deadline: str,
                                  error: str, actor_id: str) -> bool:
        """An automated step that can never succeed (a rule refused it, a date overflowed),
        recorded once so that people are told and the timetable does not plan it again
        (its key joins the decided steps). False when already recorded or moot.
        """
        key = _required_text(step_key, "step_key")
        if key in self.reminders or key in self.escalation_keys or self.status != "open":
            return False
        self._automated_step_failed(
            step_key=key, action=_required_text(action, "action"),
            deadline=_required_text(deadline, "deadline"),
            error=_required_text(error, "error")[:500], actor_id=actor_id,
            actor_role=AUTOMATION)
        return True

    @event("AutomatedStepFailed")
    def _automated_step_failed(self, *, step_key: str, action: str, deadline: str, error: str,
                               actor_id: str, actor_role: str) -> None:
        self.reminders.append(step_key)

    # -- the owner, and who may read the confidential material ------------------------

    def reassign(self, *, owner: Person, reason: str, recorded_at: datetime, actor_id: str,
                 actor_role: str) -> None:
        """Hand the case to another coordinator of its region, saying why."""
        self.check_open()
        to_owner = check_owner(owner, self.region)
        if to_owner == self.owner:
            raise RuleViolation(f"{to_owner!r} already owns this case", rule=OWNER_UNCHANGED,
                                field="owner")
        self._case_reassigned(from_owner=self.owner, to_owner=to_owner,
                              reason=_required_text(reason, "reason"), recorded_at=recorded_at,
                              **_actor(actor_id, actor_role))

    @event("CaseReassigned")
    def _case_reassigned(self, *, from_owner: str | None, to_owner: str, reason: str,
                         recorded_at: datetime, actor_id: str, actor_role: str) -> None:
        self.owner = to_owner

    def grant_confidential_access(self, *, grantee: Person, reason: str, recorded_at: datetime,
                                  actor_id: str, actor_role: str) -> None:
        """Let a member of the Chatham House group read this case's confidential material."""
        self.check_open()
        username = check_confidential_grantee(grantee)
        if username in self.confidential_access:
            raise RuleViolation(f"{username!r} already has access to this case's confidential "
                                "material", rule=ALREADY_GRANTED, field="grantee")
        self._confidential_access_granted(
            grantee=username, grantee_role=str(grantee.role),
            reason=_required_text(reason, "reason"), recorded_at=recorded_at,
            **_actor(actor_id, actor_role))

    @event("ConfidentialAccessGranted")
    def _confidential_access_granted(self, *, grantee: str, grantee_role: str, reason: str,
                                     recorded_at: datetime, actor_id: str,
                                     actor_role: str) -> None:
        self.confidential_access = {**self.confidential_access, grantee: {
            "role": grantee_role, "granted_by": actor_id, "granted_at": recorded_at,
            "reason": reason}}

    def revoke_confidential_access(self, *, grantee: str, reason: str, recorded_at: datetime,
                                   actor_id: str, actor_role: str) -> None:
        """Withdraw a grant. Allowed on a closed case too: withdrawing access never waits."""
        username = _required_text(grantee, "grantee")
        if username not in self.confidential_access:
            raise RuleViolation(f"{username!r} has no access to this case's confidential "
                                "material to revoke", rule=NOT_GRANTED, field="grantee")
        self._confidential_access_revoked(grantee=username,
                                          reason=_required_text(reason, "reason"),
                                          recorded_at=recorded_at,
                                          **_actor(actor_id, actor_role))

    @event("ConfidentialAccessRevoked")
    def _confidential_access_revoked(self, *, grantee: str, reason: str, recorded_at: datetime,
                                     actor_id: str, actor_role: str) -> None:
        self.confidential_access = {k: v for k, v in self.confidential_access.items()
                                    if k != grantee}

    # -- closing and reopening ------------------------------------------------------------

    def close(self, *, outcome: str, recorded_at: datetime, actor_id: str, actor_role: str,
              exit_note: str | None = None, exit_strategy: Mapping[str, Any] | None = None,
              policy: DeadlinePolicy = DEFAULT_POLICY) -> None:
        """End the case: improved and handed back, or government intervention.

        The closure criteria, each refused by its own rule: no peer still deployed
        (naming them: ending a deployment is a decision of its own, with its reason,
        and gives the peer's days back in the register), no commissioned support
        still running, no meeting without its conclusion and summary, and, for a
        case handed back as improved, an exit strategy saying how the council's own
        improvement cycle takes over and who leads it (seed 004). A case closed as
        improved is reviewed again twelve months on (seed 001): its follow-up review
        falls due then. Closed by intervention, it needs an exit note instead.
        """
        self.check_open()
        self.check_support_ended()
        outcome = one_of(outcome, CaseOutcome, "outcome")
        if outcome == CaseOutcome.INTERVENTION.value:
            self.check_government_meeting_decided_intervention()
        self.check_meetings_concluded()
        strategy = None if exit_strategy is None else ExitStrategy.from_input(exit_strategy)
        follow_up_due = None
        if outcome == CaseOutcome.INTERVENTION.value:
            note = _required_text(exit_note, "exit_note")
        else:
            if strategy is None:
                raise RuleViolation(
                    "a case handed back as improved needs an exit strategy: how the council's "
                    "own improvement cycle takes over (handover) and who leads it (led_by)",
                    rule="exit_strategy_needed", field="exit_strategy")
            note = _optional_text(exit_note, "exit_note")
            follow_up_due = policy.due(Deadline.FOLLOW_UP_REVIEW, recorded_at)
        self._case_closed(outcome=outcome, exit_note=note,
                          exit_strategy=strategy.as_fields() if strategy else None,
                          follow_up_due=follow_up_due, recorded_at=recorded_at,
                          **_actor(actor_id, actor_role))

    def check_support_ended(self) -> None:
        """No peer still deployed and no commissioned support still running."""
        active = sorted(d for d, v in self.deployments.items() if v["status"] == "active")
        if active:
            raise RuleViolation(
                f"end the active peer deployments first: {', '.join(active)}",
                rule="peer_deployments_end_first", field="outcome")
        if self.active_commissions:
            raise RuleViolation(
                f"end the commissioned support first (POST /cases/{{id}}/commission-ends): "
                f"{', '.join(self.active_commissions)}",
                rule="commissions_end_first", field="outcome")

    def check_meetings_concluded(self) -> None:
        """Every meeting has its conclusion and summary."""
        unfinished = self._meetings_without_summary()
        if unfinished:
            raise RuleViolation(
                f"record the conclusion and summary of every meeting first: "
                f"{'; '.join(unfinished)}", rule="meetings_concluded_first", field="outcome")

    def _meetings_without_summary(self) -> list[str]:
        """Meetings whose conclusion or summary is still to be recorded: a government
        meeting not concluded, a joint local meeting whose summary is awaited, or any
        meeting summary deadline still running or paused."""
        found = [f"the government meeting convened for {m['meeting_at']:%Y-%m-%d} is not "
                 f"concluded" for m in self.government_meetings
                 if m.get("outcome") is None or not m.get("summary")]
        found += [f"the joint local meeting of {m['held_at']:%Y-%m-%d} has no summary"
                  for m in self.joint_meetings if "summary" in m and not m["summary"]]
        summaries = (Deadline.MEETING_SUMMARY.value, Deadline.JOINT_MEETING_SUMMARY.value)
        if not found and any(s in self.deadlines or s in self.paused_deadlines
                             for s in summaries):
            found.append("a meeting summary is still due")
        return found

    class CaseClosed(Aggregate.Event):
        """Version 2 added the exit strategy and the follow-up review's due time.

        Closures recorded before (version 1) carried an exit note only; they are
        upcast as they are read, with neither, so history is never rewritten.
        """

        class_version = 2
        outcome: str
        exit_note: str
        recorded_at: datetime
        actor_id: str
        actor_role: str
        exit_strategy: dict[str, str] | None = None
        follow_up_due: datetime | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("exit_strategy", None)
            state.setdefault("follow_up_due", None)

    @event(CaseClosed)
    def _case_closed(self, *, outcome: str, exit_note: str, recorded_at: datetime,
                     actor_id: str, actor_role: str, exit_strategy: dict[str, str] | None = None,
                     follow_up_due: datetime | None = None) -> None:
        self.status = "closed"
        self.closure = {"outcome": outcome, "exit_note": exit_note,
                        "exit_strategy": exit_strategy, "follow_up_due": follow_up_due,
                        "closed_at": recorded_at, "closed_by": actor_id}
        self.deadlines.clear()
        self.deadline_started.clear()
        self.paused_deadlines.clear()
        self.pending_escalation = None
        self.joint_meeting_proposal = None
        if follow_up_due is not None:
            self._set_deadline(Deadline.FOLLOW_UP_REVIEW.value, follow_up_due, recorded_at)

    # -- the follow-up review, twelve months after a closure as improved --------------------

    def record_follow_up_review(self, *, judgement: str, notes: str, recorded_at: datetime,
                                actor_id: str, actor_role: str) -> None:
        """Has the improvement lasted? Recorded once per closure as improved; it meets the
        follow-up deadline, and the judgement "reopen" reopens the case, the notes its
        reason. A case may also be reopened on its own (`reopen`), which ends the wait."""
        if self.status != "closed" or Deadline.FOLLOW_UP_REVIEW.value not in self.deadlines:
            raise RuleViolation(
                "a follow-up review is recorded once, on a case closed as improved whose "
                "follow-up review is due", rule="follow_up_review_due", field="judgement")
        judgement = one_of(judgement, FollowUpJudgement, "judgement")
        notes = _required_text(notes, "notes")
        actor = _actor(actor_id, actor_role)
        self._follow_up_reviewed(judgement=judgement, notes=notes,
                                 due=self.deadlines[Deadline.FOLLOW_UP_REVIEW.value],
                                 recorded_at=recorded_at, **actor)
        if judgement == FollowUpJudgement.REOPEN.value:
            self._case_reopened(reason=f"follow-up review: {notes}", recorded_at=recorded_at,
                                **actor)

    @event("FollowUpReviewed")
    def _follow_up_reviewed(self, *, judgement: str, notes: str, due: datetime,
                            recorded_at: datetime, actor_id: str, actor_role: str) -> None:
        review = {"judgement": judgement, "notes": notes, "due": due,
                  "reviewed_at": recorded_at, "reviewed_by": actor_id}
        self.__dict__.setdefault("_follow_up_reviews", []).append(review)
        if self.closure is not None:
            self.closure["follow_up_review"] = review
        self._clear_deadline(Deadline.FOLLOW_UP_REVIEW.value)

    @property
    def follow_up_reviews(self) -> list[dict[str, Any]]:
        """Every follow-up review, oldest first (set in the event, so older snapshots load)."""
        return list(self.__dict__.get("_follow_up_reviews", []))

    def reopen(self, *, reason: str, recorded_at: datetime, actor_id: str,
               actor_role: str) -> None:
        """Open a closed case again; the closure stays in its history."""
        if self.status != "closed":
            raise RuleViolation("only a closed case can be reopened",
                                rule="only_a_closed_case_reopens")
        self._case_reopened(reason=_required_text(reason, "reason"), recorded_at=recorded_at,
                            **_actor(actor_id, actor_role))

    @event("CaseReopened")
    def _case_reopened(self, *, reason: str, recorded_at: datetime, actor_id: str,
                       actor_role: str) -> None:
        self.status = "open"
        self.closure = None
        self.stage_since = recorded_at
        self._clear_deadline(Deadline.FOLLOW_UP_REVIEW.value)  # open again: nothing to follow up

    # -- rules -----------------------------------------------------------------

    def check_open(self) -> None:
        """Nothing is recorded on a closed case except its follow-up review or reopening it."""
        if self.status != "open":
            raise RuleViolation(
                "the case is closed; only its follow-up review or reopening it may be recorded",
                rule="closed_case_is_read_only",
            )

    @property
    def drafted_plan(self) -> dict[str, Any]:
        """The support plan, which every event about a plan follows the drafting of."""
        if self.plan is None:
            raise RuleViolation("no support plan has been drafted", rule="plan_drafted_first")
        return self.plan

    def check_plan_drafted(self) -> None:
        """Reviewing, agreeing or revising a plan needs one drafted first."""
        if self.plan is None:
            raise RuleViolation("no support plan has been drafted", rule="plan_drafted_first")

    def check_plan_agreed(self, what: str) -> None:
        """No support commissioned or peer deployed before the council has agreed the plan
        (a revision awaiting agreement is not live: new support waits for its agreement)."""
        if self.plan is None or self.plan["status"] != "agreed":
            raise RuleViolation(f"no {what} before the council agrees the support plan",
                                rule="plan_agreed_first")

    def check_plan_live(self, what: str) -> None:
        """Progress is reviewed against the plan the council last agreed, which stays live
        while a revision awaits agreement (else its review deadline could not be met)."""
        if self.agreed_plan is None:
            raise RuleViolation(f"no {what} before the council agrees the support plan",
                                rule="plan_agreed_first")

    def check_deployment_active(self, deployment_id: str) -> None:
        if deployment_id not in self.deployments:
            raise InvalidField(f"no peer deployment {deployment_id!r} on this case",
                               field="deployment_id")
        if self.deployments[deployment_id]["status"] != "active":
            raise RuleViolation(f"peer deployment {deployment_id!r} has ended",
                                rule="peer_deployment_active", field="deployment_id")

    def check_stage_move(self, to_stage: str) -> None:
        """One rung at a time; up from local to the RIEP only with the council's agreement
        (always: seed 004's "with the agreement of the locality"); and the one route from
        local straight to the government meeting is a red flag."""
        if self.stage == Stage.LOCAL.value and to_stage == Stage.GOVERNMENT_MEETING.value:
            if self.red_flag is None:
                raise RuleViolation(
                    "a case goes from local straight to a government meeting only on a red "
                    "flag (a joint local meeting whose regulator is not satisfied)",
                    rule="government_meeting_needs_red_flag", field="to_stage")
            return
        here, there = LADDER.index(self.stage), LADDER.index(to_stage)
        if abs(there - here) != 1:
            raise RuleViolation(
                f"a case moves one stage at a time; it is at {self.stage!r}, not next to "
                f"{to_stage!r}", rule="no_stage_skipped", field="to_stage")
        referral = self.stage == Stage.LOCAL.value and to_stage == Stage.RIEP.value
        if referral and not self.council_agrees_referral:
            raise RuleViolation(
                "a referral to the RIEP needs the council's agreement (its acknowledged need, "
                "or a joint local meeting with the council referring it)",
                rule="referral_needs_council_agreement", field="to_stage")

    def check_escalation_pending(self) -> dict[str, Any]:
        if self.pending_escalation is None:
            raise RuleViolation("no escalation is waiting for a decision",
                                rule="no_escalation_pending")
        return self.pending_escalation

    def check_government_meeting_decided_intervention(self) -> None:
        """No intervention unless a government meeting was held first and concluded so."""
        concluded = [m for m in self.government_meetings if m["outcome"] is not None]
        if not concluded or concluded[-1]["outcome"] != GovernmentMeetingOutcome.INTERVENTION:
            raise RuleViolation(
                "intervention is recorded only after a government meeting concluded it",
                rule="intervention_needs_government_meeting", field="outcome")

    # -- reminding a coordinator of a pending escalation proposal ----------------------

    def remind_of_proposal(self, *, recipient: str, reminder_key: str, actor_id: str) -> bool:
        """Remind the coordinator that a proposal awaits a decision; once per key.

        False, writing nothing, when no proposal is pending (it was decided
        meanwhile) or the reminder was already recorded.
        """
        proposal = self.pending_escalation
        if reminder_key in self.reminders or proposal is None or self.status != "open":
            return False
        self._reminder_issued(
            deadline=ESCALATION_DECISION, due=proposal["proposed_at"],
            recipient=_required_text(recipient, "recipient"), reminder_key=reminder_key,
            actor_id=actor_id, actor_role=AUTOMATION,
        )
        return True

    # -- what became of each notice: delivered, or failed after its retries ----------------

    def record_notice_outcome(self, *, notice_key: str, channel: str, address: str,
                              delivered: bool, at: datetime, attempts: int, reason: str,
                              actor_id: str) -> bool:
        """Record once per notice, channel and address whether it arrived; False if recorded.

        Recorded on a closed case too: it says what became of a notice sent while
        the case was open, which coordinators and inspectors need to see.
        """
        if _outcome_key(notice_key, channel, address) in self.__dict__.get("notice_outcomes", ()):
            return False
        notice_key = _required_text(notice_key, "notice_key")
        channel, address = _required_text(channel, "channel"), _required_text(address, "address")
        if delivered:
            self._notice_delivered(notice_key=notice_key, channel=channel, address=address,
                                   delivered_at=_moment(at, "at"), attempts=attempts,
                                   actor_id=actor_id, actor_role=AUTOMATION)
        else:
            self._notice_failed(notice_key=notice_key, channel=channel, address=address,
                                failed_at=_moment(at, "at"), attempts=attempts,
                                reason=_required_text(reason, "reason"), actor_id=actor_id,
                                actor_role=AUTOMATION)
        return True

    @event("NoticeDelivered")
    def _notice_delivered(self, *, notice_key: str, channel: str, address: str,
                          delivered_at: datetime, attempts: int, actor_id: str,
                          actor_role: str) -> None:
        self._note_outcome(_outcome_key(notice_key, channel, address))

    @event("NoticeFailed")
    def _notice_failed(self, *, notice_key: str, channel: str, address: str,
                       failed_at: datetime, attempts: int, reason: str, actor_id: str,
                       actor_role: str) -> None:
        self._note_outcome(_outcome_key(notice_key, channel, address))

    def _note_outcome(self, key: str) -> None:
        # set here rather than in __init__, so cases (and snapshots) from before it load
        self.__dict__.setdefault("notice_outcomes", []).append(key)


def _outcome_key(notice_key: str, channel: str, address: str) -> str:
    return f"{notice_key}|{channel}|{address}"
