"""One workflow per open case: reminds before and after deadlines, then escalates.

The workflow keeps no facts of its own. It reads the case and its region's
policy through an activity, which returns the pending steps of the timetable
(domain/timetable.py), and sleeps until the earliest. To take it, one activity
re-reads the case, records the step only if it is still due, and answers with
the plan as it then stands, which the workflow sleeps on next. A signal
(`case_changed`) wakes it early to read again, so a deadline met, paused or
moved is seen at once; a policy change is seen at the next step. Recording and
delivering are apart: each notice recorded is handed to a delivery workflow of
its own (workflows/notice_delivery.py) that the case workflow starts and does
not wait for, on the notices' own task queue, so no channel, however slow or
down, delays the next step.

A step that can never be taken (its activity fails as non-retryable: a rule
refused it, a date overflowed) is recorded on the case as failed, the region
is told, and the workflow carries on with the other steps; a case that cannot
be read at all is logged and read again on its next change or an hour later.
The workflow itself never fails and never stops reminding. It ends when the
case closes, unless the closure set a follow-up review (a case closed as
improved): then it reminds of that, and ends once the review is recorded.

Definitions still running are kept beside the current one and chosen by
`workflow.patched`, so that their histories replay unchanged.
"""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from services.cases.workflow_contract import (
        CASE_CHANGED_SIGNAL,
        CASE_STATUS_QUERY,
        CASE_WORKFLOW,
        NOTICE_DELIVERY_WORKFLOW,
        CaseDeadlines,
        CasePlan,
        CaseStatus,
        CaseWorkflowInput,
        Notice,
        PlannedStep,
        ReminderRequest,
        StepFailure,
        StepOutcome,
        StepRequest,
        notice_task_queue,
        notice_workflow_id,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=10)
DELIVERY_TIMEOUT = timedelta(seconds=15)
DELIVERY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                             maximum_interval=timedelta(minutes=1), maximum_attempts=8)
TIMETABLE_PATCH = "timetable-v2"
TAKE_AND_PLAN_PATCH = "take-and-plan-v3"
DELIVER_APART_PATCH = "deliver-apart-v4"
SEARCH_ATTRIBUTES_PATCH = "search-attributes-v1"
FOLLOW_UP_PATCH = "follow-up-after-closure-v1"
READ_AGAIN_AFTER = timedelta(hours=1)


def _never_succeeds(failure: ActivityError) -> bool:
    """Whether the activity failed in a way no retry can mend (see workflows/activities.py)."""
    return isinstance(failure.cause, ApplicationError) and failure.cause.non_retryable


