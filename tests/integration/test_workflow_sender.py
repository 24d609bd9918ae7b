"""Telling workflows after the answer: a case changed again while it waits is told once,
a full queue leaves the case to the reconciler (counted), and the reconciler wakes a
workflow for a person's change, never for the workflow's own reminders.

A real worker and dev server, on both stores.
"""


import asyncio

from prometheus_client import REGISTRY
from temporalio.api.enums.v1 import EventType

from services.cases.workflow_gateway import WorkflowGateway
from services.cases.workflow_sender import WorkflowSender
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, fast_policy
from workflows.reconciler import Reconciler

SIGNALLED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED


async def signals(client, case_id) -> int:
    """Signals in the workflow's history (one arriving while a workflow task runs is
    written once that task completes)."""
    history = await client.get_workflow_handle(f"case-{case_id}").fetch_history()
    return sum(e.event_type == SIGNALLED for e in history.events)


async def signalled(client, *case_ids) -> tuple[int, ...]:
    return tuple([await signals(client, case_id) for case_id in case_ids])


async def _equal(counted, expected) -> bool:
    return await counted == expected


def tells(outcome: str) -> float:
    return REGISTRY.get_sample_value("casework_workflow_tells_total",
                                     {"outcome": outcome}) or 0.0


async def test_changes_made_while_a_case_waits_are_told_once(
        cases, policies, escalation_worker, client, task_queue):
    fast_policy(policies)
    gateway = WorkflowGateway(client, task_queue)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await gateway.ensure_started(str(case_id))
    sender = WorkflowSender(lambda: gateway, delay_seconds=0.5)
    for note in ("two officers resigned", "a budget gap", "the auditor's letter"):
        cases.add_intelligence(case_id, content=note, source="anecdotal",
                               confidentiality="normal", **ACTOR)
        sender.tell(str(case_id))  # returns at once: nothing waits on Temporal here
    assert await sender.drain(10)
    await sender.close()
    await eventually(lambda: signals(client, case_id))
    await asyncio.sleep(1)
    assert await signals(client, case_id) == 1


async def test_a_full_queue_leaves_the_case_to_the_reconciler(
        cases, policies, escalation_worker, client, task_queue):
    fast_policy(policies)
    gateway = WorkflowGateway(client, task_queue)
    first, second = (cases.open_case(**OPEN_CASE, **ACTOR) for _ in range(2))
    reconciler = Reconciler(cases, gateway)
    assert await reconciler.catch_up() == 2
    sender = WorkflowSender(lambda: gateway, limit=1, delay_seconds=0.2)
    dropped = tells("dropped")
    for case_id in (first, second):
        cases.add_intelligence(case_id, content="a budget gap", source="anecdotal",
                               confidentiality="normal", **ACTOR)
        sender.tell(str(case_id))
    assert tells("dropped") == dropped + 1
    await sender.close()
    await eventually(lambda: signals(client, first))
    assert await signalled(client, first, second) == (1, 0)
    await reconciler.catch_up()  # the reconciler wakes both: the first a second time
    await eventually(lambda: _equal(signalled(client, first, second), (2, 1)))


async def test_the_reconciler_wakes_no_workflow_for_its_own_reminders(
        cases, policies, escalation_worker, client, task_queue):
    fast_policy(policies)  # due two seconds after opening; reminded every second after
    gateway = WorkflowGateway(client, task_queue)
    reconciler = Reconciler(cases, gateway)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await reconciler.catch_up()
    await eventually(lambda: len([e for e in cases.history(case_id)
                                  if e["type"] == "ReminderIssued"]) >= 2, timeout=30)
    await reconciler.catch_up()
    assert reconciler.woken == 0 and await signals(client, case_id) == 0
    cases.add_intelligence(case_id, content="a budget gap", source="anecdotal",
                               confidentiality="normal", **ACTOR)
    await reconciler.catch_up()
    assert reconciler.woken == 1
    await eventually(lambda: signals(client, case_id))
