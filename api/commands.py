"""The case commands the API offers: path, action (for the role rules), body, service method.

A command appears in the API as soon as the case service has its method, so
the HTTP surface follows the domain without a route written per command.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel

from api import command_schemas as s
from domain.identity import Principal, may_record_visit_on


def _plain(value: Any) -> Any:
    """Enums as their values, all the way down (the domain takes primitives)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _primitives(body: BaseModel) -> dict[str, Any]:
    return _plain(body.model_dump(exclude={"expected_version"}))


@dataclass(frozen=True)
class CommandSpec:
    path: str
    action: str
    schema: type[BaseModel]
    method: str
    summary: str
    description: str = ""
    arguments: Callable[[BaseModel], dict[str, Any]] = field(default=_primitives)
    # A further role rule that needs the body: (who, body, case) -> allowed?
    allows: Callable[[Principal, Any, dict[str, Any]], bool] | None = None


def _spec(path: str, action: str, schema: type[BaseModel], method: str,
          **extra: Any) -> CommandSpec:
    return CommandSpec(path, action, schema, method, action[0].upper() + action[1:],
                       description=schema.__doc__ or "", **extra)


def _own_deployment(who: Principal, body: Any, case: dict[str, Any]) -> bool:
    return may_record_visit_on(who, (case.get("deployments") or {}).get(body.deployment_id))


COMMANDS: list[CommandSpec] = [
    _spec("intelligence", "add intelligence", s.IntelligenceAdd, "add_intelligence"),
    _spec("risk-assessments", "assess risk", s.RiskAssess, "assess_risk"),
    _spec("diagnosis", "record diagnosis", s.DiagnosisRecord, "record_diagnosis"),
    _spec("council-acknowledgement", "acknowledge need", s.CouncilDecision, "acknowledge_need"),
    _spec("council-declines-support", "decline support", s.CouncilDecision, "decline_support"),
    _spec("plan", "draft support plan", s.PlanDraft, "draft_plan"),
    _spec("plan/reviews", "review support plan", s.PlanReview, "review_plan"),
    _spec("plan/agreement", "agree support plan", s.CouncilDecision, "agree_plan"),
    _spec("plan/agreement-request", "ask council to agree plan", s.AgreementRequest,
          "ask_council_to_agree"),
    _spec("plan/revisions", "revise support plan", s.PlanRevision, "revise_plan"),
    _spec("support", "commission support", s.SupportCommission, "commission_support"),
    _spec("commission-ends", "end commission", s.CommissionEnd, "end_commission"),
    _spec("peer-deployments", "deploy peer", s.PeerDeploy, "deploy_peer"),
    _spec("peer-visits", "record peer visit", s.PeerVisit, "record_peer_visit",
          allows=_own_deployment),
    _spec("peer-deployment-ends", "end peer deployment", s.PeerDeploymentEnd,
          "end_peer_deployment"),
    _spec("progress-reviews", "review progress", s.ProgressReview, "review_progress"),
    _spec("stage", "change stage", s.StageChange, "change_stage"),
    _spec("joint-local-meetings", "record joint local meeting", s.JointLocalMeeting,
          "hold_joint_local_meeting"),
    _spec("joint-local-meetings/summary", "record joint meeting summary",
          s.JointMeetingSummary, "record_joint_meeting_summary"),
    _spec("joint-local-meetings/proposal", "propose joint meeting", s.JointMeetingProposal,
          "propose_joint_local_meeting"),
    _spec("joint-local-meetings/proposal/decline", "decline joint meeting proposal",
          s.JointMeetingDecline, "decline_joint_meeting"),
    _spec("government-meeting", "convene government meeting", s.GovernmentMeetingConvene,
          "convene_government_meeting"),
    _spec("government-meeting/conclusion", "conclude government meeting",
          s.GovernmentMeetingConclude, "conclude_government_meeting"),
    _spec("escalation/confirmation", "confirm escalation", s.EscalationDecision,
          "confirm_escalation"),
    _spec("escalation/decline", "decline escalation", s.EscalationDecision,
          "decline_escalation"),
    _spec("deadline-pauses", "pause deadline", s.DeadlineChange, "pause_deadline"),
    _spec("deadline-resumptions", "resume deadline", s.DeadlineChange, "resume_deadline"),
    _spec("closure", "close case", s.CaseClose, "close_case"),
    _spec("reopening", "reopen case", s.CaseReopen, "reopen_case"),
    _spec("follow-up-review", "record follow-up review", s.FollowUpReview,
          "record_follow_up_review"),
    _spec("owner", "reassign case", s.CaseReassign, "reassign_case"),
    _spec("confidential-access", "grant confidential access", s.ConfidentialAccessGrant,
          "grant_confidential_access"),
    _spec("confidential-access/revocation", "revoke confidential access",
          s.ConfidentialAccessRevoke, "revoke_confidential_access"),
]
