"""The escalation timetable: pure rules, no clocks or stores."""

from datetime import UTC, datetime, timedelta, timezone

from domain.calendar import PolicyDuration
from domain.policy import EscalationPolicy
from domain.timetable import CaseFacts, timetable

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
DUE = T0 + timedelta(days=14)
POLICY = EscalationPolicy(remind_before=PolicyDuration(working_days=2),
                          remind_every=PolicyDuration(working_days=1), missed_reminder_limit=2)


def facts(**changes) -> CaseFacts:
    base = dict(status="open", stage="local", deadlines={"diagnosis": DUE},
                recorded=frozenset(), since=T0, started={"diagnosis": T0})
    return CaseFacts(**{**base, **changes})


def test_a_deadline_gives_a_notice_reminders_once_missed_then_an_escalation():
    steps = timetable(facts(), POLICY, T0)
    assert [s.action for s in steps] == ["remind", "remind", "remind", "escalate"]
    assert steps[0].at == DUE - timedelta(days=4)  # two working days before a Monday: Thursday
    assert steps[-1].to_stage == "RIEP"


def test_nothing_is_escalated_past_the_government_meeting():
    steps = timetable(facts(stage="government meeting"), POLICY, T0)
    assert "escalate" not in [s.action for s in steps]


def test_without_the_councils_agreement_the_case_is_not_escalated_from_local():
    steps = timetable(facts(escalation_allowed=False), POLICY, T0)
    assert [s.action for s in steps] == ["remind", "remind", "remind"]


def test_a_step_already_recorded_is_never_due_again():
    first = timetable(facts(), POLICY, T0)[0]
    assert first.key not in [s.key for s in timetable(facts(recorded={first.key}), POLICY, T0)]


def test_a_met_deadline_and_a_closed_case_have_nothing_due():
    assert timetable(facts(deadlines={}), POLICY, T0) == []
    assert timetable(facts(status="closed"), POLICY, T0) == []
