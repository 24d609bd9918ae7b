"""`make bench`: every figure beside its baseline from the same run.

Writes bench/results/<timestamp>.json and .md (git ignores the folder) and
prints the Markdown table. `BENCH_QUICK=1` runs smaller sizes for a smoke test;
`BENCH_ONLY=api,workflows` runs only the sections named (`api` includes the write
path, which `BENCH_ONLY=writes` runs alone, and group commit beside one commit per
write, which `BENCH_ONLY=groups` runs alone; `BENCH_ONLY=encryption`: what encryption
at rest costs, each figure beside the same work on a store built without it,
`CASEWORK_ENCRYPTION=off`, which nothing else uses); `BENCH_ONLY=rebuild`
runs the scale section's read-model rebuild without its reminder burst;
`BENCH_ONLY=burst` runs the workflows section's bursts without its start rate and lateness;
`BENCH_BURST=300` sets the bursts' size (1,000 reminders, 200 when quick).
"""

import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from bench import (
    bench_access,
    bench_api,
    bench_encryption,
    bench_pages,
    bench_queries,
    bench_scale,
    bench_search,
    bench_store,
    bench_workflows,
)
from bench.common import Result, machine, progress
from bench.stores import postgres_available, throwaway
from deploy.run import temporal_binary

RESULTS = Path(__file__).parent / "results"


def _judge(result: Result) -> Result:
    """Fill in the ratio and whether it meets its target."""
    if result.baseline:
        result.ratio = result.value / result.baseline
    target = result.target
    if result.unit.endswith("/s") and result.ratio is not None:
        wanted = float(target.split("%")[0].split()[-1]) / 100
        result.meets_target = result.ratio >= wanted
    elif target.startswith("at least ") and target.endswith("x"):
        result.meets_target = result.value >= float(target.split()[2].rstrip("x"))
    elif target.startswith("at most ") and target.endswith("x of one worker"):
        result.meets_target = result.ratio is not None and result.ratio <= float(
            target.split()[2].rstrip("x"))
    elif within := re.search(r"within ([0-9.]+)x", target):
        result.meets_target = result.ratio is not None and result.ratio <= float(within[1])
    elif "p99 within 2 s" in target:
        result.meets_target = result.value <= 2
    elif "MB" in target:
        result.meets_target = result.value <= float(target.split()[1])
    return result


def markdown(results: list[Result], facts: dict) -> str:
    lines = [f"Machine: {facts['cores']} cores, Python {facts['python']}, "
             f"load average at start {facts['load_average'][0]:.2f}.", "",
             "| benchmark | measure | value | baseline | ratio | target | met |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        baseline = f"{r.baseline:,.2f} {r.unit}" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        met = {True: "yes", False: "**no**", None: "-"}[r.meets_target]
        lines.append(f"| {r.benchmark} | {r.measure} | {r.value:,.2f} {r.unit} | {baseline} "
                     f"| {ratio} | {r.target} | {met} |")
    return "\n".join(lines) + "\n"


async def _workflows(quick: bool, stores: list[str], *, lateness: bool = True) -> list[Result]:
    """Start rate and lateness on SQLite (unless `lateness` is False); then the reminder
    burst on each store beside the bare Temporal burst, all on one dev server."""
    progress("starting a Temporal dev server for the workflow benchmarks")
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_binary(),
                                                dev_server_log_level="error")
    n = int(os.environ.get("BENCH_BURST", 200 if quick else 1000))
    try:
        results: list[Result] = []
        if lateness:
            with throwaway("sqlite") as settings:
                results = await bench_workflows.workflows(env.client, settings,
                                                          n=100 if quick else 1000,
                                                          lead=20 if quick else 45)
        with contextlib.ExitStack() as opened:
            chosen = {store: opened.enter_context(throwaway(store)) for store in stores}
            return results + await bench_workflows.bursts(env.client, chosen, n=n,
                                                          lead=20 if quick else 60)
    finally:
        await env.shutdown()


SECTIONS = ("append", "load", "encryption", "queries", "search", "api", "writes", "groups",
            "pages", "access", "workflows", "burst", "scale", "rebuild")


def _sections(named: str) -> set[str]:
    """BENCH_ONLY=api,workflows runs those sections; empty runs them all."""
    chosen = {n.strip() for n in named.split(",") if n.strip()} or set(SECTIONS)
    unknown = chosen - set(SECTIONS)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown section(s) {sorted(unknown)}; "
                         f"choose from {', '.join(SECTIONS)}")
    return chosen


def _queries(store: str, quick: bool) -> list[Result]:
    with throwaway(store) as settings:
        return bench_queries.queries(store, settings, n_cases=10_000 if quick else 100_000)


def _search(store: str, quick: bool) -> list[Result]:
    with throwaway(store) as settings:
        return bench_search.searches(store, settings, n_cases=10_000 if quick else 100_000)


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    facts = machine()
    began = time.monotonic()
    stores = ["sqlite"] + (["postgres"] if postgres_available() else [])
    if "postgres" not in stores:
        progress("PostgreSQL does not answer at 127.0.0.1:5432; measuring SQLite only")
    only = _sections(os.environ.get("BENCH_ONLY", ""))
    results: list[Result] = []

    def measure(name: str, run: Callable[[], list[Result]]) -> None:
        """One section's results; a section that fails is reported, and the others kept."""
        try:
            results.extend(run())
        except Exception as failure:  # noqa: BLE001 - a bench run reports, it does not stop
            progress(f"{name}: FAILED ({type(failure).__name__}: {failure}); going on")

    for store in stores:
        if "append" in only:
            measure("append", lambda s=store: bench_store.append(s, count=200 if quick else 1000))
        if "load" in only:
            measure("load", lambda s=store: bench_store.load(s))
        if "encryption" in only:
            measure("encryption", lambda s=store: bench_encryption.encryption(
                s, count=200 if quick else 1000))
        if "queries" in only:
            measure("queries", lambda s=store: _queries(s, quick))
        if "search" in only:
            measure("search", lambda s=store: _search(s, quick))
        if "api" in only:
            measure("api", lambda s=store: bench_api.api(
                s, n_cases=10_000 if quick else 100_000, requests=100 if quick else 400))
        if only & {"api", "writes"}:
            measure("writes", lambda s=store: bench_api.write_path(
                s, requests=40 if quick else 200))
        if only & {"api", "groups"}:
            measure("groups", lambda s=store: bench_store.writers_at_once(
                s, count=320 if quick else 1600))
            measure("groups", lambda s=store: bench_api.group_commit(
                s, requests=100 if quick else 800))
        if "pages" in only:
            measure("pages", lambda s=store: bench_pages.pages(
                s, n_cases=10_000 if quick else 100_000, rounds=20 if quick else 100))
        if "access" in only:
            measure("access", lambda s=store: bench_access.access(
                s, n_cases=10_000 if quick else 100_000, rounds=40 if quick else 200))
    if only & {"workflows", "burst"}:
        measure("workflows", lambda: asyncio.run(_workflows(quick, stores,
                                                            lateness="workflows" in only)))
    if only & {"scale", "rebuild"} and "postgres" in stores:
        measure("scale", lambda: bench_scale.run(quick=quick, with_burst="scale" in only))
    results = [_judge(r) for r in results]
    facts["seconds"] = round(time.monotonic() - began, 1)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(
        {"machine": facts, "results": [r.as_dict() for r in results]}, indent=2, default=str))
    table = markdown(results, facts)
    (RESULTS / f"{stamp}.md").write_text(table)
    print(table)
    progress(f"done in {facts['seconds']:.0f}s; results in {RESULTS}/{stamp}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
