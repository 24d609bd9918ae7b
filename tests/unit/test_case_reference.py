"""A case's reference: its shape, how it is read back, and that a case keeps the one it has."""

from datetime import UTC, datetime

import pytest

from domain.case_reference import CaseReference, region_code
from domain.errors import InvalidField, RuleViolation
from domain.registers import Region
from tests.unit.case_builder import ACTOR, NOW, opened


def test_a_reference_is_the_region_the_year_and_a_number_of_four_digits_or_more():
    assert str(CaseReference("NW", 2026, 42)) == "NW-2026-0042"
    assert str(CaseReference("LN", 2027, 12345)) == "LN-2027-12345"


def test_every_region_has_its_own_two_letters():
    codes = [region_code(region.value) for region in Region]
    assert codes == ["NE", "NW", "YH", "EM", "WM", "EE", "LN", "SE", "SW"]
    assert region_code("Atlantis") == "XX"


def test_the_year_is_the_uk_year_the_case_was_raised():
    new_year_uk = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # GMT: still 2026
    assert CaseReference.numbered("London", new_year_uk, 1) == CaseReference("LN", 2026, 1)
    summer_midnight = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # BST: 1 July, same year
    assert CaseReference.numbered("London", summer_midnight, 7).year == 2026


@pytest.mark.parametrize("typed", ["  nw-2026-0042 ", "NW-2026-0042", "Nw-2026-0042"])
def test_a_reference_is_read_whatever_its_case_and_spaces(typed):
    assert CaseReference.parse(typed) == CaseReference("NW", 2026, 42)
    assert CaseReference.looks_like(typed)


@pytest.mark.parametrize("typed", ["", "0b8f7f1e-2a6c-4f0e-8d8a-1c3e5f7a9b20", "NW-2026-0000",
                                   "NW-2026-42", "NW-26-0042", "NWW-2026-0042",
                                   "NW-2026-1234567890"])
def test_anything_else_is_not_a_reference(typed):
    with pytest.raises(InvalidField) as refused:
        CaseReference.parse(typed)
    assert refused.value.field == "reference"


def test_a_case_opened_with_a_reference_shows_it_in_capitals():
    assert opened(reference="nw-2026-0003").reference == "NW-2026-0003"


def test_a_case_from_before_references_is_given_one_and_keeps_it():
    case = opened()
    assert case.reference == ""
    case.give_reference(reference="NW-2026-0001", recorded_at=NOW, **ACTOR)
    assert case.reference == "NW-2026-0001"
    with pytest.raises(RuleViolation) as refused:
        case.give_reference(reference="NW-2026-0002", recorded_at=NOW, **ACTOR)
    assert refused.value.rule == "one_reference"
    assert case.reference == "NW-2026-0001"


def test_a_case_opened_with_a_reference_refuses_another():
    case = opened(reference="NW-2026-0003")
    with pytest.raises(RuleViolation):
        case.give_reference(reference="NW-2026-0004", recorded_at=NOW, **ACTOR)
