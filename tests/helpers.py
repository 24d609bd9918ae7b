"""Small helpers shared by the tests."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

OPEN_CASE = dict(
    authority="Northshire County Council",
    region="North West",
    summary="Children's services judged inadequate",
    source="inspectorate report",
    issue_type="service-specific issue",
)


EXIT_STRATEGY = dict(
    handover="Into the council's continuous budget and performance improvement cycle",
    led_by="The chief executive")
"""What a case handed back as improved must say (seed 004's Liverpool study)."""


async def eventually(check: Callable[[], T | Awaitable[T]], *, timeout: float = 20,
                     interval: float = 0.2) -> T:
    """Poll until `check` returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value or time.monotonic() > deadline:
            assert value, f"still {value!r} after {timeout}s"
            return value
        await asyncio.sleep(interval)


def event_types(history: list[dict]) -> list[str]:
    return [e["type"] for e in history]
