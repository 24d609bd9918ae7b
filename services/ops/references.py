"""Giving every case from before references its reference (`casework give-references`).

Cases are taken in the order they were raised, and each is given the next number of
its region for the UK year it was raised, by a recorded `ReferenceGiven`: history is
never rewritten. A case that has a reference is passed over, so the command can be
stopped and run again, and a second run gives nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from domain.case import AUTOMATION
from services.cases.service import CaseHistoryBroken, CaseService

GIVER = "give-references"
"""The actor id the references given are recorded with."""


@dataclass
class Given:
    """What a run did: references given, cases that had one, cases whose history fails."""

    given: int = 0
    had_one: int = 0
    broken: list[UUID] = field(default_factory=list)


def give_references(cases: CaseService, *,
                    progress: Callable[[int, int], None] = lambda done, total: None,
                    every: int = 100) -> Given:
    """Give each case without a reference one, in raised order; `progress(done, total)`
    is told every `every` cases and at the end."""
    ids = cases.case_ids()
    outcome = Given()
    for done, case_id in enumerate(ids, start=1):
        try:
            reference = cases.give_reference(case_id, actor_id=GIVER, actor_role=AUTOMATION)
        except CaseHistoryBroken:  # verify it (`casework verify`); the others carry on
            outcome.broken.append(case_id)
        else:
            if reference is None:
                outcome.had_one += 1
            else:
                outcome.given += 1
        if done % every == 0 or done == len(ids):
            progress(done, len(ids))
    return outcome
