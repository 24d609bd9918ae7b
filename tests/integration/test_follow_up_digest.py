"""A closed case's follow-up review is in the morning digest of those who chose it."""

from datetime import timedelta

from services.reminders.digest import MorningDigest
from tests.helpers import EXIT_STRATEGY, OPEN_CASE
from tests.integration.escalation_support import ACTOR, fast_policy

CORA = {"username": ACTOR["actor_id"],  # who opened, and so owns, the case "role": "coordinator", "region": REGION, "digest": True,
        "active": True, "email": "cora@riep.example"}


def test_the_digest_lists_a_closed_cases_follow_up_review(cases, policies):
    fast_policy(policies, follow_up_review="PT3600S")
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.close_case(case_id, outcome="improved and handed back", exit_strategy=EXIT_STRATEGY,
                     **ACTOR)
    digest = MorningDigest(cases, lambda: [CORA], email=None)  # type: ignore[arg-type]
    [item] = digest.items_for(CORA, digest._open_cases(), cases.clock() + timedelta(hours=2))
    assert item.deadline == "follow-up review" and item.authority == OPEN_CASE["authority"]
    assert "the twelve-month follow-up review, due by" in item.line(cases.clock())

    cases.record_follow_up_review(case_id, judgement="improvement sustained", notes="Held",
                                  **ACTOR)
    assert digest.items_for(CORA, digest._open_cases(), cases.clock()) == []
