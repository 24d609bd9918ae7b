"""Redacting one field of one event, or one document: the rules in domain/, without I/O."""

from datetime import UTC, datetime

import pytest

from domain.case.redaction import NOT_PRESENT, redaction_note
from domain.documents import StoredFile
from domain.errors import InvalidField, RuleViolation
from domain.identity import PERMISSIONS, Principal, Role, may
from tests.unit.case_builder import ACTOR, NOW, diagnosed

ADMIN = dict(actor_id="ada", actor_role="admin")
LATER = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


def redact(case, **given):
    asked = dict(version=2, field="summary", event_type="DiagnosisRecorded",
                 value="Weak leadership", reason="A data subject's request",
                 recorded_at=LATER, **ADMIN)
    asked.update(given)
    return case.redact_field(**asked)


def test_a_field_is_redacted_with_its_reason_and_the_note_shown_in_its_place():
    case = diagnosed()
    note = redact(case)
    assert note == "redacted on 5 December 2026: A data subject's request"
    assert case.field_redaction(2, "summary")["redacted_by"] == "ada"
    event = case.collect_events()[-1]
    assert (type(event).__name__, event.version, event.field) == ("FieldRedacted", 2, "summary")


@pytest.mark.parametrize("given, field, rule", [
    (dict(reason="  "), "reason", "redaction_needs_reason"),
    (dict(reason=None), "reason", "redaction_needs_reason"),
    (dict(field=""), "field", "never_a_whole_event"),
    (dict(field=None), "field", "never_a_whole_event"),
    (dict(value=NOT_PRESENT, field="summery"), "field", "field_must_exist"),
    (dict(version=9, event_type=None), "version", "event_must_exist"),
    (dict(version=0), "version", "event_must_exist"),
    (dict(field="recorded_at", value="2026-11-23T09:00:00+00:00"), "field", "text_fields_only"),
    (dict(field="problem_natures", value=["capability"]), "field", "text_fields_only"),
    (dict(version=1, event_type="ConcernRaised", field="authority", value="Northshire"),
     "field", "text_fields_only"),
    (dict(version=1, event_type="ConcernRaised", field="source", value="inspection"),
     "field", "text_fields_only"),
    (dict(event_type="FieldRedacted", field="reason", value="x"), "version",
     "redactions_stay_on_the_record"),
])
def test_a_redaction_that_breaks_a_rule_is_refused_naming_the_field_and_the_rule(
        given, field, rule):
    case = diagnosed()
    case.collect_events()
    with pytest.raises(InvalidField) as refused:
        redact(case, **given)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert case.collect_events() == []


def test_a_field_not_text_says_so_in_the_problem():
    with pytest.raises(InvalidField) as refused:
        redact(diagnosed(), field="recorded_at", value="2026")
    assert "only text fields" in refused.value.message


def test_a_field_is_redacted_once():
    case = diagnosed()
    redact(case)
    with pytest.raises(RuleViolation) as refused:
        redact(case)
    assert refused.value.rule == "already_redacted"


def test_a_document_is_redacted_keeping_its_hash_and_once_only():
    case = diagnosed()
    case.attach_document(title="Wrong case letter", kind="letter", step="the case as a whole", step_ref="",
                         confidentiality="normal",
                         stored=StoredFile("ab" * 32, 10, "application/pdf", "a.pdf"),
                         recorded_at=NOW, **ACTOR)
    note = case.redact_document(document_id="document-1", reason="Attached to the wrong case",
                                recorded_at=LATER, **ADMIN)
    document = case.document("document-1")
    assert document["sha256"] == "ab" * 32 and document["redacted"]["note"] == note
    with pytest.raises(RuleViolation):
        case.redact_document(document_id="document-1", reason="again", recorded_at=LATER,
                             **ADMIN)
    with pytest.raises(InvalidField) as refused:
        case.redact_document(document_id="document-9", reason="x", recorded_at=LATER, **ADMIN)
    assert (refused.value.field, refused.value.rule) == ("document_id",
                                                         "document_must_be_attached")


def test_only_administrators_redact_or_find_what_names_a_person():
    for action in ("redact records", "find records naming a person"):
        assert PERMISSIONS[action] == {Role.ADMIN}
        assert may(Principal("ada", Role.ADMIN), action)
        assert not may(Principal("cora", Role.COORDINATOR, region="North West"), action)


def test_the_note_gives_the_day_and_the_reason():
    assert redaction_note(datetime(2027, 1, 9, tzinfo=UTC), "why") == "redacted on 9 January 2027: why"


def test_the_note_gives_the_day_in_london():
    late_in_june = datetime(2027, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    assert redaction_note(late_in_june, "why") == "redacted on 1 July 2027: why"
