"""Starts and wakes case workflows; used by the API and the worker's reconciler.

Starting is idempotent by workflow id, so the request path, the reconciler and
a retried request may all try without creating a second workflow.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, time, timedelta
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import (
    Client,
    Interceptor,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    WorkflowQueryFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from domain.calendar import LONDON
from services.cases.workflow_contract import (
    AUTHORITY_REMINDER_WORKFLOW,
    CASE_CHANGED_SIGNAL,
    CASE_SEARCH_ATTRIBUTES,
    CASE_STATUS_QUERY,
    CASE_WORKFLOW,
    MORNING_DIGEST_WORKFLOW,
    RETENTION_SWEEP_WORKFLOW,
    AuthorityDuty,
    CaseStatus,
    CaseWorkflowInput,
    authority_schedule_id,
    case_workflow_id,
    digest_schedule_id,
    retention_schedule_id,
)
from services.platform.settings import Settings

log = logging.getLogger(__name__)


async def connect(settings: Settings, *, attempts: int = 60,
                  runtime: Runtime | None = None,
                  interceptors: Sequence[Interceptor] = ()) -> Client:
    """Connect to Temporal, waiting for it while it starts (about a minute at most)."""
    for attempt in range(attempts):
        try:
            return await Client.connect(
                settings.temporal_address, namespace=settings.temporal_namespace,
                runtime=runtime, interceptors=interceptors,
            )
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)
    raise AssertionError("unreachable")


class WorkflowGateway:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def ensure_started(self, case_id: str, *, reopened: bool = False) -> bool:
        """Start the case's workflow unless one is running.

        A finished workflow blocks a new one (False), except for a reopened case,
        whose workflow ended when it closed and must watch it again.
        """
        reuse = (WorkflowIDReusePolicy.ALLOW_DUPLICATE if reopened
                 else WorkflowIDReusePolicy.REJECT_DUPLICATE)
        try:
            await self.client.start_workflow(
                CASE_WORKFLOW,
                CaseWorkflowInput(case_id=case_id),
                id=case_workflow_id(case_id),
                task_queue=self.task_queue,
                id_reuse_policy=reuse,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def case_changed(self, case_id: str, *, or_raise: bool = False) -> bool:
        """Wake the workflow so it re-reads the case; False, harmlessly, when it has
        finished or never started. Any other failure (Temporal unreachable) is logged and
        answered False, or raised when `or_raise` says the caller will try again."""
        try:
            await self.client.get_workflow_handle(case_workflow_id(case_id)).signal(
                CASE_CHANGED_SIGNAL
            )
        except RPCError as error:
            if or_raise and error.status != RPCStatusCode.NOT_FOUND:
                raise
            log.info("case %s workflow not signalled: %s", case_id, error.message)
            return False
        return True

    async def case_status(self, case_id: str) -> dict[str, Any] | None:
        """The stage, open deadlines, pending proposal and next step, as the workflow
        last read them; None when the case has no running workflow to ask."""
        try:
            status = await self.client.get_workflow_handle(case_workflow_id(case_id)).query(
                CASE_STATUS_QUERY, result_type=CaseStatus
            )
        except (RPCError, WorkflowQueryFailedError) as error:
            log.info("case %s workflow not queried: %s", case_id, error)
            return None
        return asdict(status) if status is not None else None

    async def schedule_authority_duty(self, duty: AuthorityDuty, *, due_at: datetime,
                                      now: datetime, cycle: str = "",
                                      earlier: tuple[str, ...] = (),
                                      reminded: bool = False) -> str:
        """Remind of an authority's duty at `due_at` (its reminder day, 9am London), or at
        once when that has passed. `cycle` names this round of the duty (by default its
        due moment): while it stays the same the schedule is kept, so refreshing it
        reminds no one twice, even once the moment has passed; a new round replaces it.
        A schedule whose note is one of `earlier` (the same round, named as an earlier
        version did) is renamed, reminding no one: moved to `due_at` if it has not
        fired yet, else left as it was, since this round has been reminded of.
        `reminded` says the store records this round as reminded already (the schedule
        was lost with Temporal's state, after a restore say): then no reminder at once."""
        schedule_id = authority_schedule_id(duty.authority_id, duty.duty)
        note = cycle or f"due {due_at.isoformat()}"
        handle = self.client.get_schedule_handle(schedule_id)
        try:
            described: ScheduleDescription | None = await handle.describe()
        except RPCError:
            described = None
        if described is not None and described.schedule.state.note == note:
            return schedule_id
        spec, same_round = _on_the_day(due_at), False
        if described is not None:
            same_round = (described.schedule.state.note or "") in earlier
            if same_round and described.info.recent_actions:
                spec = described.schedule.spec  # this round has been reminded of
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                AUTHORITY_REMINDER_WORKFLOW, duty, id=f"{schedule_id}-reminder",
                task_queue=self.task_queue,
            ),
            spec=spec,
            state=ScheduleState(note=note),
        )
        if described is not None:
            await handle.update(lambda _: ScheduleUpdate(schedule=schedule))
        else:
            try:
                await self.client.create_schedule(schedule_id, schedule)
            except ScheduleAlreadyRunningError:
                await handle.update(lambda _: ScheduleUpdate(schedule=schedule))
        if due_at <= now and not same_round and not reminded:
            await handle.trigger()  # overdue, or due earlier today: remind now, once
        return schedule_id

    async def schedule_morning_digest(self, at: time) -> str:
        """Start the morning digest every day at `at`, UK time (the run skips days off);
        replaces any earlier schedule, so calling again is safe."""
        schedule_id = digest_schedule_id(self.task_queue)
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                MORNING_DIGEST_WORKFLOW, id=f"{schedule_id}-run", task_queue=self.task_queue),
            spec=ScheduleSpec(
                calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(at.hour)],
                                                minute=[ScheduleRange(at.minute)],
                                                second=[ScheduleRange(at.second)])],
                time_zone_name="Europe/London"),
        )
        await self._put_schedule(schedule_id, schedule)
        return schedule_id

    async def _put_schedule(self, schedule_id: str, schedule: Schedule) -> None:
        """Create the schedule, or replace the one of that id: safe to call again."""
        try:
            await self.client.create_schedule(schedule_id, schedule)
        except ScheduleAlreadyRunningError:
            await self.client.get_schedule_handle(schedule_id).update(
                lambda _: ScheduleUpdate(schedule=schedule))

    async def schedule_retention_sweep(self, every: timedelta) -> str:
        """Run the retention sweep every `every` (workflows/retention.py); replaces any
        earlier schedule, so calling again is safe and a changed interval applies.

        Runs may overlap. A worker killed while a sweep's activity ran leaves that run
        waiting out the activity's timeout (ten minutes), and the default policy skipped
        every run due meanwhile. A sweep only marks rows not yet marked, so two at once
        propose nothing twice."""
        schedule_id = retention_schedule_id(self.task_queue)
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                RETENTION_SWEEP_WORKFLOW, id=f"{schedule_id}-run", task_queue=self.task_queue),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
        )
        await self._put_schedule(schedule_id, schedule)
        return schedule_id

    async def register_search_attributes(self, namespace: str) -> bool:
        """Register casework's search attributes on the namespace if missing.

        True when they are all there afterwards. A cluster that refuses (no
        operator rights) gets False and a log line; workflows then skip the
        upsert rather than fail on an unknown attribute.
        """
        keyword = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
        try:
            listed = await self.client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=namespace))
            missing = {name: keyword for name in CASE_SEARCH_ATTRIBUTES
                       if name not in listed.custom_attributes}
            if missing:
                await self.client.operator_service.add_search_attributes(
                    AddSearchAttributesRequest(namespace=namespace, search_attributes=missing))
        except RPCError as error:
            log.error("search attributes %s not registered on %r (%s); register them as "
                      "Keyword to find cases in the Temporal UI", ", ".join(CASE_SEARCH_ATTRIBUTES),
                      namespace, error.message)
            return False
        return True

    async def healthy(self) -> bool:
        try:
            return await self.client.service_client.check_health(timeout=timedelta(seconds=2))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return False


def _on_the_day(moment: datetime) -> ScheduleSpec:
    """Exactly `moment` (to the second), in London time: year, day and hour included, so
    it fires on that date and no other (an interval would fire on epoch-aligned dates)."""
    local = moment.astimezone(LONDON)
    return ScheduleSpec(
        calendars=[ScheduleCalendarSpec(
            year=[ScheduleRange(local.year)], month=[ScheduleRange(local.month)],
            day_of_month=[ScheduleRange(local.day)], hour=[ScheduleRange(local.hour)],
            minute=[ScheduleRange(local.minute)], second=[ScheduleRange(local.second)])],
        time_zone_name="Europe/London")
