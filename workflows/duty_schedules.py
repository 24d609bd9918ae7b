"""Keeps one Temporal Schedule per authority-level duty, from the registers.

The registers know when each authority's self-evaluation (yearly) and
corporate peer challenge (every three to four years) falls due; each duty is
reminded of at 9am London time on its due day, or the next working day when
that is a weekend or a bank holiday (domain/authorities.py), and a duty
already due or overdue at once on a working day, else at 9am on the next one.
When a duty is done its due day moves on and the next refresh moves its
schedule with it; the worker runs this at start and then every so often, and a
refresh within the same round (the duty not done since) reminds no one again.

Schedules are computed here, outside any workflow, so no running workflow's
history depends on the working-day rule.
"""

import asyncio
from datetime import UTC, date, datetime, time
from typing import Any

from domain.authorities import DUTY_REMINDER_TIME, duty_reminder_at
from services.cases.workflow_contract import AuthorityDuty, authority_schedule_id
from services.cases.workflow_gateway import WorkflowGateway
from services.registers.service import RegisterService
from services.reminders.duty_reminders import DutyReminders


def due_day(due: Any) -> date:
    return due if isinstance(due, date) else date.fromisoformat(str(due))


async def schedule_authority_duties(registers: RegisterService, gateway: WorkflowGateway, *,
                                    now: datetime | None = None,
                                    at: time = DUTY_REMINDER_TIME,
                                    reminders: DutyReminders | None = None) -> int:
    """Create or refresh every duty's schedule; returns how many there are.

    `at` is the time of day on the due day (9am in service; a test sets it seconds ahead).
    A round `reminders` records as reminded already is not reminded again at once: after
    a restore, Temporal's schedules are made anew but the store remembers.
    """
    now = now or datetime.now(UTC)
    duties = await asyncio.to_thread(registers.authority_duties)
    for duty in duties:
        this_round = cycle(duty, at)
        reminding = AuthorityDuty(authority_id=duty["authority_id"], authority=duty["authority"],
                                  region=duty["region"], duty=duty["duty"], round=this_round)
        reminded = reminders is not None and await asyncio.to_thread(
            reminders.reminded, authority_schedule_id(duty["authority_id"], duty["duty"]),
            this_round)
        await gateway.schedule_authority_duty(
            reminding, due_at=duty_reminder_at(due_day(duty["due"]), at, now=now), now=now,
            cycle=this_round, earlier=(cycle_before_working_days(duty, at),),
            reminded=reminded)
    return len(duties)


def cycle(duty: dict[str, Any], at: time) -> str:
    """One round of a duty lasts until it is next recorded done: its last doing names
    the round, and an overdue duty is then reminded once, not at every refresh."""
    return f"{cycle_before_working_days(duty, at)} on a working day"


def cycle_before_working_days(duty: dict[str, Any], at: time) -> str:
    """The same round as schedules made before reminders kept to working days named it:
    such a schedule is moved to its working day, without reminding anyone again."""
    return f"last done {duty['last_done'] or 'never'}; reminded at {at.isoformat()}"
