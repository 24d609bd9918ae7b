"""Workflow start rate beside a bare workflow, reminder lateness at scale, and a burst
of reminders due at one moment on each store beside a bare Temporal burst.

Lateness is measured for two regions side by side in the same minute: one
whose webhook answers at once, one whose webhook refuses every connection (as
a misconfigured region's would), so a channel that is down shows whether it
delays anyone's reminders. The case worker runs as a process of its own, as it
does in service, so that the bench's own webhook receiver and measuring do not
share its interpreter.
"""

import asyncio
import os
import socket
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare_burst import BareBurstWorkflow
from bench.bench_store import ACTOR, CONCERN
from bench.common import Result, percentile, progress
from bench.cpu_shares import Sample, sample_at, shares
from domain.calendar import PolicyDuration
from domain.case import Case
from services.cases.service import CaseService
from services.cases.workflow_contract import case_workflow_id
from services.cases.workflow_gateway import WorkflowGateway
from services.platform.settings import Settings
from services.policy.service import PolicyService


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


HEALTHY, REFUSING = CONCERN["region"], "North East"


class _Accepting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the standard library's hook
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _webhooks(cases: CaseService) -> ThreadingHTTPServer:
    """A webhook that accepts for one region, an address that refuses for the other."""
    healthy = ThreadingHTTPServer(("127.0.0.1", 0), _Accepting)
    threading.Thread(target=healthy.serve_forever, daemon=True).start()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refusing = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    policies = PolicyService.beside(cases)
    policies.set_policy(HEALTHY, actor_id="bench",
                        webhook_url=f"http://127.0.0.1:{healthy.server_address[1]}/hook")
    policies.set_policy(REFUSING, actor_id="bench", webhook_url=refusing)
    policies.close()
    return healthy


def _open_cases(cases: CaseService, dues: list[datetime],
                regions: tuple[str, ...] = (HEALTHY,)) -> dict[str, datetime]:
    """One case per due time, saved in batches of 100: only the timers matter here.
    Due times go to the regions in turn, so each region's are spread alike."""
    ids = {}
    now = datetime.now(UTC)
    for first in range(0, len(dues), 100):
        batch = [Case.raise_concern(**{**CONCERN, "region": regions[(first + i) % len(regions)]},
                                    raised_at=now, diagnosis_due=due, **ACTOR)
                 for i, due in enumerate(dues[first:first + 100])]
        cases.save(*batch)
        ids |= {str(c.id): c.deadlines["diagnosis"] for c in batch}
    return ids


def _spread_over_a_minute(n: int, lead: float) -> list[datetime]:
    """n due times spread evenly over the minute that starts `lead` seconds from now."""
    start = datetime.now(UTC) + timedelta(seconds=lead)
    return [start + timedelta(seconds=60 * i / n) for i in range(n)]


