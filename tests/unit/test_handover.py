"""The rules of handing work on in one decision (domain/handover.py)."""

from uuid import uuid4

import pytest

from domain.errors import InvalidField, RuleViolation
from domain.handover import (
    MAX_HANDOVER,
    check_handover,
    check_may_deactivate,
    check_still_owned_by,
)


def test_a_handover_takes_one_to_the_cap_of_cases_each_named_once():
    ids = [uuid4() for _ in range(MAX_HANDOVER)]
    assert check_handover(ids) == ids
    for wrong, rule in (([], "handover_size"),
                        ([uuid4() for _ in range(MAX_HANDOVER + 1)], "handover_size"),
                        ([ids[0], ids[0]], "handover_case_twice")):
        with pytest.raises(InvalidField) as refused:
            check_handover(wrong)
        assert (refused.value.field, refused.value.rule) == ("case_ids", rule)


def test_a_case_handed_on_as_someones_must_still_be_theirs():
    check_still_owned_by("cora", "cora")
    check_still_owned_by("carl", None)
    with pytest.raises(RuleViolation) as refused:
        check_still_owned_by("carl", "cora")
    assert refused.value.rule == "handover_owner_changed"


def test_no_one_owning_open_cases_is_deactivated_without_a_successor():
    check_may_deactivate(0, None)
    check_may_deactivate(3, "carl")
    with pytest.raises(RuleViolation) as refused:
        check_may_deactivate(3, None)
    assert refused.value.rule == "successor_required" and "3 open cases" in str(refused.value)
