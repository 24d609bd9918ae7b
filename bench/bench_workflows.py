"""Workflow start rate beside a bare workflow, and reminder lateness at scale."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

from bench.common import Result, percentile, progress
from bench.bench_store import ACTOR, CONCERN
from domain.calendar import PolicyDuration
from domain.case import Case
from services.cases import CaseService
from services.workflow_gateway import WorkflowGateway
from workflows.worker import build_worker


@workflow.defn(name="BareWorkflow", sandboxed=False)
class BareWorkflow:
    """The floor: a workflow that does nothing but finish."""

    @workflow.run
    async def run(self, _: str) -> str:
        return "done"


async def _start_all(starts, *, in_flight: int = 32) -> float:
    """Starts per second with `in_flight` start calls outstanding at once."""
    gate = asyncio.Semaphore(in_flight)

    async def one(start):
        async with gate:
            await start()

    began = asyncio.get_running_loop().time()
    await asyncio.gather(*(one(s) for s in starts))
    return len(starts) / (asyncio.get_running_loop().time() - began)


def _open_cases(cases: CaseService, dues: list[datetime]) -> dict[str, datetime]:
    """One case per due time, saved in batches of 100: only the timers matter here."""
    ids = {}
    now = datetime.now(timezone.utc)
    for first in range(0, len(dues), 100):
        batch = [Case.raise_concern(**CONCERN, raised_at=now, diagnosis_due=due, **ACTOR)
                 for due in dues[first:first + 100]]
        cases.save(*batch)
        ids |= {str(c.id): c.deadlines["diagnosis"] for c in batch}
    return ids


def _spread_over_a_minute(n: int, lead: float) -> list[datetime]:
    """n due times spread evenly over the minute that starts `lead` seconds from now."""
    start = datetime.now(timezone.utc) + timedelta(seconds=lead)
    return [start + timedelta(seconds=60 * i / n) for i in range(n)]


async def workflows(client: Client, settings, *, n: int = 1000, lead: float = 45,
                    burst_lead: float = 20) -> list[Result]:
    cases = CaseService(settings.eventsourcing_env(), diagnosis_deadline=PolicyDuration.parse("10"))
    queue, bare_queue = f"bench-{uuid.uuid4().hex[:6]}", f"bare-{uuid.uuid4().hex[:6]}"
    progress(f"workflows: opening {n} cases due in the same minute")
    dues = _open_cases(cases, _spread_over_a_minute(n, lead))
    ids, first_due = list(dues), min(dues.values())
    gateway = WorkflowGateway(client, queue)
    with ThreadPoolExecutor(max_workers=16) as executor:
        async with build_worker(client, cases, queue, executor), \
                Worker(client, task_queue=bare_queue, workflows=[BareWorkflow]):
            progress(f"workflows: starting {n} bare workflows, then {n} case workflows")
            bare = await _start_all([
                (lambda i=i: client.start_workflow(BareWorkflow.run, "x", id=f"bare-{queue}-{i}",
                                                   task_queue=bare_queue)) for i in range(n)])
            case_rate = await _start_all([(lambda c=c: gateway.ensure_started(c)) for c in ids])
            wait = (first_due - datetime.now(timezone.utc)).total_seconds()
            if wait < 0:
                progress("workflows: a deadline passed while starting; lateness includes that")
            progress(f"workflows: waiting {max(wait, 0):.0f}s for the first deadline, then "
                     "a minute of reminders")
            lateness = await _reminder_lateness(cases, dues, timeout=max(wait, 0) + 180)
            burst = await _burst(cases, gateway, n, lead=burst_lead)
    cases.close()
    missing = n - len(lateness)
    return [
        Result("workflows", f"start rate of {n:,} case workflows", case_rate, bare,
               "starts/s", ">= 50% of a bare workflow's start rate"),
        Result("workflows", f"reminder lateness, {n:,} cases due in the same minute (p99)",
               percentile(lateness, 99) if lateness else float("inf"), None, "s",
               "p99 within 2 s of due",
               extra={"p50_s": percentile(lateness, 50) if lateness else None,
                      "max_s": max(lateness, default=None), "missing_reminders": missing}),
        burst,
    ]


async def _burst(cases: CaseService, gateway: WorkflowGateway, n: int, *,
                 lead: float) -> Result:
    """For context: n cases due at the very same moment, and how long the worker takes
    to record all their reminders (what a policy change moving many deadlines might do)."""
    progress(f"workflows: {n} more cases due at the same moment, for context")
    moment = datetime.now(timezone.utc) + timedelta(seconds=lead)
    dues = _open_cases(cases, [moment] * n)
    await _start_all([(lambda c=c: gateway.ensure_started(c)) for c in dues])
    wait = max((moment - datetime.now(timezone.utc)).total_seconds(), 0)
    lateness = await _reminder_lateness(cases, dues, timeout=wait + 240)
    return Result("workflows", f"reminders, {n:,} cases due at the same moment: last recorded",
                  max(lateness, default=float("inf")), None, "s",
                  "for context, no target: how long a burst takes to clear",
                  extra={"p50_s": percentile(lateness, 50) if lateness else None,
                         "p99_s": percentile(lateness, 99) if lateness else None,
                         "per_second": n / max(lateness) if lateness else None,
                         "missing_reminders": n - len(lateness)})


async def _reminder_lateness(cases: CaseService, dues: dict[str, datetime], *,
                             timeout: float) -> list[float]:
    """Seconds between each case's due time and its first ReminderIssued after it.

    Follows the notification log (as a read model would) rather than loading
    each case, so that measuring takes little from the worker it measures.
    """
    pending, lateness, position = dict(dues), [], 1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while pending and loop.time() < deadline:
        await asyncio.sleep(1)
        batch = await asyncio.to_thread(cases.recorder.select_notifications, position, 1000)
        for notification in batch:
            case_id = str(notification.originator_id)
            if case_id in pending and notification.topic.endswith("ReminderIssued"):
                event = cases.mapper.to_domain_event(notification)
                if event.timestamp >= pending[case_id]:
                    lateness.append((event.timestamp - pending.pop(case_id)).total_seconds())
        position = batch[-1].id + 1 if batch else position
    return lateness
