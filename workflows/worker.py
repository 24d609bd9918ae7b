"""The worker process: runs case workflows and activities, and the reconciler."""

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from services.bootstrap import build_case_service
from services.cases import CaseService
from services.notifiers import NotifierSettings, build_notifiers
from services.policy import PolicyService
from services.registers import RegisterService
from services.settings import Settings
from services.timetable import EscalationSteps
from services.workflow_gateway import WorkflowGateway, connect
from workflows.activities import CaseActivities, EscalationActivities
from workflows.authority_reminders import AuthorityReminderWorkflow
from workflows.case_workflow import CaseWorkflow
from workflows.duty_schedules import schedule_authority_duties
from workflows.reconciler import Reconciler

log = logging.getLogger("casework.worker")


def build_worker(client: Client, cases: CaseService, task_queue: str,
                 executor: ThreadPoolExecutor, *, policies: PolicyService | None = None,
                 notifiers: NotifierSettings | None = None) -> Worker:
    """The worker with every workflow and activity; tests build the same one.

    The policy store defaults to the cases' own database, the notifiers to the
    CASEWORK_SMTP_* settings.
    """
    first = CaseActivities(cases)
    email, webhook = build_notifiers(notifiers)
    steps = EscalationSteps(cases, policies or PolicyService.beside(cases), cases.clock)
    escalation = EscalationActivities(steps, email, webhook)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CaseWorkflow, AuthorityReminderWorkflow],
        activities=[first.read_case_deadlines, first.issue_reminder,
                    escalation.read_case_plan, escalation.take_step, escalation.send_email,
                    escalation.post_webhook, escalation.authority_notice],
        activity_executor=executor,
    )


async def _keep_duty_schedules(settings: Settings, gateway: WorkflowGateway,
                               every_seconds: float = 3600) -> None:
    """Authority duty schedules follow the registers: now, then hourly."""
    registers = RegisterService(settings.eventsourcing_env())
    try:
        while True:
            try:
                count = await schedule_authority_duties(registers, gateway)
                log.info("%d authority duty schedules in place", count)
            except Exception:  # the next round retries
                log.exception("authority duty schedules not refreshed")
            await asyncio.sleep(every_seconds)
    finally:
        registers.close()


async def serve(settings: Settings) -> None:
    cases = build_case_service(settings)
    client = await connect(settings)
    gateway = WorkflowGateway(client, settings.task_queue)
    reconciler = Reconciler(cases, gateway)
    with ThreadPoolExecutor(max_workers=8) as executor:
        worker = build_worker(client, cases, settings.task_queue, executor)
        log.info("worker on task queue %r at %s", settings.task_queue, settings.temporal_address)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        following = asyncio.create_task(reconciler.run_forever())
        scheduling = asyncio.create_task(_keep_duty_schedules(settings, gateway))
        try:
            async with worker:  # runs until the block exits, then drains gracefully
                await stop.wait()
        finally:
            following.cancel()
            scheduling.cancel()
            cases.close()
    log.info("worker stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    asyncio.run(serve(Settings()))


if __name__ == "__main__":
    main()