async def workflows(client: Client, settings, *, n: int = 1000, lead: float = 45) -> list[Result]:
    # the bench's webhooks listen on loopback, which a service allows only when told to
    settings = settings.model_copy(update={"webhook_allowed_hosts": "127.0.0.1"})
    cases = CaseService(settings.eventsourcing_env(), diagnosis_deadline=PolicyDuration.parse("10"))
    queue, bare_queue = f"bench-{uuid.uuid4().hex[:6]}", f"bare-{uuid.uuid4().hex[:6]}"
    progress(f"workflows: opening {n} cases due in the same minute, half of them in a region "
             "whose webhook refuses every connection")
    healthy_hook = _webhooks(cases)
    dues = _open_cases(cases, _spread_over_a_minute(n, lead), (HEALTHY, REFUSING))
    refusing = {case_id for i, case_id in enumerate(dues) if i % 2}  # in turn, as opened
    ids, first_due = list(dues), min(dues.values())
    gateway = WorkflowGateway(client, queue)
    worker = _worker_process(client, settings, queue)
    try:
        async with Worker(client, task_queue=bare_queue, workflows=[BareWorkflow]):
            progress(f"workflows: starting {n} bare workflows, then {n} case workflows")
            bare = await _start_all([
                (lambda i=i: client.start_workflow(BareWorkflow.run, "x", id=f"bare-{queue}-{i}",
                                                   task_queue=bare_queue)) for i in range(n)])
            case_rate = await _start_all([(lambda c=c: gateway.ensure_started(c)) for c in ids])
            wait = (first_due - datetime.now(UTC)).total_seconds()
            if wait < 0:
                progress("workflows: a deadline passed while starting; lateness includes that")
            progress(f"workflows: waiting {max(wait, 0):.0f}s for the first deadline, then "
                     "a minute of reminders")
            late = await _reminder_lateness(cases, dues, timeout=max(wait, 0) + 180)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    cases.close()
    healthy_hook.shutdown()
    healthy = [s for case_id, s in late.items() if case_id not in refusing]
    failing = [s for case_id, s in late.items() if case_id in refusing]
    half = n // 2
    healthy_p99 = _lateness_result(f"{n - half:,} cases with a healthy webhook", healthy,
                                   n - half, None)
    return [
        Result("workflows", f"start rate of {n:,} case workflows", case_rate, bare,
               "starts/s", ">= 50% of a bare workflow's start rate"),
        healthy_p99,
        _lateness_result(f"{half:,} cases whose webhook refuses every connection, beside them",
                         failing, half, healthy_p99.value),
    ]


def _worker_process(client: Client, settings, queue: str) -> subprocess.Popen:
    """`casework worker` on the bench's store and task queue."""
    env = dict(os.environ, CASEWORK_STORE=settings.store, CASEWORK_DATA_DIR=str(settings.data_dir),
               CASEWORK_POSTGRES_URL=settings.postgres_url,
               CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema, CASEWORK_TASK_QUEUE=queue,
               CASEWORK_WEBHOOK_ALLOWED_HOSTS=settings.webhook_allowed_hosts,
               TEMPORAL_ADDRESS=client.service_client.config.target_host,
               CASEWORK_WORKER_METRICS_PORT="0", CASEWORK_LOG_LEVEL="WARNING")
    return subprocess.Popen([sys.executable, "-m", "deploy.cli", "worker"], env=env)


def _lateness_result(who: str, lateness: list[float], expected: int,
                     baseline: float | None) -> Result:
    return Result("workflows", f"reminder lateness, {who}, due in the same minute (p99)",
                  percentile(lateness, 99) if lateness else float("inf"), baseline, "s",
                  "p99 within 2 s of due",
                  extra={"p50_s": percentile(lateness, 50) if lateness else None,
                         "max_s": max(lateness, default=None),
                         "missing_reminders": expected - len(lateness)})


async def bursts(client: Client, stores: dict[str, Settings], *, n: int,
                 lead: float) -> list[Result]:
    """n reminders due at the same moment on each store, one worker process each, beside
    the bare Temporal burst on the same server, run before and after them (the faster
    of the two is the floor: the least disturbed by the machine's other work)."""
    floors = [await bare_burst(client, n=n, lead=lead)]
    cleared = {store: await store_burst(client, settings, n=n, lead=lead)
               for store, settings in stores.items()}
    floors.append(await bare_burst(client, n=n, lead=lead))
    floor = min(floors)
    results = [Result("workflows", f"bare Temporal burst: {n:,} workflows asleep until one "
                                   "moment, each then one no-op activity: last completed",
                      floor, None, "s", "the floor a reminder burst can approach, for context",
                      extra={"runs_s": floors})]
    for store, (seconds, extra) in cleared.items():
        results.append(Result(
            "workflows", f"{store}: reminders, {n:,} cases due at the same moment, one "
                         "worker: last recorded, against the bare burst",
            seconds, floor, "s", "within 2x of the bare Temporal burst", extra=extra))
    if {"sqlite", "postgres"} <= set(cleared):
        results.append(Result(
            "workflows", f"SQLite's reminder burst ({n:,}) against PostgreSQL's, same run",
            cleared["sqlite"][0], cleared["postgres"][0], "s",
            "within 1.5x of PostgreSQL's"))
    return results


