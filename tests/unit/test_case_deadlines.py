"""Deadlines from policy in working days; a risk of 9 compresses them; pauses keep time used."""

from datetime import UTC, datetime, timedelta

from domain.calendar import PolicyDuration
from domain.deadlines import DeadlinePolicy, compress
from tests.unit.case_builder import ACTOR, COUNCIL, NOW, agreed, diagnosed, opened

POLICY = DeadlinePolicy()  # 10, 20, 30 and 5 working days


def at(day: int, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def assess(case, impact="high", likelihood="high", kind="inherent", when=NOW):
    case.assess_risk(kind=kind, impact=impact, likelihood=likelihood, reason="Inspection",
                     recorded_at=when, **ACTOR, policy=POLICY)


def test_a_diagnosis_starts_the_clock_for_an_agreed_plan_in_working_days():
    case = diagnosed(opened())
    assert "diagnosis" not in case.deadlines
    assert case.deadlines["plan agreed"] == at(21)  # 20 working days from Monday 23 November


def test_an_agreed_plan_meets_its_deadline_and_sets_the_first_review_past_christmas():
    case = agreed()
    assert "plan agreed" not in case.deadlines
    # 30 working days, skipping Christmas Day, Boxing Day (observed 28th) and New Year's Day
    assert case.deadlines["next review"] == at(7, 1, 2027)


def test_a_review_sets_the_next_review_date_it_names():
    case = agreed()
    case.review_progress(measures={"Director in post": "on track",
                                   "Caseloads under 20": "off track"},
                         judgement="no change", reason="Caseloads still high",
                         next_review_due=at(1, 2, 2027), recorded_at=NOW, **ACTOR)
    assert case.deadlines["next review"] == at(1, 2, 2027)
    assert case.reviews[-1]["measures"]["Caseloads under 20"] == "off track"


def test_a_government_meeting_summary_is_due_five_working_days_after_it_meets():
    from tests.unit.test_case_rules import at_government_meeting

    case = at_government_meeting()
    case.convene_government_meeting(attendees=["leader"], meeting_at=at(18), reason="r",
                                    recorded_at=NOW, **ACTOR, policy=POLICY)
    assert case.deadlines["meeting summary"] == at(29)  # over Christmas and Boxing Day
    case.conclude_government_meeting(outcome="sector-led approach agreed", summary="s",
                                     reason="r", recorded_at=at(21), **ACTOR)
    assert "meeting summary" not in case.deadlines


def test_compression_halves_working_days_rounding_up_and_never_below_one():
    assert compress(PolicyDuration(working_days=10)) == PolicyDuration(working_days=5)
    assert compress(PolicyDuration(working_days=5)) == PolicyDuration(working_days=3)
    assert compress(PolicyDuration(working_days=1)) == PolicyDuration(working_days=1)
    assert compress(PolicyDuration(elapsed=timedelta(seconds=8))) == PolicyDuration(
        elapsed=timedelta(seconds=4))


def test_a_risk_of_nine_brings_the_open_diagnosis_deadline_forward():
    case = opened(diagnosis_due=POLICY.due("diagnosis", NOW))
    assert case.deadlines["diagnosis"] == at(7)
    assess(case, when=NOW + timedelta(hours=1))
    assert case.deadlines["diagnosis"] == at(30, 11)  # 5 working days from the concern
    assert case.risk["inherent"]["score"] == 9


def test_a_risk_of_nine_compresses_the_deadlines_set_after_it():
    case = opened()
    assess(case)
    diagnosed(case)
    assert case.deadlines["plan agreed"] == at(7)  # 10 working days, not 20


def test_a_lower_risk_leaves_the_timetable_alone():
    case = opened(diagnosis_due=POLICY.due("diagnosis", NOW))
    assess(case, impact="high", likelihood="medium")
    assert case.deadlines["diagnosis"] == at(7)
    assert case.risk["inherent"]["band"] == "key risk"


def test_inherent_and_residual_risk_are_kept_apart():
    case = opened()
    assess(case)
    assess(case, impact="medium", likelihood="low", kind="residual")
    assert case.risk["inherent"]["score"] == 9 and case.risk["residual"]["score"] == 4
    assert case.risk_score == 4


def test_a_paused_deadline_keeps_the_time_already_used():
    case = opened(diagnosis_due=at(7))
    case.pause_deadline(deadline="diagnosis", reason="Council in purdah",
                        recorded_at=at(1), **ACTOR)
    assert "diagnosis" not in case.deadlines
    assert case.paused_deadlines["diagnosis"]["due"] == at(7)
    assert case.issue_reminder(deadline="diagnosis", recipient="o", reminder_key="k",
                               actor_id="wf") is False
    case.resume_deadline(deadline="diagnosis", reason="Election over",
                         recorded_at=at(4) + timedelta(hours=3), **ACTOR)
    assert case.deadlines["diagnosis"] == at(10) + timedelta(hours=3)
    assert case.paused_deadlines == {}


def test_only_a_running_deadline_pauses_and_only_a_paused_one_resumes():
    from tests.unit.test_case_rules import refused

    case = opened()
    assert refused(case, "pause_deadline", deadline="plan agreed", reason="r",
                   recorded_at=NOW, **ACTOR) == "deadline_not_running"
    assert refused(case, "resume_deadline", deadline="diagnosis", reason="r",
                   recorded_at=NOW, **ACTOR) == "deadline_not_paused"


def test_a_plan_agreed_while_the_review_clock_is_paused_does_not_restart_it():
    case = agreed()
    case.pause_deadline(deadline="next review", reason="r", recorded_at=NOW, **ACTOR)
    case.revise_plan(actions=case.plan["actions"], reason="r", recorded_at=NOW, **ACTOR)
    case.agree_plan(reason="again", recorded_at=NOW, **COUNCIL)
    assert "next review" not in case.deadlines and "next review" in case.paused_deadlines
