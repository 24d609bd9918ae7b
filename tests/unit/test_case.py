from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.case import Case
from domain.errors import InvalidField, RuleViolation
from tests.helpers import OPEN_CASE

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def raise_concern(**overrides):
    fields = dict(OPEN_CASE, raised_at=NOW, diagnosis_due=NOW + timedelta(days=10),
                  actor_id="coordinator-1", actor_role="coordinator")
    fields.update(overrides)
    return Case.raise_concern(**fields)


def test_a_concern_opens_a_case_at_the_local_stage_with_a_diagnosis_deadline():
    case = raise_concern()
    assert case.stage == "local"
    assert case.deadlines == {"diagnosis": NOW + timedelta(days=10)}
    assert [type(e).__name__ for e in case.collect_events()] == ["ConcernRaised"]


def test_a_case_keeps_the_id_its_services_chose_for_it_else_gets_a_new_one():
    chosen = uuid4()
    assert raise_concern(case_id=chosen).id == chosen
    assert raise_concern().id not in (chosen, raise_concern().id)


@pytest.mark.parametrize("field", ["authority", "summary", "region"])
@pytest.mark.parametrize("value", ["", "   ", None])
def test_a_case_without_required_text_is_refused_naming_the_field(field, value):
    with pytest.raises(InvalidField) as refused:
        raise_concern(**{field: value})
    assert refused.value.field == field


def test_a_concern_from_an_unknown_source_is_refused_with_the_allowed_sources():
    with pytest.raises(InvalidField) as refused:
        raise_concern(source="a newspaper")
    assert refused.value.field == "source"
    assert "inspectorate report" in refused.value.message


def test_a_diagnosis_deadline_before_the_concern_is_refused():
    with pytest.raises(InvalidField) as refused:
        raise_concern(diagnosis_due=NOW - timedelta(seconds=1))
    assert refused.value.field == "diagnosis_due"


def test_a_reminder_is_recorded_once_per_key():
    case = raise_concern()
    reminder = dict(deadline="diagnosis", recipient="owner", reminder_key="d:1", actor_id="wf")
    assert case.issue_reminder(**reminder) is True
    assert case.issue_reminder(**reminder) is False
    assert [type(e).__name__ for e in case.collect_events()] == ["ConcernRaised", "ReminderIssued"]


def test_no_reminder_once_the_diagnosis_is_recorded():
    case = raise_concern()
    case.record_diagnosis(summary="capacity", recorded_at=NOW, actor_id="c", actor_role="coordinator")
    assert case.issue_reminder(deadline="diagnosis", recipient="o", reminder_key="k", actor_id="wf") is False
    assert "diagnosis" not in case.deadlines


def test_a_second_diagnosis_is_refused_by_rule():
    case = raise_concern()
    case.record_diagnosis(summary="one", recorded_at=NOW, actor_id="c", actor_role="coordinator")
    with pytest.raises(RuleViolation) as refused:
        case.record_diagnosis(summary="two", recorded_at=NOW, actor_id="c", actor_role="coordinator")
    assert refused.value.rule == "one_diagnosis"


def test_reminder_keys_of_a_met_deadline_are_forgotten_but_still_counted():
    case = raise_concern()
    for n in range(3):
        case.issue_reminder(deadline="diagnosis", recipient="o", reminder_key=f"diagnosis:due:{n}",
                            actor_id="wf")
    case.record_diagnosis(summary="capacity", recorded_at=NOW, actor_id="c", actor_role="coordinator")
    assert case.reminders == [] and case.reminders_issued == 3
