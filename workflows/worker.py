"""The worker process: runs case workflows and activities, and the reconciler."""

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from prometheus_client import start_http_server
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Worker

from services.bootstrap import build_services
from services.cases.service import CaseService
from services.cases.workflow_contract import notice_task_queue
from services.cases.workflow_gateway import WorkflowGateway, connect
from services.cases.workflow_wakes import WakePosition
from services.identity.service import IdentityService
from services.platform.logs import configure_logging
from services.platform.settings import Settings
from services.platform.tracing import tracer_provider
from services.policy.service import PolicyService
from services.records.disposal import Disposals
from services.registers.service import RegisterService
from services.reminders.digest import MorningDigest
from services.reminders.duty_reminders import DutyReminders
from services.reminders.escalation_steps import EscalationSteps
from services.reminders.notices import CachedDirectory
from services.reminders.notifiers import (
    Channels,
    build_notifiers,
    build_notify,
    retry_schedule,
)
from workflows.activities import (
    CaseActivities,
    DigestActivities,
    EscalationActivities,
    RetentionActivities,
)
from workflows.authority_reminders import AuthorityReminderWorkflow
from workflows.case_workflow import CaseWorkflow
from workflows.digest import MorningDigestWorkflow
from workflows.duty_schedules import schedule_authority_duties
from workflows.metering import MeteredActivities
from workflows.notice_delivery import NoticeDeliveryWorkflow
from workflows.reconciler import Reconciler
from workflows.retention import RetentionSweepWorkflow
from workflows.sdk_metrics import keep_draining, metered_runtime

log = logging.getLogger("casework.worker")


NOTICE_THREADS = 8  # deliveries at once; a slow channel holds one of these, never a step's

# How long a workflow task waits for the worker that has the workflow in its cache
# before any worker may take it (replaying the workflow's history first). The SDK's
# 10 s is shorter than a busy worker takes to reach the tail of a large burst (1,000
# reminders at once: 15 to 20 s on two cores), so the tail was handed on and replayed,
# by a second worker from scratch: a third more CPU, and a slower burst. The price:
# tasks already waiting on a worker killed outright wait this long (not 10 s) before
# another worker takes them.
STICKY_WAIT = timedelta(seconds=30)


class Workers:
    """The timetable's worker and the notices' worker, run together as one.

    Notices are delivered on a task queue of their own (`notice_task_queue`)
    with their own threads and workflow cache, so a delivery, however slow or
    retried, never holds a thread a step needs nor pushes a case's workflow out
    of the cache (and a cached workflow need not be replayed from its history).
    """

    def __init__(self, cases: Worker, notices: Worker, threads: ThreadPoolExecutor) -> None:
        self.cases, self.notices, self.threads = cases, notices, threads

    async def __aenter__(self) -> "Workers":
        await self.cases.__aenter__()
        await self.notices.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.notices.__aexit__(None, None, None)
            await self.cases.__aexit__(None, None, None)
        finally:
            self.threads.shutdown(wait=False)


