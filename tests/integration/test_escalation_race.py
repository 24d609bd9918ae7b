"""An automated step is decided inside the save the case's version check protects.

Another command (here a diagnosis, from a second process on the same store)
lands between the workflow's read and its write; the step must then be decided
again on a fresh read and, the deadline being met, recorded nowhere.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.case import Case
from services.cases.service import CaseService
from services.cases.workflow_contract import StepRequest
from services.policy.service import PolicyService
from services.reminders.escalation_steps import EscalationSteps
from tests.helpers import OPEN_CASE, event_types

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
OPENED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = OPENED + timedelta(hours=1)


class CommandLandsFirst(CaseService):
    """Runs `meanwhile` once, just before its next save: another writer got there first."""

    name = CaseService.name  # the same tables as the other writer's
    meanwhile: Callable[[], None] | None = None

    def _save(self, case: Case) -> int:
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return super()._save(case)


def test_an_escalation_is_not_recorded_once_a_diagnosis_lands_before_its_save(settings):
    env = settings.eventsourcing_env()
    cases = CommandLandsFirst(env, clock=lambda: OPENED)
    other = CaseService(env, clock=lambda: LATER)
    policies = PolicyService.beside(cases)
    policies.set_policy(OPEN_CASE["region"], actor_id="coordinator-1",
                        missed_reminder_limit=0, remind_before="PT1S")
    try:
        case_id = cases.open_case(**OPEN_CASE, **ACTOR,
                                  diagnosis_due=OPENED + timedelta(minutes=5))
        cases.acknowledge_need(case_id, reason="We want help", actor_id="liaison-1",
                               actor_role="authority liaison")
        cases.clock = lambda: LATER
        steps = EscalationSteps(cases, policies, clock=lambda: LATER)
        step = steps.plan(str(case_id)).steps[0]
        assert step.action == "escalate" and step.deadline == "diagnosis"

        cases.meanwhile = lambda: other.record_diagnosis(case_id, summary="Weak capacity",
                                                         **ACTOR)
        outcome = steps.take(StepRequest(str(case_id), step))

        assert outcome.recorded is False and outcome.notice is None
        history = other.history(case_id)
        assert "StageChanged" not in event_types(history)
        assert other.get_case(case_id)["stage"] == "local"
    finally:
        for service in (cases, other, policies):
            service.close()


def test_without_a_concurrent_command_the_step_is_recorded_once(settings):
    env = settings.eventsourcing_env()
    cases = CaseService(env, clock=lambda: OPENED)
    policies = PolicyService.beside(cases)
    policies.set_policy(OPEN_CASE["region"], actor_id="coordinator-1",
                        missed_reminder_limit=0, remind_before="PT1S")
    try:
        case_id = cases.open_case(**OPEN_CASE, **ACTOR,
                                  diagnosis_due=OPENED + timedelta(minutes=5))
        cases.acknowledge_need(case_id, reason="We want help", actor_id="liaison-1",
                               actor_role="authority liaison")
        cases.clock = lambda: LATER
        steps = EscalationSteps(cases, policies, clock=lambda: LATER)
        step = steps.plan(str(case_id)).steps[0]
        assert steps.take(StepRequest(str(case_id), step)).recorded is True
        assert steps.take(StepRequest(str(case_id), step)).recorded is True  # a retry
        assert event_types(cases.history(case_id)).count("StageChanged") == 1
        assert cases.get_case(case_id)["stage"] == "RIEP"
    finally:
        cases.close()
        policies.close()


def test_a_step_planned_as_an_escalation_to_a_government_meeting_is_taken_as_a_proposal(
        settings):
    """A workflow that planned the automated move before the rule changed takes the step as
    the timetable now has it: a proposal for a coordinator, never the move itself."""
    env = settings.eventsourcing_env()
    cases = CaseService(env, clock=lambda: OPENED)
    policies = PolicyService.beside(cases)
    policies.set_policy(OPEN_CASE["region"], actor_id="coordinator-1",
                        missed_reminder_limit=0, remind_before="PT1S", escalation="automatic")
    try:
        case_id = cases.open_case(**OPEN_CASE, **ACTOR,
                                  diagnosis_due=OPENED + timedelta(minutes=5))
        cases.acknowledge_need(case_id, reason="We want help", actor_id="liaison-1",
                               actor_role="authority liaison")
        cases.change_stage(case_id, to_stage="RIEP", reason="Referred", **ACTOR)
        cases.clock = lambda: LATER
        steps = EscalationSteps(cases, policies, clock=lambda: LATER)
        step = steps.plan(str(case_id)).steps[0]
        assert (step.action, step.to_stage) == ("propose escalation", "government meeting")
        stale = replace(step, action="escalate")

        outcome = steps.take(StepRequest(str(case_id), stale))

        assert outcome.recorded is True and outcome.notice.kind == "propose escalation"
        retried = steps.take(StepRequest(str(case_id), stale))  # a retried activity
        assert retried.notice.kind == "propose escalation" and retried.notice.key == step.key
        case = cases.get_case(case_id)
        assert case["stage"] == "RIEP"
        assert case["pending_escalation"]["to_stage"] == "government meeting"
    finally:
        policies.close()
        cases.close()
