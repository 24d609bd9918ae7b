"""The Case's events keep the topics and shapes the store holds them under, and what the
store holds from earlier releases still loads."""

import inspect
import json
import uuid

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate, ProgrammingError
from eventsourcing.utils import get_topic

import domain.case
from domain.case import Case
from tests.unit.every_case_event import (
    STORED,
    as_json,
    from_json,
    replay,
    stored,
    the_documented_case,
    the_local_case,
    the_long_case,
    the_redacted_case,
    the_referenced_case,
    the_requested_case,
)

STORED_NAMES = [
    "AutomatedStepFailed", "CaseClosed", "CaseReassigned", "CaseReopened", "ConcernRaised",
    "ConfidentialAccessGranted", "ConfidentialAccessRevoked", "CouncilAcknowledgedNeed",
    "CouncilDeclinedSupport", "DeadlinePaused", "DeadlineResumed", "DiagnosisRecorded",
    "EscalationConfirmed", "EscalationDeclined", "EscalationProposed", "FollowUpReviewed",
    "GovernmentMeetingConcluded", "GovernmentMeetingConvened", "IntelligenceAdded",
    "JointLocalMeetingHeld", "JointMeetingProposalDeclined", "JointMeetingProposed",
    "JointMeetingSummaryRecorded", "LGAAskedToBroker", "NoticeDelivered", "NoticeFailed",
    "PeerDeployed", "PeerDeploymentEnded", "PeerVisitRecorded", "ProgressReviewed",
    "RedFlagRaised", "ReminderIssued", "RiskAssessed", "StageChanged",
    "SupportCommissionEnded", "SupportCommissioned", "SupportPlanAgreed",
    "SupportPlanDrafted", "SupportPlanReviewed", "SupportPlanRevised",
]
"""Every kind of event the case recorded before it was split into parts."""
LATER_NAMES = ["PlanAgreementRequested", "ReferenceGiven", "DocumentAttached",
               "FieldRedacted", "DocumentRedacted"]
"""Kinds of event added since, each with a stream of its own in the stored streams."""
ALL_NAMES = STORED_NAMES + LATER_NAMES

LATER_FIELDS = {"ConcernRaised": {"owner": None, "reference": ""},
                "SupportCommissioned": {"commission_id": "", "offer_id": "", "days": 0},
                "PeerDeployed": {"registered_peer_id": "", "register_deployment_id": "",
                                 "days": 0}}
"""Fields later releases added to events recorded from the first: each has a default."""
SINCE_THE_FIRST_STREAMS = {"domain.case:Case.ConcernRaised": ["reference"]}
"""Fields added after the first three streams were stored (the fourth has them)."""


def stored_streams() -> list[list[dict]]:
    return json.loads(STORED.read_text())


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_event_keeps_the_topic_it_is_stored_under(name):
    assert get_topic(getattr(Case, name)) == f"domain.case:Case.{name}"


def test_the_case_itself_keeps_its_topic():
    assert get_topic(Case) == "domain.case:Case"


def test_every_event_of_the_parts_is_declared_on_the_case():
    """An event left off Case would be stored under its part's topic; it is refused."""
    parts = [m for _, m in inspect.getmembers(domain.case, inspect.ismodule)
             if m.__name__.startswith("domain.case.")]
    declared = {name for part in parts for name, value in vars(part).items()
                if inspect.isclass(value) and issubclass(value, CanMutateAggregate)
                and value.__module__ == part.__name__}
    assert sorted(declared) == sorted(ALL_NAMES)


def test_an_event_not_declared_on_the_case_is_refused():
    class Stray(Aggregate.Event):
        pass

    case = the_local_case()
    with pytest.raises(ProgrammingError):
        case.trigger_event(Stray)


def test_every_kind_of_stored_event_is_in_the_stored_streams():
    names = {e["topic"] for stream in stored_streams() for e in stream}
    assert names == {f"domain.case:Case.{name}" for name in ALL_NAMES}


def test_events_recorded_now_are_stored_in_the_same_shape():
    """Same topics, same fields in the same order: hash chains and exports see no change."""
    now = [as_json(stored(the_long_case())), as_json(stored(the_local_case())),
           as_json(stored(the_requested_case()))]
    shape = [[(e["topic"], [f for f in e["state"]
                            if f not in SINCE_THE_FIRST_STREAMS.get(e["topic"], [])])
              for e in stream] for stream in now]
    for later in (the_referenced_case, the_documented_case, the_redacted_case):
        shape.append([(e["topic"], list(e["state"])) for e in as_json(stored(later()))])
    assert shape == [[(e["topic"], list(e["state"])) for e in s] for s in stored_streams()]


def test_events_stored_by_the_release_before_the_parts_still_load():
    long, local, requested, referenced, documented, redacted = (
        replay(from_json(stream, uuid.uuid4())) for stream in stored_streams())
    assert (long.status, long.stage, long.owner) == ("open", "RIEP", "olive")
    assert long.closure is None and long.follow_up_reviews[0]["judgement"] == "reopen"
    assert long.agreed_plan is not None and long.agreed_plan["revision"] == 2
    assert long.commissions[0]["commission_id"] == "commission-a"
    assert long.deployments["deployment-1"]["status"] == "ended"
    assert long.red_flag is not None and long.lga_brokering is not None
    assert long.risk_controls["owner"] == "Chief executive"
    assert long.reminders_issued == 3 and long.escalation_keys[-1] == "escalation-1"
    assert long.__dict__["notice_outcomes"] == ["n-1|email|a@example.org",
                                                 "n-2|email|a@example.org"]
    assert local.joint_meetings[0]["outcome"] == "strong local plan"
    assert "next joint meeting" in local.deadlines
    assert requested.agreement_requested["requested_by"] == "coordinator-1"
    assert long.reference == "" and referenced.reference == "NW-2026-0001"
    assert long.documents == () and documented.documents[0]["sha256"] == "5" * 64
    assert redacted.field_redaction(1, "summary")["reason"] == "A data subject's request"
    assert redacted.documents[0]["redacted"]["redacted_by"] == "admin-1"


def test_events_stored_before_their_later_fields_read_with_the_defaults():
    """A stream from before owners and the registers: the events lack those fields."""
    stream = stored_streams()[0]
    for event in stream:
        name = event["topic"].rpartition(".")[2]
        for field in LATER_FIELDS.get(name, {}):
            event["state"].pop(field, None)
        if name == "SupportCommissionEnded":  # named by its place, as then
            event["state"]["commission_id"] = "commission-1"
    events = from_json(stream, uuid.uuid4())

    for event in events:
        for field, default in LATER_FIELDS.get(type(event).__name__, {}).items():
            assert field not in vars(event) and getattr(event, field) == default
    case = replay(events)
    assert case.commissions[0]["commission_id"] == "commission-1"
    assert case.commissions[0]["days"] == 0 and case.commissions[0]["offer_id"] == ""
    assert case.deployments["deployment-1"]["days"] == 0
    assert case.deployments["deployment-1"]["register_deployment_id"] == ""
