"""The domain's own checks hold every date to casework's span, whatever path it came by."""

from datetime import date, datetime

import pytest

from domain.authorities import Authority, check_registered
from domain.errors import DomainError, InvalidField
from domain.identity import User
from tests.unit.case_builder import ACTIONS, ACTOR, NOW, diagnosed, opened


@pytest.mark.parametrize("due, rule", [
    (datetime(9999, 12, 31, 23, 0, tzinfo=NOW.tzinfo), "date_out_of_range"),
    (datetime(2027, 1, 1, 12, 0), "timezone_required"),
    ("2027-01-01T12:00:00Z", "timezone_required"),
])
def test_a_case_refuses_a_diagnosis_due_outside_the_span_or_without_a_zone(due, rule):
    with pytest.raises(InvalidField) as refused:
        opened(diagnosis_due=due)
    assert (refused.value.field, refused.value.rule) == ("diagnosis_due", rule)


def test_a_plan_action_due_in_the_year_9999_is_refused():
    case = diagnosed()
    with pytest.raises(InvalidField) as refused:
        case.draft_plan(summary="s", actions=[{**ACTIONS[0], "due": "9999-12-31"}],
                        adviser_id="adviser-1", recorded_at=NOW, **ACTOR)
    assert refused.value.rule == "date_out_of_range"
    assert refused.value.field == "actions[0].due"


def test_a_plan_action_due_given_as_a_number_is_refused():
    case = diagnosed()
    with pytest.raises(DomainError) as refused:
        case.draft_plan(summary="s", actions=[{**ACTIONS[0], "due": 20270101}],
                        adviser_id="adviser-1", recorded_at=NOW, **ACTOR)
    assert refused.value.field == "actions[0].due"


@pytest.mark.parametrize("on", [date(9999, 1, 1), "9999-01-01", 0])
def test_an_authoritys_dates_stay_in_the_span(on):
    authority = Authority.register(actor_id="a", name="Northshire County Council",
                                   authority_type="county", region="North West")
    with pytest.raises(InvalidField):
        authority.record_self_evaluation(on=on, actor_id="a")


def test_a_user_names_one_of_the_nine_regions():
    with pytest.raises(InvalidField) as refused:
        User.register(username="rex", name="", role="coordinator", region="Atlantis",
                      authority=None)
    assert refused.value.field == "region" and "North West" in refused.value.message


def test_a_council_must_be_registered_and_in_the_region_given():
    with pytest.raises(InvalidField) as refused:
        check_registered("Nowhere", None)
    assert refused.value.rule == "authority_not_registered"
    with pytest.raises(InvalidField) as refused:
        check_registered("Northshire County Council", "North West", region="London")
    assert (refused.value.field, refused.value.rule) == ("region", "region_of_the_authority")
    check_registered("Northshire County Council", "North West", region="North West")
