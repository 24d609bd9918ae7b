"""The case refuses what domain/text.py refuses in every event it records, whichever command:
control characters, bidirectional overrides, text made only of invisible characters."""

import pytest

from domain.errors import InvalidField
from domain.text import BIDI_RULE, INVISIBLE_RULE, RULE, control_character, is_blank, text_problem
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


@pytest.mark.parametrize("text, rule", [
    ("Pay \u202eCBA\u202c now", BIDI_RULE),       # right-to-left override (Trojan Source)
    ("\u2067isolated\u2069", BIDI_RULE),           # right-to-left isolate
    ("\u200b", INVISIBLE_RULE),                    # zero-width space
    (" \u200c\u200d \ufeff\u2060 ", INVISIBLE_RULE),  # joiners, BOM, word joiner, spaces
    ("\u00ad", INVISIBLE_RULE),                    # soft hyphen
    ("\u3164\u2800", INVISIBLE_RULE),              # Hangul filler, braille blank
])
def test_a_case_refuses_bidi_overrides_and_text_that_would_look_blank(text, rule):
    with pytest.raises(InvalidField) as refused:
        opened(summary=text)
    assert (refused.value.field, refused.value.rule) == ("summary", rule)


@pytest.mark.parametrize("text", [
    "Caf\u00e9",                                    # plain accented text
    "Mixed \u0645\u062c\u0644\u0633\u200f text",   # a right-to-left mark moves no text
    "Team \U0001f469\u200d\U0001f4bb lead",         # a joiner inside an emoji
    "Al\u00adder\u00adley",                         # soft hyphens inside a word
])
def test_marks_joiners_and_soft_hyphens_inside_visible_text_are_plain(text):
    assert text_problem(text, "summary") is None
    assert opened(summary=text).summary == text


def test_blank_means_nothing_would_show():
    assert is_blank("") and is_blank(" \t\n") and is_blank("\u200b\ufeff \u00ad")
    assert not is_blank("\u200bx")
    assert text_problem("   ", "summary") is None  # left to the field's own blank rule
