"""Working days are London's days, at London's time of day; pauses cost working time.

Properties over any moment from 2020 to 2035 (including every change of the
clocks) and any number of working days, plus the cases people meet.
"""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import (
    LONDON,
    add_working_days,
    add_working_time,
    is_working_day,
    working_time_between,
)
from domain.deadlines import resumed_due
from domain.timetable import working_days_before

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),
                       timezones=st.sampled_from([UTC, LONDON, timezone(timedelta(hours=-5))]))
days = st.integers(min_value=0, max_value=60)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))


def london(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


@settings(max_examples=150, deadline=None)
@given(moments, st.integers(min_value=1, max_value=60))
def test_n_working_days_on_land_on_a_working_day_at_the_same_london_time(start, n):
    due = add_working_days(start, n)
    assert is_working_day(london(due).date())
    assert london(due).time() == london(start).time()
    assert due.tzinfo is start.tzinfo
    assert due > start


@settings(max_examples=100, deadline=None)
@given(moments, days, days)
def test_working_days_add_up(start, m, n):
    assert add_working_days(add_working_days(start, m), n) == add_working_days(start, m + n)


@settings(max_examples=100, deadline=None)
@given(moments, st.integers(min_value=1, max_value=60))
def test_counting_back_finds_a_working_day_that_counts_forward_again(start, n):
    earlier = working_days_before(start, n)
    assert is_working_day(london(earlier).date())
    assert london(earlier).time() == london(start).time()
    if is_working_day(london(start).date()):
        assert add_working_days(earlier, n) == start


@settings(max_examples=100, deadline=None)
@given(moments, spans)
def test_working_time_added_is_working_time_between(start, amount):
    end = add_working_time(start, amount)
    assert end >= start
    assert working_time_between(start, end) == amount


@settings(max_examples=100, deadline=None)
@given(moments, moments, moments)
def test_a_pause_moves_a_deadline_by_the_working_time_it_took(due, paused_at, resumed_at):
    moved = resumed_due(due, paused_at, resumed_at)
    taken = working_time_between(paused_at, resumed_at) if resumed_at > paused_at \
        else timedelta(0)
    assert working_time_between(due, moved) == taken
    assert moved >= due


def test_one_working_day_from_friday_half_past_midnight_bst_is_monday():
    friday = datetime(2026, 7, 3, 0, 30, tzinfo=LONDON)  # 23:30 UTC on Thursday
    monday = datetime(2026, 7, 6, 0, 30, tzinfo=LONDON)
    assert add_working_days(friday, 1) == monday
    assert add_working_days(friday.astimezone(UTC), 1) == monday


def test_a_deadline_keeps_its_local_time_across_the_autumn_clock_change():
    friday_nine_bst = datetime(2026, 10, 23, 9, 0, tzinfo=LONDON)  # clocks go back on the 25th
    due = add_working_days(friday_nine_bst.astimezone(UTC), 1)
    assert london(due) == datetime(2026, 10, 26, 9, 0, tzinfo=LONDON)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # 08:00 UTC would be an hour drift


def test_a_pause_over_a_weekend_does_not_move_the_deadline():
    due = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    friday_night = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # Saturday 00:00
    monday_morning = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert resumed_due(due, friday_night, monday_morning) == due


def test_a_pause_from_friday_evening_to_monday_morning_costs_sixteen_working_hours():
    due = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday noon
    paused = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    resumed = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert resumed_due(due, paused, resumed) == datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    assert resumed_due(due, paused, resumed, working_days=False) == due + (resumed - paused)
