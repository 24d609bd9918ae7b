"""Keeps one Temporal Schedule per authority-level duty, from the registers.

The registers know when each authority's self-evaluation (yearly) and
corporate peer challenge (every three to four years) falls due; this turns
that list into schedules. Creating a schedule again replaces it, so the worker
simply runs this at start and then every so often.
"""

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.authorities import PEER_CHALLENGE_FROM_YEARS, SELF_EVALUATION
from services.escalation import AuthorityDuty
from services.registers import RegisterService
from services.workflow_gateway import WorkflowGateway

YEAR = timedelta(days=365)


def every(duty: str) -> timedelta:
    return YEAR if duty == SELF_EVALUATION else YEAR * PEER_CHALLENGE_FROM_YEARS


def first_due(due: Any, now: datetime) -> datetime:
    """The duty's due day (9am UTC), or now if it is already due or overdue."""
    day = due if isinstance(due, date) else date.fromisoformat(str(due))
    moment = datetime.combine(day, time(9), tzinfo=UTC)
    return max(moment, now)


async def schedule_authority_duties(registers: RegisterService, gateway: WorkflowGateway, *,
                                    now: datetime | None = None) -> int:
    """Create or refresh every duty's schedule; returns how many there are."""
    now = now or datetime.now(UTC)
    duties = await asyncio.to_thread(registers.authority_duties)
    for duty in duties:
        await gateway.schedule_authority_duty(
            AuthorityDuty(authority_id=duty["authority_id"], authority=duty["authority"],
                          region=duty["region"], duty=duty["duty"]),
            every=every(duty["duty"]), first_due=first_due(duty["due"], now))
    return len(duties)
