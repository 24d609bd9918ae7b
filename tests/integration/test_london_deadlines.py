"""A case opened late on a Thursday night (UTC) in summer counts London's Friday."""

from datetime import UTC, datetime, timedelta

from domain.calendar import LONDON, PolicyDuration
from services.cases.service import CaseService
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
FRIDAY_EARLY_BST = datetime(2026, 7, 2, 23, 30, tzinfo=UTC)  # Friday 3 July, 00:30 in London


def test_one_working_day_from_friday_half_past_midnight_is_monday_and_a_pause_costs_work(
        settings):
    now = [FRIDAY_EARLY_BST]
    cases = CaseService(settings.eventsourcing_env(), clock=lambda: now[0],
                        diagnosis_deadline=PolicyDuration.parse("1"))
    try:
        case_id = cases.open_case(**OPEN_CASE, **ACTOR)
        due = cases.get_case(case_id)["deadlines"]["diagnosis"]
        assert due.astimezone(LONDON) == datetime(2026, 7, 6, 0, 30, tzinfo=LONDON)

        cases.pause_deadline(case_id, deadline="diagnosis", reason="Purdah", **ACTOR)
        now[0] = FRIDAY_EARLY_BST + timedelta(days=3)  # Monday 00:30: the weekend paused
        cases.resume_deadline(case_id, deadline="diagnosis", reason="Over", **ACTOR)
        moved = cases.get_case(case_id)["deadlines"]["diagnosis"]
        # the pause took Friday's 23.5 working hours and Monday's first half hour
        assert moved.astimezone(LONDON) == datetime(2026, 7, 7, 0, 30, tzinfo=LONDON)
    finally:
        cases.close()
