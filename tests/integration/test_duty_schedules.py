"""Authority duties in the registers become Temporal Schedules."""

from datetime import date

from services.escalation import authority_schedule_id
from services.registers import RegisterService
from services.workflow_gateway import WorkflowGateway
from workflows.duty_schedules import schedule_authority_duties


async def test_each_authority_duty_gets_one_schedule_and_refreshing_adds_none(
    settings, client, task_queue
):
    registers = RegisterService(settings.eventsourcing_env())
    try:
        authority_id = registers.register_authority(
            name="Eastvale District Council", authority_type="district",
            region="East Midlands", sub_region="Northshire",
            last_self_evaluation=date(2026, 3, 1), actor_id="admin-1")
        gateway = WorkflowGateway(client, task_queue)
        assert await schedule_authority_duties(registers, gateway) == 2
        assert await schedule_authority_duties(registers, gateway) == 2
    finally:
        registers.close()
    for duty in ("self-evaluation", "corporate peer challenge"):
        schedule_id = authority_schedule_id(str(authority_id), duty)
        handle = client.get_schedule_handle(schedule_id)
        description = await handle.describe()  # raises if the schedule does not exist
        assert description.schedule.action.workflow == "AuthorityReminderWorkflow"
        await handle.delete()
