"""Authority duties keep to working days in London, and a duty never done grows late.

Issue 19 found reminders on weekends and bank holidays (8 of 12 schedules), a duty
never done due afresh "today" every day (so never overdue), and the duties list
deciding "today" by the UTC date. Pure domain: dates and moments are given.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.authorities import Authority, authority_duties, duty_reminder_at
from domain.calendar import LONDON, is_working_day, london_date


def test_a_duty_due_on_a_day_off_is_reminded_of_at_nine_on_the_next_working_day():
    cases = {
        date(2027, 6, 30): datetime(2027, 6, 30, 8, tzinfo=UTC),     # a Wednesday, BST
        date(2028, 1, 15): datetime(2028, 1, 17, 9, tzinfo=UTC),     # Saturday: Monday, GMT
        date(2027, 12, 25): datetime(2027, 12, 29, 9, tzinfo=UTC),   # Christmas on a Saturday,
        date(2027, 3, 26): datetime(2027, 3, 30, 8, tzinfo=UTC),     # Good Friday to Tuesday
    }
    for due, reminded in cases.items():
        assert duty_reminder_at(due) == reminded, due


def test_twelve_due_days_of_a_year_all_reminded_on_working_days():
    """The issue tried 12 schedules and 8 fell on a weekend or bank holiday."""
    dues = [date(2027, month, day) for month, day in (
        (1, 1), (2, 27), (3, 26), (4, 3), (5, 3), (5, 29), (8, 28), (8, 30), (9, 11),
        (10, 16), (12, 25), (12, 26))]
    moments = [duty_reminder_at(due) for due in dues]
    assert all(is_working_day(m.astimezone(LONDON).date()) for m in moments)
    assert all(m.astimezone(LONDON).hour == 9 for m in moments)
    assert all(m.date() >= due for m, due in zip(moments, dues, strict=True))


def test_an_overdue_duty_is_reminded_at_once_on_a_working_day_else_on_the_next_one():
    due = date(2026, 12, 2)  # a Wednesday
    friday = datetime(2026, 12, 4, 15, tzinfo=LONDON)
    assert duty_reminder_at(due, now=friday) <= friday  # passed: the caller reminds now
    saturday = datetime(2026, 12, 5, 10, tzinfo=LONDON)
    assert duty_reminder_at(due, now=saturday) == datetime(2026, 12, 7, 9, tzinfo=LONDON)
    boxing_day = datetime(2026, 12, 28, 8, tzinfo=LONDON)  # Monday, the substitute holiday
    assert duty_reminder_at(due, now=boxing_day) == datetime(2026, 12, 29, 9, tzinfo=LONDON)


def test_a_duty_never_done_stays_due_from_the_day_it_first_fell_due_and_grows_late():
    known = date(2026, 11, 2)
    day_late = date(2025, 11, 22)  # its self-evaluation fell due yesterday

    def duties(as_of: date):
        return {d.duty: d for d in authority_duties(
            "Eastshire County Council", "East Midlands", day_late, None, as_of,
            known_since=known)}

    for as_of in (date(2026, 11, 23), date(2026, 11, 24), date(2027, 3, 1)):
        never = duties(as_of)["corporate peer challenge"]
        assert (never.due, never.latest, never.status) == (known, known, "overdue")
    on_the_day = duties(known)["corporate peer challenge"]
    assert on_the_day.status == "due"
    late = duties(date(2026, 11, 23))
    assert late["corporate peer challenge"].due < late["self-evaluation"].due  # listed first


def test_an_authority_knows_the_day_it_was_registered_in_london():
    council = Authority.register(name="Eastshire County Council", authority_type="county",
                                 region="East Midlands", sub_region="Eastshire", actor_id="ada")
    registered = london_date(council.created_on)
    later = registered + timedelta(days=400)
    assert {d.due for d in council.duties(later)} == {registered}
    assert {d.status for d in council.duties(later)} == {"overdue"}


@pytest.mark.parametrize(("done", "duty", "due", "reminder_on"), [
    (date(2024, 2, 29), "self-evaluation", date(2025, 2, 28), date(2025, 2, 28)),
    (date(2024, 2, 29), "corporate peer challenge", date(2027, 2, 28), date(2027, 3, 1)),
    (date(2023, 2, 28), "self-evaluation", date(2024, 2, 28), date(2024, 2, 28)),
])
def test_a_29_february_anniversary_is_28_february_in_a_common_year(done, duty, due,
                                                                   reminder_on):
    found = {d.duty: d for d in authority_duties("Eastshire County Council", "East Midlands",
                                                 done, done, date(2024, 1, 1),
                                                 known_since=date(2020, 1, 1))}[duty]
    assert (found.due, found.reminder_on) == (due, reminder_on)
    if duty == "corporate peer challenge":
        assert found.latest == date(2028, 2, 29)  # a leap year keeps the day itself


def test_the_london_date_is_not_the_utc_date_after_midnight_in_summer():
    assert london_date(datetime(2027, 6, 30, 23, 30, tzinfo=UTC)) == date(2027, 7, 1)
    assert london_date(datetime(2027, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 12, 31)