def build_worker(client: Client, cases: CaseService, task_queue: str,
                 executor: ThreadPoolExecutor, *, policies: PolicyService | None = None,
                 settings: Settings | None = None, index_cases: bool = False,
                 directory: IdentityService | None = None,
                 duty_reminders: DutyReminders | None = None,
                 disposals: Disposals | None = None) -> Workers:
    """The workers with every workflow and activity; tests build the same ones.

    The policy store defaults to the cases' own database; `settings` (by default read
    from the environment) say how notices go out (CASEWORK_SMTP_*, _NOTIFY_*,
    _DELIVERY_*) and the address their links start with (CASEWORK_PUBLIC_BASE_URL).
    `index_cases` says casework's search attributes are registered on the Temporal
    namespace, so workflows may upsert them.
    Without a directory of users, notices go only to the region's address; without
    `duty_reminders`, authority duty reminders are made but not recorded; without
    `disposals`, no retention sweep runs here.
    """
    first = CaseActivities(cases)
    settings = settings or Settings()
    policies = policies or cases.region_policies()  # closed with the case service
    email, webhook = build_notifiers(
        settings, allowed_hosts=policies.limits.webhook_allowed_hosts)
    notify = build_notify(settings)
    steps = EscalationSteps(cases, policies, cases.clock,
                            index_cases=index_cases,
                            channels=Channels(email, webhook, notify=notify).available(),
                            retry=retry_schedule(settings),
                            directory=CachedDirectory(directory) if directory else None,
                            public_base_url=settings.public_base_url)
    escalation = EscalationActivities(steps, email, webhook, notify, duty_reminders)
    digest = DigestActivities(MorningDigest(
        cases, directory.users if directory else list, notify if notify.enabled else email,
        public_base_url=settings.public_base_url))
    delivering: list[Callable[..., Any]] = [escalation.deliver_and_record,
                                            escalation.deliver_notice,
                                            escalation.record_delivery]
    retention = [RetentionActivities(disposals).propose_disposals] if disposals else []
    timetable = Worker(
        client,
        task_queue=task_queue,
        workflows=[CaseWorkflow, AuthorityReminderWorkflow, NoticeDeliveryWorkflow,
                   MorningDigestWorkflow,  # notices handed over here before their own queue
                   *([RetentionSweepWorkflow] if disposals else [])],
        activities=[first.read_case_deadlines, first.issue_reminder,
                    escalation.read_case_plan, escalation.take_step, escalation.record_step_failure,
                    escalation.send_email,
                    escalation.post_webhook, escalation.authority_notice,
                    *delivering, digest.send_morning_digests, *retention],
        activity_executor=executor,
        interceptors=[MeteredActivities()],
        sticky_queue_schedule_to_start_timeout=STICKY_WAIT,
    )
    threads = ThreadPoolExecutor(max_workers=NOTICE_THREADS, thread_name_prefix="notices")
    notices = Worker(
        client, task_queue=notice_task_queue(task_queue), workflows=[NoticeDeliveryWorkflow],
        activities=delivering, activity_executor=threads,
        max_concurrent_activities=NOTICE_THREADS,  # an attempt waits on the server, not
        interceptors=[MeteredActivities()],         # in a queue where its timeout runs
        sticky_queue_schedule_to_start_timeout=STICKY_WAIT,
    )
    return Workers(timetable, notices, threads)


async def _keep_duty_schedules(registers: RegisterService, gateway: WorkflowGateway,
                               reminders: DutyReminders, every_seconds: float = 3600) -> None:
    """Authority duty schedules follow the registers: now, then hourly. A round the
    store records as reminded is not reminded again (after a restore, say)."""
    while True:
        try:
            count = await schedule_authority_duties(registers, gateway, reminders=reminders)
            log.info("%d authority duty schedules in place", count)
        except Exception:  # the next round retries
            log.exception("authority duty schedules not refreshed")
        await asyncio.sleep(every_seconds)


def _serve_metrics(settings: Settings) -> None:
    """The worker's /metrics; a port already taken costs the metrics, never the worker."""
    if not settings.worker_metrics_port:
        return
    try:
        start_http_server(settings.worker_metrics_port, settings.worker_metrics_host)
    except OSError as error:
        log.error("worker metrics not served on %s:%d (%s); set CASEWORK_WORKER_METRICS_PORT "
                  "to a free port, or 0", settings.worker_metrics_host,
                  settings.worker_metrics_port, error.strerror)


async def serve(settings: Settings) -> None:
    _serve_metrics(settings)
    services = build_services(settings)
    cases = services.cases
    runtime, sdk_metrics = metered_runtime()
    tracing = tracer_provider(settings, "casework-worker")
    client = await connect(settings, runtime=runtime, interceptors=[
        TracingInterceptor(tracing.get_tracer("casework.worker"))] if tracing else [])
    gateway = WorkflowGateway(client, settings.task_queue)
    indexed = await gateway.register_search_attributes(settings.temporal_namespace)
    wakes = WakePosition(settings)
    reconciler = Reconciler(cases, gateway, wakes=wakes)
    reminders = DutyReminders(settings)
    disposals = Disposals(cases, services.case_list, services.retention, services.documents,
                          None, settings.retention_schedule())
    with ThreadPoolExecutor(max_workers=8) as executor:
        worker = build_worker(client, cases, settings.task_queue, executor,
                              settings=settings, index_cases=indexed,
                              directory=services.identity, duty_reminders=reminders,
                              disposals=disposals)
        log.info("worker on task queue %r at %s", settings.task_queue, settings.temporal_address)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await gateway.schedule_morning_digest(settings.digest_at())
        await gateway.schedule_retention_sweep(settings.retention_sweep_every())
        following = asyncio.create_task(reconciler.run_forever())
        scheduling = asyncio.create_task(_keep_duty_schedules(services.registers, gateway,
                                                                reminders))
        draining = asyncio.create_task(keep_draining(sdk_metrics))
        try:
            async with worker:  # runs until the block exits, then drains gracefully
                await stop.wait()
        finally:
            following.cancel()
            scheduling.cancel()
            draining.cancel()
            reminders.close()
            wakes.close()
            services.close()
            if tracing is not None:
                tracing.shutdown()
    log.info("worker stopped")


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
