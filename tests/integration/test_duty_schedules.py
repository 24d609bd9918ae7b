"""Authority duties in the registers become Temporal Schedules that fire on the due day.

Each duty is reminded of at 9am London time on its due date, or the next working
day when that is a weekend or bank holiday (never on dates an interval would
align to), and an overdue duty at once, once, on a working day.
"""

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pytest

from domain.authorities import duty_reminder_at
from domain.calendar import LONDON, is_working_day, working_day_on_or_after
from services.cases.workflow_contract import AuthorityDuty, authority_schedule_id
from services.cases.workflow_gateway import WorkflowGateway
from services.eventstore.keys import KEY_TABLES
from services.registers.service import RegisterService
from services.reminders.duty_reminders import DutyReminders
from tests.helpers import eventually
from workflows.duty_schedules import cycle, cycle_before_working_days, schedule_authority_duties
from workflows.worker import build_worker


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
        # due on Saturday 15 January 2028: reminded on the Monday, 9am GMT
        assert winter.info.next_action_times == [datetime(2028, 1, 17, 9, tzinfo=UTC)]
        assert summer.schedule.action.workflow == "AuthorityReminderWorkflow"
        assert summer.info.recent_actions == []  # neither is due yet: nothing fired
    finally:
        await _delete(client, authority_id)


async def test_a_duty_due_today_fires_at_its_moment_and_an_overdue_one_at_once(
        settings, client, task_queue):
    today = datetime.now(LONDON).date()
    if not is_working_day(today):  # then both wait for the next working day: see below
        pytest.skip("a duty fires on the day it falls due only on a working day")
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
    # Past 09:00 in London on the first working day from the day it was registered, so
    # the duty due then is already overdue and fires at once (before 09:00, or on a day
    # off, it would wait for 09:00 on a working day, as it should: the test would depend
    # on the hour and day it runs on).
    registered = datetime.now(LONDON).date()
    today = datetime.combine(working_day_on_or_after(registered), time(10), tzinfo=LONDON)
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
                                         on=registered, actor_id="admin-1")
        await schedule_authority_duties(registers, gateway, now=today)
        described = await _described(client, authority_id, "self-evaluation")
        next_year = duty_reminder_at(registered.replace(year=registered.year + 1))
        assert described.info.next_action_times == [next_year]
        assert len(described.info.recent_actions) == 1
    finally:
        registers.close()
        await _delete(client, authority_id)


def _last_working_morning() -> datetime:
    """10:00 London on the latest working day up to today: a test that needs an overdue
    duty reminded at once runs on a Saturday too (on a day off it would wait)."""
    day = datetime.now(LONDON).date()
    while not is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=LONDON)


def _next_saturday(after: date) -> date:
    return after + timedelta(days=(5 - after.weekday()) % 7 or 7)


async def test_an_overdue_duty_found_on_a_day_off_waits_for_nine_on_the_next_working_day(
        settings, client, task_queue):
    registers, authority_id = _register(
        settings, "Southdale District Council", last_self_evaluation=date(2024, 6, 3),
        last_peer_challenge=date(2024, 6, 3))
    gateway = WorkflowGateway(client, task_queue)
    saturday = _next_saturday(datetime.now(LONDON).date())
    while not is_working_day(saturday + timedelta(days=2)):  # a bank holiday Monday
        saturday = _next_saturday(saturday)
    try:
        await schedule_authority_duties(registers, gateway,
                                        now=datetime.combine(saturday, time(10), tzinfo=LONDON))
        described = await _described(client, authority_id, "self-evaluation")
        monday = datetime.combine(saturday + timedelta(days=2), time(9), tzinfo=LONDON)
        assert described.info.next_action_times == [monday]
        await asyncio.sleep(1)
        assert described.info.recent_actions == []  # not at once on the Saturday
        assert await _fired(client, authority_id, "self-evaluation") == []
    finally:
        registers.close()
        await _delete(client, authority_id)


async def test_a_duty_reminded_before_a_restore_is_not_reminded_again_after_it(
        settings, cases, client, task_queue, tmp_path):
    """The reminder is recorded in the store when made; a restore brings the store back
    but not Temporal's schedules, and the scheduler, making them anew, consults it."""
    registers, authority_id = _register(settings, "Southdale District Council",
                                        last_peer_challenge=date(2019, 3, 1))  # overdue
    reminders = DutyReminders(settings)
    gateway = WorkflowGateway(client, task_queue)
    working_morning = _last_working_morning()  # an overdue duty is reminded at once then
    try:
        with ThreadPoolExecutor(4) as executor:
            async with build_worker(client, cases, task_queue, executor,
                                    duty_reminders=reminders):
                await schedule_authority_duties(registers, gateway, reminders=reminders,
                                                now=working_morning)
                await eventually(lambda: _fired(client, authority_id, "corporate peer challenge"))
                round_ = cycle(next(d for d in registers.authority_duties()
                                    if d["duty"] == "corporate peer challenge"), time(9))
                await eventually(lambda: reminders.reminded(
                    authority_schedule_id(authority_id, "corporate peer challenge"), round_))
    finally:
        reminders.close()
        registers.close()
        await _delete(client, authority_id)  # Temporal's state is lost with the old host

    restored = _restored_copy(settings, tmp_path)
    registers = RegisterService(restored.eventsourcing_env())
    reminders = DutyReminders(restored)
    try:
        await schedule_authority_duties(registers, gateway, reminders=reminders,
                                        now=working_morning)
        await asyncio.sleep(1.5)
        assert await _fired(client, authority_id, "corporate peer challenge") == []
    finally:
        reminders.close()
        registers.close()
        await _delete(client, authority_id)


