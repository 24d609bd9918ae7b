"""Which steps a case can take now, and where each of its main steps stands.

Every command on a case checks its preconditions that do not depend on what is
submitted (the case open, a plan drafted, a meeting awaiting its summary...) in
one `check_may_*` method it calls first. This module asks those same methods,
so "offered now" and "the case accepts it" are one rule, written once: a step
offered can be refused only for what was submitted, and a step not offered is
refused whatever is submitted. Steps are named as the role table names them
(domain/identity.py: PERMISSIONS), so the pages and the API can filter them by
who may take them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import DomainError
from domain.vocabulary import CaseStatus, Deadline

PRECONDITIONS: dict[str, Callable[[Any], Any]] = {
    "add intelligence": lambda case: case.check_open(),
    "assess risk": lambda case: case.check_open(),
    "record diagnosis": lambda case: case.check_may_record_diagnosis(),
    "acknowledge need": lambda case: case.check_open(),
    "decline support": lambda case: case.check_open(),
    "draft support plan": lambda case: case.check_may_draft_plan(),
    "review support plan": lambda case: case.check_may_review_plan(),
    "ask council to agree plan": lambda case: case.check_may_ask_council_to_agree(),
    "agree support plan": lambda case: case.check_may_agree_plan(),
    "revise support plan": lambda case: case.check_may_revise_plan(),
    "commission support": lambda case: case.check_may_commission_support(),
    "end commission": lambda case: case.check_may_end_commission(),
    "deploy peer": lambda case: case.check_may_deploy_peer(),
    "record peer visit": lambda case: case.check_may_act_on_deployments(),
    "end peer deployment": lambda case: case.check_may_act_on_deployments(),
    "review progress": lambda case: case.check_may_review_progress(),
    "change stage": lambda case: case.check_may_change_stage(),
    "record joint local meeting": lambda case: case.check_may_hold_joint_meeting(),
    "record joint meeting summary": lambda case: case.check_may_record_joint_meeting_summary(),
    "propose joint meeting": lambda case: case.check_may_propose_joint_meeting(),
    "decline joint meeting proposal": lambda case: case.check_may_decline_joint_meeting(),
    "convene government meeting": lambda case: case.check_may_convene_government_meeting(),
    "conclude government meeting": lambda case: case.check_may_conclude_government_meeting(),
    "confirm escalation": lambda case: case.check_may_confirm_escalation(),
    "decline escalation": lambda case: case.check_may_decline_escalation(),
    "pause deadline": lambda case: case.check_may_pause_deadline(),
    "resume deadline": lambda case: case.check_may_resume_deadline(),
    "close case": lambda case: case.check_may_close(),
    "reopen case": lambda case: case.check_may_reopen(),
    "record follow-up review": lambda case: case.check_may_record_follow_up_review(),
    "reassign case": lambda case: case.check_open(),
    "grant confidential access": lambda case: case.check_open(),
    "revoke confidential access": lambda case: case.check_may_revoke_confidential_access(),
    "attach document": lambda case: case.check_may_attach_document(),
}
"""Each case command, by its role-table name, and the check it makes first."""


def refusal_of(case: Any, action: str) -> DomainError | None:
    """The domain's refusal of the step on the case now (its rule and words); None when
    the case would take it."""
    try:
        PRECONDITIONS[action](case)
    except DomainError as refused:
        return refused
    return None


def why_not(case: Any, action: str) -> str:
    """Why the step cannot be taken on the case now, in words; "" when it can."""
    refused = refusal_of(case, action)
    return refused.message if refused else ""


def offered_now(case: Any) -> dict[str, str]:
    """Every case command, and why it cannot be taken now ("" for those that can)."""
    return {action: why_not(case, action) for action in PRECONDITIONS}


class TaskStatus(StrEnum):
    """Where a main step of the case stands (the GOV.UK task list's statuses)."""

    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    WAITING_FOR_COUNCIL = "Waiting for the council"
    DONE = "Done"
    CANNOT_START = "Cannot start yet"


@dataclass(frozen=True)
class Task:
    """A main step of the case: the command that takes it, where it stands, and why it
    cannot be taken now ("" when it can)."""

    action: str
    status: TaskStatus
    why_not: str = ""
    rule: str = ""  # the rule that refuses it now, for a page's own words

    def as_fields(self) -> dict[str, str]:
        return {"action": self.action, "status": self.status.value, "why_not": self.why_not,
                "rule": self.rule}


def tasks(case: Any) -> list[Task]:
    """The main steps that fit the case's stage, in the order a case takes them."""
    if case.status != CaseStatus.OPEN:
        return _closed_tasks(case)
    wanted = [("record diagnosis", _done_if(case.diagnosis is not None)),
              ("draft support plan", _done_if(case.plan is not None)),
              ("ask council to agree plan", _asked(case)),
              ("agree support plan", _agreement(case)),
              ("review progress", _done_if(False, started=bool(case.reviews)))]
    wanted += [(action, TaskStatus.NOT_STARTED) for action in _waiting_decisions(case)]
    wanted.append(("close case", TaskStatus.NOT_STARTED))
    return [_task(case, action, status) for action, status in wanted]


def _closed_tasks(case: Any) -> list[Task]:
    wanted = [("reopen case", TaskStatus.NOT_STARTED)]
    if Deadline.FOLLOW_UP_REVIEW.value in case.deadlines:
        wanted.insert(0, ("record follow-up review", TaskStatus.NOT_STARTED))
    return [_task(case, action, status) for action, status in wanted]


def _waiting_decisions(case: Any) -> list[str]:
    """Steps that only arise at times: a summary awaited, a proposal to decide (a proposed
    joint local meeting to hold), a meeting at the government meeting stage."""
    arising = {"record joint meeting summary": True, "confirm escalation": True,
               "record joint local meeting": case.joint_meeting_proposal is not None,
               "convene government meeting": True, "conclude government meeting": True}
    return [action for action, fits in arising.items() if fits and not why_not(case, action)]


def _task(case: Any, action: str, status: TaskStatus) -> Task:
    refused = refusal_of(case, action)
    if refused is not None and status is TaskStatus.NOT_STARTED:
        status = TaskStatus.CANNOT_START
    return Task(action, status, refused.message if refused else "",
                refused.rule if refused else "")


def _done_if(done: bool, *, started: bool = False) -> TaskStatus:
    if done:
        return TaskStatus.DONE
    return TaskStatus.IN_PROGRESS if started else TaskStatus.NOT_STARTED


def _asked(case: Any) -> TaskStatus:
    plan = case.plan or {}
    return _done_if(plan.get("status") == "agreed" or case.agreement_requested is not None)


def _agreement(case: Any) -> TaskStatus:
    """The council's turn once the plan it has to agree is drafted."""
    plan = case.plan or {}
    if plan.get("status") == "agreed":
        return TaskStatus.DONE
    return TaskStatus.WAITING_FOR_COUNCIL if plan else TaskStatus.NOT_STARTED