async def bare_burst(client: Client, *, n: int, lead: float) -> float:
    """Seconds from the moment until the last bare workflow's activity ran."""
    queue = f"bare-burst-{uuid.uuid4().hex[:6]}"
    progress(f"workflows: bare Temporal burst, {n} workflows asleep until one moment")
    worker = subprocess.Popen([sys.executable, "-m", "bench.bare_burst",
                               client.service_client.config.target_host, queue])
    try:
        moment = datetime.now(UTC) + timedelta(seconds=lead)
        gate = asyncio.Semaphore(32)  # as many start calls outstanding as for the cases

        async def start(i: int):
            async with gate:
                return await client.start_workflow(BareBurstWorkflow.run, moment.isoformat(),
                                                   id=f"{queue}-{i}", task_queue=queue)

        handles = await asyncio.gather(*(start(i) for i in range(n)))
        ran = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)),
                                     timeout=lead + 300)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    handed_on = await _handed_on(client, [h.id for h in handles])
    if handed_on:
        progress(f"workflows: {handed_on:.0f} of the bare burst's workflow tasks were handed on")
    return max(ran) - moment.timestamp()


async def store_burst(client: Client, settings: Settings, *, n: int,
                      lead: float) -> tuple[float, dict]:
    """n cases due at the same moment on a fresh store, their region's webhook answering,
    one case worker process of its own: seconds from the moment until the last reminder
    was recorded, and where the CPU went meanwhile."""
    settings = settings.model_copy(update={"webhook_allowed_hosts": "127.0.0.1"})
    cases = CaseService(settings.eventsourcing_env(), diagnosis_deadline=PolicyDuration.parse("10"))
    queue = f"burst-{uuid.uuid4().hex[:6]}"
    healthy_hook = _webhooks(cases)
    worker = _worker_process(client, settings, queue)
    try:
        progress(f"workflows: {n} cases due at the same moment on {settings.store}, "
                 "one worker")
        moment = datetime.now(UTC) + timedelta(seconds=lead)
        dues = _open_cases(cases, [moment] * n)
        gateway = WorkflowGateway(client, queue)
        await _start_all([(lambda c=c: gateway.ensure_started(c)) for c in dues])
        wait = max((moment - datetime.now(UTC)).total_seconds(), 0)
        if wait == 0:
            progress("workflows: the moment passed while starting; lead too short")
        sampled = asyncio.create_task(sample_at(moment))
        lateness = list((await _reminder_lateness(cases, dues, timeout=wait + 300)).values())
        after, before = Sample.now(), await sampled
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        cases.close()
        healthy_hook.shutdown()
    cleared = max(lateness, default=float("inf"))
    return cleared, {
        "p50_s": percentile(lateness, 50) if lateness else None,
        "p99_s": percentile(lateness, 99) if lateness else None,
        "missing_reminders": n - len(lateness),
        "cpu": shares(before, after, cleared, {worker.pid}),
        "workflow_tasks_handed_on": await _handed_on(
            client, [case_workflow_id(case_id) for case_id in dues]),
    }


async def _handed_on(client: Client, workflow_ids: list[str]) -> float:
    """Workflow tasks that waited too long for the worker caching their workflow and went
    to the normal queue, where a worker may have to replay the whole history first."""
    timed_out = 0
    for workflow_id in workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        timed_out += sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
                         for e in history.events)
    return float(timed_out)


async def _reminder_lateness(cases: CaseService, dues: dict[str, datetime], *,
                             timeout: float) -> dict[str, float]:
    """Seconds between each case's due time and its first ReminderIssued after it.

    Follows the notification log (as a read model would) rather than loading
    each case, so that measuring takes little from the worker it measures.
    """
    pending, lateness, position = dict(dues), {}, 1
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
                    lateness[case_id] = (event.timestamp - pending.pop(case_id)).total_seconds()
        position = batch[-1].id + 1 if batch else position
    return lateness