async def test_a_schedule_made_before_working_days_moves_without_reminding_anyone_again(
        settings, client, task_queue):
    """Schedules named as earlier versions named them: one not yet fired moves to its
    working day; one already fired (an overdue duty, reminded) is renamed, not re-fired."""
    registers, authority_id = _register(
        settings, "Westmoor District Council", last_self_evaluation=date(2026, 12, 5),
        last_peer_challenge=date(2020, 1, 6))
    gateway = WorkflowGateway(client, task_queue)
    try:
        duties = {d["duty"]: d for d in registers.authority_duties()
                  if d["authority"] == "Westmoor District Council"}
        for duty in duties.values():  # as the earlier version scheduled them
            old_moment = datetime.combine(duty["due"], time(9), tzinfo=LONDON)
            await gateway.schedule_authority_duty(
                _duty(authority_id, duty), due_at=old_moment, now=datetime.now(UTC),
                cycle=cycle_before_working_days(duty, time(9)))
        await eventually(lambda: _fired(client, authority_id, "corporate peer challenge"),
                         timeout=10)
        await schedule_authority_duties(registers, gateway)
        await asyncio.sleep(1)
        assert len(await _fired(client, authority_id, "corporate peer challenge")) == 1
        moved = await _described(client, authority_id, "self-evaluation")
        assert moved.info.next_action_times == [datetime(2027, 12, 6, 9, tzinfo=UTC)]  # Sun
        assert moved.schedule.state.note.endswith("on a working day")
    finally:
        registers.close()
        await _delete(client, authority_id)


def _duty(authority_id: str, duty: dict) -> AuthorityDuty:
    return AuthorityDuty(authority_id=authority_id, authority=duty["authority"],
                         region=duty["region"], duty=duty["duty"])


def test_the_duties_list_decides_today_by_londons_date(settings):
    """At 00:30 BST on 1 July the UTC date is still 30 June: a duty due on 1 July is due."""
    registers = RegisterService(settings.eventsourcing_env(),
                                clock=lambda: datetime(2027, 6, 30, 23, 30, tzinfo=UTC))
    try:
        registers.register_authority(
            name="Eastmoor District Council", authority_type="district", region="East Midlands",
            actor_id="admin-1", last_self_evaluation=date(2026, 7, 1),
            last_peer_challenge=date(2026, 1, 1))
        [duty] = [d for d in registers.authority_duties() if d["duty"] == "self-evaluation"]
    finally:
        registers.close()
    assert (duty["due"], duty["status"], duty["reminder_on"]) == (
        date(2027, 7, 1), "due", date(2027, 7, 1))


def _empty_but_the_keys(settings) -> None:
    """The schema emptied as a lost database would be, but this host's key store kept:
    a backup holds no keys (docs/records.md)."""
    schema, aside = settings.postgres_schema, f"{settings.postgres_schema}_keys"
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{aside}"')
        for table in KEY_TABLES:
            conn.execute(f'ALTER TABLE "{schema}".{table} SET SCHEMA "{aside}"')
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
        for table in KEY_TABLES:
            conn.execute(f'ALTER TABLE "{aside}".{table} SET SCHEMA "{schema}"')
        conn.execute(f'DROP SCHEMA "{aside}"')


def _restored_copy(settings, tmp_path):
    """The store backed up and restored with the operator's commands."""
    target = settings.model_copy(update={"data_dir": tmp_path / "restored"})  # same schema
    env = dict(os.environ, CASEWORK_STORE=settings.store, CASEWORK_POSTGRES_URL=settings.postgres_url,
               CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema)
    for data_dir, args in ((settings.data_dir, ["backup", str(tmp_path / "backup")]),
                           (target.data_dir, ["restore", str(tmp_path / "backup")])):
        if settings.store == "postgres" and args[0] == "restore":
            _empty_but_the_keys(settings)
        done = subprocess.run([sys.executable, "-m", "deploy.cli", *args],
                              env=dict(env, CASEWORK_DATA_DIR=str(data_dir)),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    return target