@workflow.defn(name=CASE_WORKFLOW)
class CaseWorkflow:
    def __init__(self) -> None:
        self._changed = False
        self._plan: CasePlan | None = None
        self._case_id = ""
        self._failed: set[str] = set()  # steps that failed and could not be recorded so
        self._unreadable = False
        self._indexed: dict[str, str] = {}

    @workflow.signal(name=CASE_CHANGED_SIGNAL)
    def case_changed(self) -> None:
        self._changed = True

    @workflow.query(name=CASE_STATUS_QUERY)
    def status(self) -> CaseStatus | None:
        """The case as last read: stage, open deadlines, pending proposal, next step."""
        plan = self._plan
        if plan is None:
            return None
        return CaseStatus(case_id=self._case_id, status=plan.status, stage=plan.stage,
                          deadlines=plan.deadlines, pending_proposal=plan.pending_proposal,
                          next_step=plan.steps[0] if plan.steps else None)

    @workflow.run
    async def run(self, params: CaseWorkflowInput) -> str:
        self._case_id = params.case_id
        if workflow.patched(TAKE_AND_PLAN_PATCH):
            return await self._run_take_and_plan(params)
        if not workflow.patched(TIMETABLE_PATCH):
            return await self._run_first_definition(params)
        return await self._run_timetable(params)

    async def _run_take_and_plan(self, params: CaseWorkflowInput) -> str:
        """One activity per step taken: it re-reads, records if still due, and re-plans."""
        plan = self._plan = await self._read_pending(params.case_id)
        for _round in range(params.rounds_before_continue):
            if plan.status != "open" and not self._follow_up_pending(plan):
                return f"case {plan.status}"
            due = datetime.fromisoformat(plan.steps[0].at) if plan.steps else None
            if due is not None and not await self._sleep_until(due):
                plan = await self._take_step(params.case_id, plan.steps[0])
            else:
                if not plan.steps:
                    await self._wait_for_change()
                self._changed = False  # a signal during the read below wakes the next wait
                plan = self._plan = await self._read_pending(params.case_id)
            if workflow.info().is_continue_as_new_suggested():
                break
        return await self._continue_as_new(params)

    @staticmethod
    def _follow_up_pending(plan: CasePlan) -> bool:
        """A case closed as improved keeps its workflow until its follow-up review is
        recorded: its one deadline left is reminded like any other. Histories from before
        this (whose closed cases had no deadline left) never reach the patch and replay
        unchanged."""
        return bool(plan.deadlines) and workflow.patched(FOLLOW_UP_PATCH)

    async def _take_step(self, case_id: str, step: PlannedStep) -> CasePlan:
        self._changed = False  # a signal while the step is taken makes the next wait re-read
        try:
            outcome = await workflow.execute_activity(
                "take_step", StepRequest(case_id, step),
                start_to_close_timeout=ACTIVITY_TIMEOUT, result_type=StepOutcome,
            )
        except ActivityError as failure:
            if not _never_succeeds(failure):
                raise
            outcome = await self._record_failure(case_id, step, failure)
        if outcome.notice is not None:
            if workflow.patched(DELIVER_APART_PATCH):
                await self._hand_over(outcome.notice)
            else:  # the third definition delivered before its next wait
                await self._deliver(outcome.notice, only_set_channels=True)
        if outcome.plan is not None:
            self._describe(outcome.plan)
        self._plan = self._without_failed(outcome.plan) if outcome.plan else \
            await self._read_pending(case_id)
        return self._plan

    async def _record_failure(self, case_id: str, step: PlannedStep,
                              failure: ActivityError) -> StepOutcome:
        """Record on the case that the step can never be taken; else remember it here."""
        error = str(failure.cause.message if isinstance(failure.cause, ApplicationError)
                    else failure.cause)
        workflow.logger.error("step %s of case %s can never be taken: %s", step.key, case_id,
                              error)
        try:
            return await workflow.execute_activity(
                "record_step_failure", StepFailure(case_id, step, error),
                start_to_close_timeout=ACTIVITY_TIMEOUT, result_type=StepOutcome,
            )
        except ActivityError as again:
            if not _never_succeeds(again):
                raise
            self._failed.add(step.key)
            return StepOutcome(recorded=False)

    async def _read_pending(self, case_id: str) -> CasePlan:
        """The plan less steps that failed for good; a case that cannot be read is logged
        and has no steps until it changes or READ_AGAIN_AFTER has passed."""
        try:
            plan = await self._read_plan(case_id)
        except ActivityError as failure:
            if not _never_succeeds(failure):
                raise
            workflow.logger.error("case %s cannot be read for its timetable: %s", case_id,
                                  failure.cause)
            self._unreadable = True
            return CasePlan(status="open", stage="", deadlines={}, steps=[])
        self._unreadable = False
        return self._without_failed(plan)

    def _without_failed(self, plan: CasePlan) -> CasePlan:
        if self._failed:
            plan.steps = [s for s in plan.steps if s.key not in self._failed]
        return plan

    async def _wait_for_change(self) -> None:
        """Until the case changes; an unreadable case is also read again after a while."""
        if not self._unreadable:
            await workflow.wait_condition(lambda: self._changed)
            return
        try:
            await workflow.wait_condition(lambda: self._changed,
                                          timeout=READ_AGAIN_AFTER.total_seconds())
        except TimeoutError:
            pass

    async def _hand_over(self, notice: Notice) -> None:
        """Start the notice's own delivery workflow and go on; it outlives this run."""
        if not notice.deliveries:
            return  # the region set no channel this worker can use: nothing to deliver
        try:
            await workflow.start_child_workflow(
                NOTICE_DELIVERY_WORKFLOW, notice, id=notice_workflow_id(notice),
                task_queue=notice_task_queue(workflow.info().task_queue),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            pass  # handed over already: a notice is delivered once

    async def _continue_as_new(self, params: CaseWorkflowInput) -> str:
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(CaseWorkflowInput(params.case_id,
                                                   params.rounds_before_continue))

    # -- the second definition (timetable-v2), kept for the workflows it started ------

    async def _run_timetable(self, params: CaseWorkflowInput) -> str:
        for _round in range(params.rounds_before_continue):
            self._changed = False  # a signal during the read below wakes the next wait
            plan = self._plan = await self._read_plan(params.case_id)
            if plan.status != "open":
                return f"case {plan.status}"
            if not plan.steps:
                await workflow.wait_condition(lambda: self._changed)
            elif not await self._sleep_until(datetime.fromisoformat(plan.steps[0].at)):
                await self._take(params, plan)
            if workflow.info().is_continue_as_new_suggested():
                break
        return await self._continue_as_new(params)

    async def _take(self, params: CaseWorkflowInput, plan: CasePlan) -> None:
        """Re-read before acting: take the earliest step only if still due after a fresh read."""
        fresh = self._plan = await self._read_plan(params.case_id)
        if not fresh.steps or fresh.steps[0].key != plan.steps[0].key:
            return  # the case or the policy changed while we slept: plan again
        outcome = await workflow.execute_activity(
            "take_step", StepRequest(params.case_id, fresh.steps[0]),
            start_to_close_timeout=ACTIVITY_TIMEOUT, result_type=StepOutcome,
        )
        if outcome.notice is not None:
            await self._deliver(outcome.notice)

    async def _deliver(self, notice: Notice, *, only_set_channels: bool = False) -> None:
        """Email and webhook side by side, each retried with backoff; a final failure is logged."""
        channels = [name for name, address in (("send_email", notice.email_to),
                                               ("post_webhook", notice.webhook_url))
                    if address or not only_set_channels]
        results = await asyncio.gather(
            *(workflow.execute_activity(name, notice, start_to_close_timeout=DELIVERY_TIMEOUT,
                                        retry_policy=DELIVERY_RETRY)
              for name in channels),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, ActivityError):
                workflow.logger.warning("notice %s not delivered: %s", notice.key, result.cause)

    async def _read_plan(self, case_id: str) -> CasePlan:
        plan = await workflow.execute_activity(
            "read_case_plan", case_id, start_to_close_timeout=ACTIVITY_TIMEOUT,
            result_type=CasePlan,
        )
        self._describe(plan)
        return plan

    def _describe(self, plan: CasePlan) -> None:
        """Keep the UI's view current: the details line, and the search attributes
        when they changed (only where the worker registered them)."""
        if plan.summary:
            workflow.set_current_details(plan.summary)
        if plan.search_attributes and plan.search_attributes != self._indexed:
            if workflow.patched(SEARCH_ATTRIBUTES_PATCH):
                workflow.upsert_search_attributes([
                    SearchAttributeKey.for_keyword(name).value_set(value)
                    for name, value in plan.search_attributes.items()])
                self._indexed = dict(plan.search_attributes)

    async def _sleep_until(self, due: datetime) -> bool:
        """Wait until `due`; True if a case change woke us first."""
        remaining = (due - workflow.now()).total_seconds()
        if remaining <= 0:
            return False
        try:
            await workflow.wait_condition(lambda: self._changed, timeout=remaining)
            return True
        except TimeoutError:
            return False

    # -- the first definition, kept so that workflows started by it replay unchanged --

    async def _run_first_definition(self, params: CaseWorkflowInput) -> str:
        while True:
            state = await workflow.execute_activity(
                "read_case_deadlines", params.case_id,
                start_to_close_timeout=ACTIVITY_TIMEOUT, result_type=CaseDeadlines,
            )
            if state.status != "open" or not state.deadlines:
                return "no open deadlines"
            deadline, due = min(state.deadlines.items(), key=lambda kv: kv[1])
            self._changed = False
            if await self._sleep_until(datetime.fromisoformat(due)):
                continue  # the case changed: re-read before deciding anything
            reminded = await workflow.execute_activity(
                "issue_reminder",
                ReminderRequest(params.case_id, deadline, f"{deadline}:{due}:missed"),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )
            workflow.logger.info("reminder for %s recorded: %s", deadline, reminded)
            return f"reminded of {deadline}"
