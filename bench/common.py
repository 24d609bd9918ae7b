"""Timing, progress and result records shared by every benchmark."""

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rate(operation: Callable[[], Any], *, count: int) -> float:
    """Operations per second over `count` calls."""
    began = time.perf_counter()
    for _ in range(count):
        operation()
    return count / (time.perf_counter() - began)


def interleaved_rates(operations: dict[str, Callable[[], Any]], *, count: int,
                      rounds: int = 5) -> dict[str, float]:
    """The best rate of each operation over rounds that take turns.

    Taking turns exposes every operation to the same moments of a noisy,
    shared machine; the best round is the least disturbed.
    """
    best = dict.fromkeys(operations, 0.0)
    per_round = max(1, count // rounds)
    for _ in range(rounds):
        for name, operation in operations.items():
            best[name] = max(best[name], rate(operation, count=per_round))
    return best


def best_time(operation: Callable[[], Any], *, repeat: int = 5, number: int = 10) -> float:
    """The fastest mean seconds per call over `repeat` rounds of `number` calls.

    The minimum is the least disturbed by other work on a shared machine.
    """
    rounds = []
    for _ in range(repeat):
        began = time.perf_counter()
        for _ in range(number):
            operation()
        rounds.append((time.perf_counter() - began) / number)
    return min(rounds)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Result:
    """One figure: a ratio against its baseline from the same run, and its target."""

    benchmark: str
    measure: str
    value: float
    baseline: float | None
    unit: str
    target: str
    ratio: float | None = None
    meets_target: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "python": sys.version.split()[0],
            "platform": sys.platform, "load_average": os.getloadavg()}


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")
