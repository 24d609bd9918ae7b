"""The retention schedule as docs/records.md states it: periods on the calendar, the
longest rule that applies, a schedule that cannot be read refused naming its setting,
and a disposal refused by rule, its reason kept as plain text."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.errors import DomainError
from domain.retention import DisposalCandidate, RetentionSchedule, check_disposal
from services.platform.settings import Settings

CLOSED = datetime(2024, 2, 29, 12, tzinfo=UTC)


def closed(region: str = "North West", outcome: str | None = "improved and handed back",
           at: datetime = CLOSED) -> DisposalCandidate:
    return DisposalCandidate("closed", region, outcome, at)


def test_a_case_closed_on_29_february_is_kept_until_28_february_six_years_on():
    rule = RetentionSchedule().rule_for(region="North West", outcome=None, closed_at=CLOSED)
    assert rule.disposal_allowed_from(CLOSED) == datetime(2030, 2, 28, 12, tzinfo=UTC)
    assert rule.name == "kept 6 years after closure (every case)"


def test_where_more_than_one_rule_applies_the_longest_keeps_the_case():
    schedule = RetentionSchedule.parse(
        "P6Y", by_region="London=P7Y, North West=P4Y",
        by_outcome="government intervention=P10Y")
    longest = {(region, outcome): schedule.rule_for(region=region, outcome=outcome,
                                                    closed_at=CLOSED).name
               for region in ("London", "North West")
               for outcome in ("improved and handed back", "government intervention")}
    assert longest == {
        ("London", "improved and handed back"): "kept 7 years after closure (cases in London)",
        ("London", "government intervention"):
            "kept 10 years after closure (closed as government intervention)",
        # a region kept for less never shortens the six years every case is kept
        ("North West", "improved and handed back"): "kept 6 years after closure (every case)",
        ("North West", "government intervention"):
            "kept 10 years after closure (closed as government intervention)"}
    assert "Where more than one of these applies, the longest does." in schedule.in_words()


@pytest.mark.parametrize("setting, value, words", [
    ("retention_case", "six years", "retention_case must be an ISO-8601 duration"),
    ("retention_case", "P0Y", "retention_case must be longer than no time at all"),
    ("retention_by_region", "Narnia=P7Y", "names 'Narnia', which is not a region"),
    ("retention_by_outcome", "government intervention", "must read like"),
])
def test_a_schedule_that_cannot_be_read_is_refused_naming_its_setting(tmp_path, setting,
                                                                      value, words):
    with pytest.raises(ValidationError) as refused:
        Settings(data_dir=tmp_path, **{setting: value})
    assert setting in str(refused.value) and words in str(refused.value)


SIX_YEARS_ON = datetime(2030, 2, 28, 12, tzinfo=UTC)


@pytest.mark.parametrize("case, by_admin, reason, now, rule, field", [
    (closed(), False, "Kept six years", SIX_YEARS_ON, "only_an_administrator_disposes",
     "role"),
    (DisposalCandidate("open", "North West", None, None), True, "Kept six years",
     SIX_YEARS_ON, "case_still_open", "status"),
    (closed(), True, "Kept six years", SIX_YEARS_ON - timedelta(seconds=1),
     "retention_not_over", "closed_at"),
    (closed(), True, " ", SIX_YEARS_ON, "reason_needed", "reason"),
    (closed(), True, "x" * 2001, SIX_YEARS_ON, "reason_too_long", "reason"),
    (closed(), True, "Kept\x07 six years", SIX_YEARS_ON, "no_control_characters", "reason"),
    (closed(), True, "Kept \u202esix years", SIX_YEARS_ON, "no_bidi_controls", "reason"),
    (closed(), True, "\u200b\u200b", SIX_YEARS_ON, "no_invisible_only_text", "reason"),
])
def test_a_disposal_the_rules_do_not_allow_is_refused_naming_the_rule(case, by_admin, reason,
                                                                      now, rule, field):
    with pytest.raises(DomainError) as refused:
        check_disposal(RetentionSchedule(), case, by_admin=by_admin, reason=reason, now=now)
    assert (refused.value.rule, refused.value.field) == (rule, field)


def test_a_disposal_the_schedule_allows_names_the_rule_applied():
    rule = check_disposal(RetentionSchedule(), closed(), by_admin=True,
                          reason="Kept six years;\nno inquiry open", now=SIX_YEARS_ON)
    assert rule.name == "kept 6 years after closure (every case)"
