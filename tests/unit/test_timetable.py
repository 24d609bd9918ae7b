"""The escalation timetable: pure rules, no clocks or stores."""

from datetime import UTC, datetime, timedelta

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


def test_without_the_councils_agreement_a_case_at_local_gets_a_joint_meeting_proposed():
    steps = timetable(facts(escalation_allowed=False), POLICY, T0)
    assert [s.action for s in steps] == ["remind", "remind", "remind",
                                         "propose joint local meeting"]
    assert steps[-1].recipient == "RIEP coordinator" and steps[-1].to_stage is None


def test_with_a_joint_meeting_proposed_none_is_proposed_again():
    proposed = facts(escalation_allowed=False, joint_meeting_proposed_at=DUE)
    assert "propose joint local meeting" not in [
        s.action for s in timetable(proposed, POLICY, T0)]


def test_a_proposed_joint_meeting_reminds_at_every_interval_until_held_or_declined():
    proposed_at = T0 + timedelta(hours=1)
    waiting = facts(deadlines={}, escalation_allowed=False, joint_meeting_proposed_at=proposed_at)
    first = timetable(waiting, POLICY, T0 + timedelta(hours=2))
    assert [(s.action, s.at) for s in first] == [
        ("remind of joint local meeting", proposed_at + timedelta(days=1))]
    # weeks on, past any reminder limit, the latest one now due and the next are planned
    later = T0 + timedelta(days=30)
    keys_later = timetable(waiting, POLICY, later)
    assert [s.action for s in keys_later] == ["remind of joint local meeting"] * 2
    assert keys_later[0].at <= later < keys_later[1].at
    recorded = facts(deadlines={}, escalation_allowed=False,
                     joint_meeting_proposed_at=proposed_at,
                     recorded=frozenset({keys_later[0].key}))
    assert [s.key for s in timetable(recorded, POLICY, later)] == [keys_later[1].key]
    assert timetable(facts(deadlines={}, escalation_allowed=False), POLICY, later) == []


def test_a_proposed_joint_meeting_reminds_in_elapsed_time_too():
    policy = EscalationPolicy(remind_every=PolicyDuration(elapsed=timedelta(seconds=10)))
    waiting = facts(deadlines={}, joint_meeting_proposed_at=T0)
    steps = timetable(waiting, policy, T0 + timedelta(seconds=25))
    assert [s.at for s in steps] == [T0 + timedelta(seconds=20), T0 + timedelta(seconds=30)]


def test_automation_only_proposes_the_move_to_a_government_meeting_whatever_the_mode():
    automatic = EscalationPolicy(remind_before=POLICY.remind_before,
                                 remind_every=POLICY.remind_every, missed_reminder_limit=2,
                                 escalation="automatic")
    at_riep = timetable(facts(stage="RIEP"), automatic, T0)[-1]
    assert (at_riep.action, at_riep.to_stage) == ("propose escalation", "government meeting")
    red_flagged = timetable(facts(up_to="government meeting"), automatic, T0)[-1]
    assert (red_flagged.action, red_flagged.to_stage) == ("propose escalation",
                                                          "government meeting")
    to_riep = timetable(facts(), automatic, T0)[-1]
    assert (to_riep.action, to_riep.to_stage) == ("escalate", "RIEP")


def test_a_step_already_recorded_is_never_due_again():
    first = timetable(facts(), POLICY, T0)[0]
    assert first.key not in [s.key for s in timetable(facts(recorded={first.key}), POLICY, T0)]


def test_a_met_deadline_and_a_closed_case_have_nothing_due():
    assert timetable(facts(deadlines={}), POLICY, T0) == []
    assert timetable(facts(status="closed"), POLICY, T0) == []
