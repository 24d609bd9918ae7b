"""Where a run's CPU time goes, from /proc: the whole machine and each part of the service.

A ratio such as "2 workers beside 1" says little on a 2-core machine unless we
know whether the cores were already full. Sampling the machine's busy time and
each process group's CPU seconds over the same window shows how many cores
were busy, and which part (the workers, the Temporal server, PostgreSQL, the
load itself) used them: what one more core could have bought.
"""

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    """CPU seconds spent busy by all cores since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


def _process_seconds() -> dict[int, tuple[str, float]]:
    """Every process's name and CPU seconds (user + system) so far."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        name = text[text.index("(") + 1:text.rindex(")")]
        rest = text[text.rindex(")") + 2:].split()
        found[int(entry.name)] = (name, (int(rest[11]) + int(rest[12])) / TICKS)
    return found


@dataclass(frozen=True)
class Sample:
    busy: float
    processes: dict[int, tuple[str, float]]

    @classmethod
    def now(cls) -> "Sample":
        return cls(_machine_busy(), _process_seconds())


def shares(before: Sample, after: Sample, wall_s: float, workers: set[int]) -> dict[str, float]:
    """Busy cores over the window, and each group's CPU seconds in it."""
    groups = {"workers": 0.0, "temporal": 0.0, "postgres": 0.0, "bench": 0.0, "other": 0.0}
    for pid, (name, seconds) in after.processes.items():
        spent = seconds - before.processes.get(pid, (name, 0.0))[1]
        if pid in workers:
            groups["workers"] += spent
        elif name.startswith("temporal"):
            groups["temporal"] += spent
        elif name.startswith("postgres"):
            groups["postgres"] += spent
        elif pid == os.getpid():
            groups["bench"] += spent
        else:
            groups["other"] += spent
    return {"wall_s": wall_s, "busy_cores": (after.busy - before.busy) / wall_s,
            "cores": float(os.cpu_count() or 1),
            **{f"{k}_cpu_s": round(v, 2) for k, v in groups.items()}}


async def sample_at(moment: datetime) -> Sample:
    """The machine's CPU counters at `moment` (when the reminders fall due, say)."""
    await asyncio.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0))
    return Sample.now()
