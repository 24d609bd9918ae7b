"""Scale-out on PostgreSQL: a reminder burst with two workers beside one, and the
read-model rebuild reading the log in pages beside reading each case back."""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from temporalio.client import Client

from bench.bench_store import ACTOR, CONCERN
from bench.bench_workflows import _handed_on, _open_cases, _reminder_lateness, _start_all
from bench.common import Result, progress
from bench.cpu_shares import Sample, sample_at, shares
from bench.stores import throwaway
from domain.calendar import PolicyDuration
from domain.case import Case
from services.caselist.projection import CASE_TOPIC_PREFIX, PROJECTION, CaseListView
from services.cases.service import CaseService
from services.cases.workflow_contract import case_workflow_id
from services.cases.workflow_gateway import WorkflowGateway
from services.platform.settings import Settings


async def reminder_burst(client: Client, *, n: int, lead: float) -> list[Result]:
    """The same burst, cleared by 1 worker process and then by 2, each on a fresh schema."""
    cleared, cpu = {}, {}
    for workers in (1, 2):
        with throwaway("postgres") as settings:
            cleared[workers], cpu[workers] = await _burst_with(client, settings, workers, n=n,
                                                               lead=lead)
    one, two = cleared[1], cleared[2]
    for workers, spent in cpu.items():
        progress(f"scale-out: CPU while {workers} worker(s) cleared the burst: {spent}")
    return [Result("scale-out", f"{n:,} reminders due at one moment, 2 worker processes "
                                "beside 1 (PostgreSQL): time to clear",
                   two, one, "s", "at most 0.6x of one worker",
                   extra={"one_worker_s": one, "two_workers_s": two,
                          "cores": os.cpu_count(), "cpu_one_worker": cpu[1],
                          "cpu_two_workers": cpu[2]})]


async def _burst_with(client: Client, settings: Settings, workers: int, *, n: int,
                      lead: float) -> tuple[float, dict[str, float]]:
    queue = f"burst-{uuid.uuid4().hex[:6]}"
    env = dict(os.environ, CASEWORK_STORE="postgres", CASEWORK_POSTGRES_URL=settings.postgres_url,
               CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema,
               CASEWORK_DATA_DIR=str(settings.data_dir), CASEWORK_TASK_QUEUE=queue,
               TEMPORAL_ADDRESS=client.service_client.config.target_host,
               CASEWORK_WORKER_METRICS_PORT="0", CASEWORK_LOG_LEVEL="WARNING")
    cases = CaseService(settings.eventsourcing_env(), diagnosis_deadline=PolicyDuration.parse("10"))
    processes = [subprocess.Popen([sys.executable, "-m", "deploy.cli", "worker"], env=env)
                 for _ in range(workers)]
    try:
        progress(f"scale-out: {n} cases due at one moment, {workers} worker process(es)")
        moment = datetime.now(UTC) + timedelta(seconds=lead)
        dues = _open_cases(cases, [moment] * n)
        gateway = WorkflowGateway(client, queue)
        await _start_all([(lambda c=c: gateway.ensure_started(c)) for c in dues])
        wait = max((moment - datetime.now(UTC)).total_seconds(), 0)
        if wait == 0:
            progress("scale-out: the moment passed while starting; lead too short")
        sampled = asyncio.create_task(sample_at(moment))
        lateness = await _reminder_lateness(cases, dues, timeout=wait + 300)
        after, before = Sample.now(), await sampled
        if len(lateness) < n:
            progress(f"scale-out: {n - len(lateness)} reminders missing")
        cleared = max(lateness.values(), default=float("inf"))
        spent = shares(before, after, cleared, {p.pid for p in processes})
        spent["handed_on"] = await _handed_on(client, [case_workflow_id(c) for c in dues])
        return cleared, spent
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        cases.close()


def rebuild(*, n_cases: int, events_per_case: int = 8) -> list[Result]:
    """Old (each touched case read back: catch-up from zero) beside the paged rebuild.

    Each case has `events_per_case` events written in rounds across all cases,
    as a region's work spreads a case's events over the log: the old way read a
    case back each time a page touched it; the paged way reads each event once.
    """
    with throwaway("postgres") as settings:
        cases = CaseService(settings.eventsourcing_env())
        progress(f"scale-out: {n_cases:,} cases of {events_per_case} events for the "
                 "read-model rebuild")
        now = datetime.now(UTC)
        made = [Case.raise_concern(**CONCERN, raised_at=now,
                                   diagnosis_due=now + timedelta(days=10), **ACTOR)
                for _ in range(n_cases)]
        for round_ in range(events_per_case):
            for case in made if round_ else ():
                if round_ % 2:
                    case.pause_deadline(deadline="diagnosis", reason="waiting",
                                        recorded_at=now, **ACTOR)
                else:
                    case.resume_deadline(deadline="diagnosis", reason="resumed",
                                         recorded_at=now, **ACTOR)
            for first in range(0, n_cases, 500):
                cases.save(*made[first:first + 500])
        view = CaseListView(settings)
        timings = {}
        for name, run in (("per case", lambda: _catch_up_from_zero(view, cases)),
                          ("paged", lambda: view.rebuild(cases))):
            progress(f"scale-out: read-model rebuild, {name}")
            began = time.perf_counter()
            run()
            timings[name] = time.perf_counter() - began
        view.close()
        cases.close()
    return [Result("scale-out", f"read-model rebuild on PostgreSQL, {n_cases:,} cases of "
                                f"{events_per_case} events: log read in pages, beside each "
                                "case read back",
                   timings["per case"] / timings["paged"], None, "x faster",
                   "at least 20x",
                   extra={"paged_s": timings["paged"], "per_case_s": timings["per case"]})]


def _catch_up_from_zero(view: CaseListView, cases: CaseService) -> None:
    """What a rebuild did before: clear, then apply the log reading each case back."""
    with view._transaction(lock=True) as cursor:
        cursor.execute("DELETE FROM case_list")
        cursor.execute("DELETE FROM case_list_tally")
        cursor.execute("DELETE FROM read_model_tracking")
    while _apply_batch(view, cases, 1000) == 1000:
        pass


def _apply_batch(view: CaseListView, cases: CaseService, batch_size: int) -> int:
    """A page applied by reading each touched case back from its stream: how catching
    up worked before it folded the page, kept here as the baseline the bench compares."""
    with view._transaction(lock=True) as cursor:
        batch = view._next_page(cursor, cases, batch_size)
        if not batch:
            return 0
        touched: dict[UUID, int] = {}
        for notification in batch:
            if notification.topic.startswith(CASE_TOPIC_PREFIX):
                touched[notification.originator_id] = notification.originator_version
        for case_id, version in touched.items():
            view._project(cursor, cases, case_id, version)
        cursor.execute("UPDATE read_model_tracking SET position = ? WHERE projection = ?",
                       (batch[-1].id, PROJECTION))
        return len(batch)


def run(*, quick: bool, with_burst: bool = True) -> list[Result]:
    """The rebuild, then (unless `with_burst` is False) the reminder burst, the long part."""
    from temporalio.testing import WorkflowEnvironment

    from deploy.run import temporal_binary

    results = rebuild(n_cases=500 if quick else 2_000)
    if not with_burst:
        return results

    async def burst() -> list[Result]:
        env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_binary(),
                                                    dev_server_log_level="error")
        try:
            n = int(os.environ.get("BENCH_BURST", 200 if quick else 1000))
            return await reminder_burst(env.client, n=n, lead=30 if quick else 90)
        finally:
            await env.shutdown()

    return results + asyncio.run(burst())
