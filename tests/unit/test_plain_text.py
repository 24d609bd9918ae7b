"""The case refuses control characters in every event it records, whichever command."""

import pytest

from domain.errors import InvalidField
from domain.text import RULE, control_character
from tests.unit.case_builder import ACTIONS, ACTOR, NOW, diagnosed, opened


@pytest.mark.parametrize("field", ["authority", "region", "summary"])
def test_a_concern_with_a_nul_is_refused_naming_the_field(field):
    with pytest.raises(InvalidField) as refused:
        opened(**{field: "Northshire\x00"})
    assert (refused.value.field, refused.value.rule) == (field, RULE)


def test_a_nested_text_is_refused_where_it_sits_and_nothing_is_recorded():
    case = diagnosed()
    version = case.version
    actions = [dict(ACTIONS[0], owner="Chief\x1bexecutive")]
    with pytest.raises(InvalidField) as refused:
        case.draft_plan(summary="Stabilise", actions=actions, adviser_id="adam",
                        recorded_at=NOW, **ACTOR)
    assert refused.value.field == "actions[0].owner"
    assert case.version == version and not case.collect_events()[version:]


def test_tabs_and_line_breaks_are_plain_text_in_multi_line_fields_only():
    assert control_character("one\n\ttwo\r\n") is None
    assert control_character("one\ntwo", multiline=False) == "U+000A"
    assert control_character("x\x7f") == "U+007F" and control_character("x\x9b") == "U+009B"
    assert opened(summary="Line one\nLine two").summary == "Line one\nLine two"
