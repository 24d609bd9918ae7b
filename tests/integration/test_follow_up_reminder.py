"""The follow-up review of a case closed as improved is reminded on a real Temporal dev
server, like any deadline, and the case's workflow ends once the review is recorded.

The region's policy puts the follow-up review three seconds after the closure
(instead of twelve months), reminds one second before, and once when missed.
"""

import asyncio

from services.cases.workflow_gateway import WorkflowGateway
from tests.helpers import EXIT_STRATEGY, OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, fast_policy

FOLLOW_UP = "follow-up review"


def follow_up_reminders(cases, case_id) -> list[dict]:
    return [e for e in cases.history(case_id)
            if e["type"] == "ReminderIssued" and e["data"]["deadline"] == FOLLOW_UP]


async def test_a_closed_case_is_reminded_of_its_follow_up_review_until_it_is_recorded(
        cases, policies, mailbox, escalation_worker, client, task_queue):
    fast_policy(policies, follow_up_review="PT3S", missed_reminder_limit=1)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    gateway = WorkflowGateway(client, task_queue)
    await gateway.ensure_started(str(case_id))
    cases.close_case(case_id, outcome="improved and handed back", exit_strategy=EXIT_STRATEGY,
                     **ACTOR)
    await gateway.case_changed(str(case_id))
    assert list(cases.get_case(case_id)["deadlines"]) == [FOLLOW_UP]

    reminders = await eventually(lambda: len(follow_up_reminders(cases, case_id)) >= 2 and
                                 follow_up_reminders(cases, case_id), timeout=30)
    keys = [r["data"]["reminder_key"] for r in reminders]
    assert keys[0].endswith(":before") and keys[1].endswith(":missed-1")
    assert all(r["actor"]["role"] == "automation" for r in reminders)
    box, _ = mailbox
    subjects = await eventually(lambda: [s for s in box.subjects() if FOLLOW_UP in s])
    assert OPEN_CASE["authority"] in subjects[0]
    handle = client.get_workflow_handle(f"case-{case_id}")
    assert (await handle.describe()).status.name == "RUNNING"  # still watching the case
    assert "StageChanged" not in {e["type"] for e in cases.history(case_id)}  # no escalation

    cases.record_follow_up_review(case_id, judgement="improvement sustained",
                                  notes="Held under the council's own framework", **ACTOR)
    await gateway.case_changed(str(case_id))
    assert await asyncio.wait_for(handle.result(), timeout=20) == "case closed"
