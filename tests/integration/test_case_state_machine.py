"""Any sequence of case commands, generated: the case rebuilt from its events equals the
live one, a refusal is only ever a DomainError that writes nothing, and the lifecycle's
rules hold after every step.

The commands are the API's own table (api/commands.py), with bodies varied from each
command's documented example, plus the automated ones the workflow records and the
passing of time; a body the API would refuse (422) is not sent, as over HTTP.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from pydantic import ValidationError

from api.commands import COMMANDS, CommandSpec
from domain.errors import DomainError
from domain.ownership import Person
from domain.vocabulary import Deadline
from services.cases.service import CaseService, case_view
from services.eventstore.store import mutate_each
from tests.helpers import OPEN_CASE

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday
LADDER = ["local", "RIEP", "government meeting"]
PEOPLE = dict(actor_id="cora", actor_role="coordinator")
FORWARD = ["record_diagnosis", "draft_plan", "agree_plan", "deploy_peer", "commission_support",
           "record_peer_visit", "review_progress"]


def _example(spec: CommandSpec) -> dict[str, Any]:
    return dict(spec.schema.model_config["json_schema_extra"]["examples"][0])


def _variants(name: str, value: Any, annotation: Any) -> st.SearchStrategy:
    """Plausible values for one field: its example, blanks, other choices of its set."""
    choices = getattr(annotation, "__members__", None)
    if choices:
        return st.sampled_from([m.value for m in annotation])
    if name == "deployment_id":
        return st.sampled_from(["deployment-1", "deployment-2", "deployment-9"])
    if name == "deadline":
        return st.sampled_from([d.value for d in Deadline])
    if name in ("visited_at", "meeting_at", "next_review_due", "next_joint_meeting_due"):
        return st.sampled_from([None, START + timedelta(days=3), START + timedelta(days=400),
                                START - timedelta(days=1)]).map(
                                    lambda d: d.isoformat() if d else None)
    if name == "to_stage":
        return st.sampled_from(LADDER)
    return st.sampled_from([value] * 4 + [" "] if isinstance(value, str) else [value])


@st.composite
def _body(draw: st.DrawFn, spec: CommandSpec) -> dict[str, Any]:
    body = _example(spec)
    for name, field in spec.schema.model_fields.items():
        if name in body or field.is_required():
            if draw(st.booleans()):
                body[name] = draw(_variants(name, body.get(name), field.annotation))
    return {k: v for k, v in body.items() if v is not None}


class CaseMachine(RuleBasedStateMachine):
    cases: CaseService
    clock: list[datetime]

    def __init__(self) -> None:
        super().__init__()
        self.clock[0] = START
        self.case_id = self.cases.open_case(
            **OPEN_CASE, diagnosis_due=START + timedelta(days=14), **PEOPLE)
        self.keys = 0

    def _version(self) -> int:
        return self.cases.get_case(self.case_id)["version"]

    def _attempt(self, command) -> None:
        before = self._version()
        try:
            command()
        except DomainError:
            assert self._version() == before, "a refused command wrote something"

    @rule(data=st.data(), spec=st.sampled_from(COMMANDS))
    def person_acts(self, data: st.DataObject, spec: CommandSpec) -> None:
        try:
            body = spec.schema.model_validate(data.draw(_body(spec)))
        except ValidationError:
            return  # refused at the API's edge with a 422; the service never sees it
        method = getattr(self.cases, spec.method)
        self._attempt(lambda: method(self.case_id, **spec.arguments(body), **PEOPLE))

    @rule(later=st.permutations(FORWARD[3:]))
    def the_case_moves_forward(self, later: list[str]) -> None:
        """The next step of the usual journey, so that deep states are reached too."""
        case = self.cases.get_case(self.case_id)
        plan = case["plan"] or {}
        steps = (["reopen_case"] if case["status"] == "closed" else
                 ["record_diagnosis"] if not case["diagnosis"] else
                 ["draft_plan"] if not plan else
                 ["agree_plan"] if plan.get("status") != "agreed" else later)
        for method in steps:
            spec = next(s for s in COMMANDS if s.method == method)
            body = spec.schema.model_validate(_example(spec))
            command = getattr(self.cases, method)
            try:
                command(self.case_id, **spec.arguments(body), **PEOPLE)
                return
            except DomainError:
                continue

    @rule(kind=st.sampled_from(["escalate", "propose", "reminder", "remind of proposal",
                                "propose joint meeting"]))
    def automation_acts(self, kind: str) -> None:
        self.keys += 1
        key = f"key-{self.keys}"
        calls = {
            "escalate": lambda: self.cases.escalate(self.case_id, reason="overdue",
                                                    escalation_key=key),
            "propose": lambda: self.cases.propose_escalation(self.case_id, reason="overdue",
                                                             proposal_key=key),
            "reminder": lambda: self.cases.issue_reminder(
                self.case_id, deadline="diagnosis", recipient="cora", reminder_key=key),
            "remind of proposal": lambda: self.cases.remind_of_proposal(
                self.case_id, recipient="cora", reminder_key=key),
            "propose joint meeting": lambda: self.cases.propose_joint_meeting(
                self.case_id, reason="stuck at local", proposal_key=key),
        }
        self._attempt(calls[kind])

    @rule(hours=st.sampled_from([1, 20, 24 * 3, 24 * 40]))
    def time_passes(self, hours: int) -> None:
        self.clock[0] += timedelta(hours=hours)

    @invariant()
    def rebuilt_from_its_events_it_is_the_live_case(self) -> None:
        live = self.cases.get_case(self.case_id)
        rebuilt = mutate_each(None, self.cases.events.get(self.case_id))
        assert case_view(rebuilt) == live
        assert rebuilt.version == len(list(self.cases.events.get(self.case_id)))

    @invariant()
    def the_lifecycles_rules_hold(self) -> None:
        case = self.cases.get_case(self.case_id)
        assert case["stage"] in LADDER
        assert not set(case["deadlines"]) & set(case["paused_deadlines"])
        if case["status"] == "closed":
            # its one deadline left, if any, is the follow-up review of an improved closure
            assert set(case["deadlines"]) <= {"follow-up review"}
            assert case["pending_escalation"] is None
            if case["deadlines"]:
                assert case["closure"]["outcome"] == "improved and handed back"
        if (case["plan"] or {}).get("status") == "agreed":
            assert case["diagnosis"]
        if case["deployments"] or case["commissions"]:
            assert case["plan"], "support or a peer before any plan"
        for event in self.cases.history(self.case_id):
            if event["type"] == "StageChanged":
                moved = LADDER.index(event["data"]["to_stage"]) - LADDER.index(
                    event["data"]["from_stage"])
                red_flag_route = moved == 2 and case["red_flag"] is not None
                assert abs(moved) == 1 or red_flag_route, event
                if event["data"]["to_stage"] == "government meeting":
                    assert event["data"]["trigger"] == "person", event


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_any_sequence_of_case_commands_keeps_the_case_whole(settings):
    clock = [START]
    service = CaseService(settings.eventsourcing_env(), clock=lambda: clock[0])
    service.people = _person  # the bodies' examples name carl and ines
    CaseMachine.cases, CaseMachine.clock = service, clock
    try:
        run_state_machine_as_test(CaseMachine, settings=_settings)
    finally:
        service.close()


_DIRECTORY = {"carl": Person("carl", "coordinator", OPEN_CASE["region"], active=True),
              "ines": Person("ines", "inspector", active=True),
              "cora": Person("cora", "coordinator", OPEN_CASE["region"],
                             active=True)}


def _person(username: str) -> Person:
    return _DIRECTORY.get(username) or Person.unknown(username)


_settings = settings(max_examples=60, stateful_step_count=40, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck))


def test_the_machine_covers_every_command_the_api_offers():
    offered = {spec.method for spec in COMMANDS if hasattr(CaseService, spec.method)}
    assert offered == {spec.method for spec in COMMANDS}
    assert set(FORWARD) <= offered
