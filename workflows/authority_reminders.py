"""Authority-level duties reminded on Temporal Schedules, not case by case.

Every authority should evaluate itself each year and invite a corporate peer
challenge every three to four years. A schedule per authority and duty starts
this short workflow each time one falls due; it builds the notice from the
region's policy and hands it to a delivery workflow (workflows/notice_delivery.py),
as case notices are; runs started before that delivered it here.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.cases.workflow_contract import (
        AUTHORITY_REMINDER_WORKFLOW,
        NOTICE_DELIVERY_WORKFLOW,
        AuthorityDuty,
        Notice,
        notice_task_queue,
        notice_workflow_id,
    )
    from workflows.case_workflow import ACTIVITY_TIMEOUT, DELIVERY_RETRY, DELIVERY_TIMEOUT


@workflow.defn(name=AUTHORITY_REMINDER_WORKFLOW)
class AuthorityReminderWorkflow:
    @workflow.run
    async def run(self, duty: AuthorityDuty) -> str:
        notice = await workflow.execute_activity(
            "authority_notice", duty, start_to_close_timeout=ACTIVITY_TIMEOUT,
            result_type=Notice,
        )
        if workflow.patched("authority-deliver-apart"):
            if notice.deliveries:
                await workflow.execute_child_workflow(
                    NOTICE_DELIVERY_WORKFLOW, notice, id=notice_workflow_id(notice),
                    task_queue=notice_task_queue(workflow.info().task_queue))
            return f"reminded {duty.authority} of {duty.duty}"
        for name in ("send_email", "post_webhook"):
            await workflow.execute_activity(name, notice, start_to_close_timeout=DELIVERY_TIMEOUT,
                                            retry_policy=DELIVERY_RETRY)
        return f"reminded {duty.authority} of {duty.duty}"
