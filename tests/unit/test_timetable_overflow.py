"""A deadline whose reminders would fall after the year 9999 stops no other reminder."""

from datetime import UTC, datetime, timedelta

from domain.timetable import timetable
from tests.unit.test_timetable import DUE, POLICY, T0, facts


def test_a_deadline_at_the_end_of_the_calendar_leaves_the_others_their_steps():
    far = datetime(9999, 12, 30, 9, 0, tzinfo=UTC)
    steps = timetable(facts(deadlines={"diagnosis": DUE, "next review": far},
                            started={"diagnosis": T0, "next review": T0}), POLICY, T0)
    assert {s.deadline for s in steps} == {"diagnosis"}
    assert len(steps) == 4


def test_a_proposal_reminded_past_the_calendar_stops_nothing_else():
    steps = timetable(facts(proposal_at=datetime.max.replace(tzinfo=UTC) - timedelta(hours=1)),
                      POLICY, T0)
    assert [s.deadline for s in steps] == ["diagnosis"] * 3
