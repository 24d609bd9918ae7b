"""Authority duties in the registers become Temporal Schedules that fire on the due day.

Each duty is reminded of on its due date at 9am London time (never on dates an
interval would align to), and an overdue duty at once, once.
"""

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from domain.authorities import duty_reminder_at
from domain.calendar import LONDON
from services.cases.workflow_contract import authority_schedule_id
from services.cases.workflow_gateway import WorkflowGateway
from services.registers.service import RegisterService
from tests.helpers import eventually
from workflows.duty_schedules import schedule_authority_duties


def _register(settings, name: str, **last_done) -> tuple[RegisterService, str]:
    registers = RegisterService(settings.eventsourcing_env())
    authority_id = registers.register_authority(
        name=name, authority_type="district", region="East Midlands",
        sub_region="Northshire", actor_id="admin-1", **last_done)
    return registers, str(authority_id)


async def _described(client, authority_id: str, duty: str):
    return await client.get_schedule_handle(authority_schedule_id(authority_id, duty)).describe()


async def _delete(client, authority_id: str) -> None:
    for duty in ("self-evaluation", "corporate peer challenge"):
        await client.get_schedule_handle(authority_schedule_id(authority_id, duty)).delete()


async def test_each_duty_is_reminded_on_its_due_day_at_nine_in_london(settings, client,
                                                                      task_queue):
    registers, authority_id = _register(
        settings, "Eastvale District Council", last_self_evaluation=date(2026, 6, 30),
        last_peer_challenge=date(2025, 1, 15))
    gateway = WorkflowGateway(client, task_queue)
    try:
        now = datetime(2026, 11, 23, 12, tzinfo=UTC)
        assert await schedule_authority_duties(registers, gateway, now=now) == 2
        assert await schedule_authority_duties(registers, gateway, now=now) == 2
    finally:
        registers.close()
    try:
        summer = await _described(client, authority_id, "self-evaluation")
        assert summer.info.next_action_times == [datetime(2027, 6, 30, 8, tzinfo=UTC)]  # BST
        winter = await _described(client, authority_id, "corporate peer challenge")
        assert winter.info.next_action_times == [datetime(2028, 1, 15, 9, tzinfo=UTC)]  # GMT
        assert summer.schedule.action.workflow == "AuthorityReminderWorkflow"
        assert summer.info.recent_actions == []  # neither is due yet: nothing fired
    finally:
        await _delete(client, authority_id)


async def test_a_duty_due_today_fires_at_its_moment_and_an_overdue_one_at_once(
        settings, client, task_queue):
    today = datetime.now(LONDON).date()
    registers, authority_id = _register(
        settings, "Westdale District Council",
        last_self_evaluation=today.replace(year=today.year - 1),  # due today
        last_peer_challenge=today.replace(year=today.year - 5))   # overdue
    gateway = WorkflowGateway(client, task_queue)
    moment = (datetime.now(LONDON) + timedelta(seconds=4)).replace(microsecond=0)
    at = time(moment.hour, moment.minute, moment.second)
    try:
        await schedule_authority_duties(registers, gateway, at=at)
        overdue = await eventually(lambda: _fired(client, authority_id,
                                                  "corporate peer challenge"), timeout=10)
        assert len(overdue) == 1
        fired = await eventually(lambda: _fired(client, authority_id, "self-evaluation"),
                                 timeout=15)
        assert [a.scheduled_at for a in fired] == [duty_reminder_at(today, at)]
        assert fired[0].scheduled_at == moment
        await schedule_authority_duties(registers, gateway, at=at)  # a refresh: no one again
        await asyncio.sleep(1)
        assert len(await _fired(client, authority_id, "corporate peer challenge")) == 1
        assert len(await _fired(client, authority_id, "self-evaluation")) == 1
    finally:
        registers.close()
        await _delete(client, authority_id)


async def _fired(client, authority_id: str, duty: str) -> list:
    return list((await _described(client, authority_id, duty)).info.recent_actions)


async def test_a_duty_never_done_is_reminded_once_not_at_every_daily_refresh(
        settings, client, task_queue):
    """Never done, it is due 'today' whatever the day; the next day's refresh is the same
    round, so no second reminder; recording it done starts the next round."""
    registers, authority_id = _register(settings, "Northdale District Council")
    gateway = WorkflowGateway(client, task_queue)
    # Past today's 09:00 in London, so the duty due today is already overdue and fires at
    # once (before 09:00 it would wait for 09:00, as it should: the test would depend on
    # the hour it runs at).
    today = datetime.combine(datetime.now(LONDON).date(), time(10), tzinfo=LONDON)
    try:
        await schedule_authority_duties(registers, gateway, now=today)
        await eventually(lambda: _fired(client, authority_id, "self-evaluation"), timeout=10)
        tomorrow = RegisterService(settings.eventsourcing_env(),
                                   clock=lambda: today + timedelta(days=1))
        try:
            await schedule_authority_duties(tomorrow, gateway, now=today + timedelta(days=1))
        finally:
            tomorrow.close()
        await asyncio.sleep(1)
        assert len(await _fired(client, authority_id, "self-evaluation")) == 1
        registers.record_self_evaluation("Northdale District Council",
                                         on=today.date(), actor_id="admin-1")
        await schedule_authority_duties(registers, gateway, now=today)
        described = await _described(client, authority_id, "self-evaluation")
        next_year = duty_reminder_at(today.date().replace(year=today.year + 1))
        assert described.info.next_action_times == [next_year]
        assert len(described.info.recent_actions) == 1
    finally:
        registers.close()
        await _delete(client, authority_id)
