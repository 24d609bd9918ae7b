from datetime import UTC, datetime, timedelta

import pytest

from domain.calendar import PolicyDuration, add_working_days, is_working_day
from domain.errors import InvalidField


def test_working_days_skip_weekends():
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert add_working_days(friday, 1) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_working_days_skip_england_and_wales_bank_holidays():
    christmas_eve = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    # 25th (Christmas), 26th-27th (weekend), 28th (Boxing Day observed) are not working days
    assert add_working_days(christmas_eve, 1) == datetime(2026, 12, 29, 9, 0, tzinfo=UTC)
    assert not is_working_day(datetime(2026, 8, 31).date())  # late summer bank holiday


def test_a_policy_duration_is_working_days_or_iso_8601():
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert PolicyDuration.parse("10").due_after(start) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert PolicyDuration.parse("PT30S").due_after(start) == start + timedelta(seconds=30)
    assert PolicyDuration.parse("P1DT2H").due_after(start) == start + timedelta(days=1, hours=2)


@pytest.mark.parametrize("text", ["", "ten", "P", "PT", "30S", "-3"])
def test_a_malformed_policy_duration_is_refused(text):
    with pytest.raises(InvalidField):
        PolicyDuration.parse(text, field="CASEWORK_DIAGNOSIS_DEADLINE")
