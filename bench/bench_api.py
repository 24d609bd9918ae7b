"""The HTTP API: commands per second at 1, 4 and 16 clients, the API's peak memory, and
the write as people make it (`write_path`): latency with the workflow told, beside none.

The API runs as its own uvicorn process, as in production, on a store holding
`n_cases` cases; the floor is a raw single-row insert on the same kind of store.
Requests come from a lean keep-alive client (bench/http_load.py), so that the
load generator does not take the server's share of the two cores.
"""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx

from bench.bench_store import ACTOR, CONCERN
from bench.common import Result, percentile, progress, rate
from bench.http_load import Load, post_many, prepare, prepare_each, send_many
from bench.stores import RawFloor, throwaway
from deploy.run import dev_server_argv
from domain.calendar import PolicyDuration
from domain.case import Case
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from services.identity.service import build_identity_service
from services.registers.service import RegisterService


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fill(settings, n_cases: int) -> None:
    cases = CaseService(settings.eventsourcing_env(), diagnosis_deadline=PolicyDuration.parse("10"))
    now = datetime.now(UTC)
    for first in range(0, n_cases, 1000):
        cases.save(*[Case.raise_concern(**CONCERN, raised_at=now,
                                        diagnosis_due=now + timedelta(days=14), **ACTOR)
                     for _ in range(min(1000, n_cases - first))])
        if first and first % 20_000 == 0:
            progress(f"  {first:,} cases stored")
    CaseListView(settings).catch_up(cases, batch_size=5000)
    cases.close()
    registers = RegisterService(settings.eventsourcing_env())
    registers.register_authority(actor_id="bench", name=CONCERN["authority"],
                                 authority_type="county", region=CONCERN["region"])
    registers.close()


def _token(settings) -> str:
    identity = build_identity_service(settings)
    identity.register_user(username="bench", role="coordinator", region=CONCERN["region"])
    token = identity.issue_token("bench")
    identity.close()
    return token


def _env(settings, port: int) -> dict[str, str]:
    env = dict(os.environ, CASEWORK_DATA_DIR=str(settings.data_dir), CASEWORK_STORE=settings.store,
               CASEWORK_POSTGRES_URL=settings.postgres_url,
               CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema, CASEWORK_API_PORT=str(port),
               TEMPORAL_ADDRESS="127.0.0.1:1")  # no Temporal: only the HTTP path is measured
    return env


class MemoryWatch:
    """The API's memory, sampled while it serves: the peak of what it holds itself
    (anonymous and shared memory) beside the peak resident set, which also counts the
    SQLite file's pages the side tables read through memory-mapped I/O. Those are the
    kernel's file cache, shared and given back under pressure, not the process's own."""

    FIELDS = ("RssAnon", "RssFile", "RssShmem", "VmHWM")

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.pid, self.every = pid, every
        self.peaks = dict.fromkeys(self.FIELDS, 0.0)
        self.own_peak = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        now = dict.fromkeys(self.FIELDS, 0.0)
        with contextlib.suppress(OSError), open(f"/proc/{self.pid}/status") as status:
            for line in status:
                name = line.split(":", 1)[0]
                if name in now:
                    now[name] = int(line.split()[1]) / 1024
        for name, mb in now.items():
            self.peaks[name] = max(self.peaks[name], mb)
        self.own_peak = max(self.own_peak, now["RssAnon"] + now["RssShmem"])

    def _watch(self) -> None:
        while not self._done.wait(self.every):
            self._sample()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
        self._sample()


async def _post_cases(port: int, token: str, *, clients: int, requests: int,
                      idempotency_keys: bool = False) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    if idempotency_keys:
        headers["Idempotency-Key"] = "{uuid}"
    return await post_many(port, prepare("/cases", CONCERN, headers), clients=clients,
                           requests=requests)


async def _browse(url: str, token: str, rounds: int = 50) -> None:
    """What a busy coordinator does: list pages, filter, read cases."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        cursor = None
        for _ in range(rounds):
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = (await http.get("/cases", params=params)).json()
            cursor = page.get("next_cursor") if isinstance(page, dict) else None
            await http.get("/cases", params={"stage": "local", "status": "open"})


def _serve(app: str, env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *(["--factory"] if app.startswith("api.") else []),
         app, "--port", str(port), "--log-level", "warning"], env=env)
    _wait_until_up(f"http://127.0.0.1:{port}", process)
    return process


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def _bare_rates(token: str, requests: int) -> dict[int, float]:
    """The bare FastAPI endpoint's rate at each client count (bench/bare_api.py)."""
    port = _free_port()
    process = _serve("bench.bare_api:app", dict(os.environ), port)
    try:
        return {clients: asyncio.run(_post_cases(port, token, clients=clients,
                                                 requests=requests))
                for clients in (1, 4, 16)}
    finally:
        _stop(process)


def api(store: str, *, n_cases: int, requests: int) -> list[Result]:
    with throwaway(store) as settings:
        progress(f"api on {store}: storing {n_cases:,} cases for the API to serve")
        _fill(settings, n_cases)
        token = _token(settings)
        floor = RawFloor(settings)
        progress(f"api on {store}: a bare FastAPI endpoint, the framework's ceiling")
        bare = _bare_rates(token, requests)
        port = _free_port()
        process = _serve("api.main:create_app", _env(settings, port), port)
        memory = MemoryWatch(process.pid)
        try:
            results = []
            for clients in (1, 4, 16):
                progress(f"api on {store}: {requests} POST /cases with {clients} clients")
                floor_rate, per_second = _beside_floor(floor, requests, lambda: asyncio.run(
                    _post_cases(port, token, clients=clients, requests=requests)))
                results.append(Result(
                    "append", f"{store}: HTTP API, {clients} concurrent client(s)", per_second,
                    floor_rate, "commands/s", ">= 25% of the raw insert floor",
                    notes="floor measured just before and after; a bare FastAPI endpoint "
                          "that stores nothing is in extra",
                    extra={"bare_fastapi_per_s": bare[clients],
                           "bare_fastapi_ratio_to_floor": bare[clients] / floor_rate,
                           "ratio_to_bare_fastapi": per_second / bare[clients]}))
            results.append(_keyed_beside_unkeyed(store, port, token, requests))
            progress(f"api on {store}: browsing the case list, then reading peak memory")
            asyncio.run(_browse(f"http://127.0.0.1:{port}", token))
            memory.stop()
            results.append(Result(
                "memory", f"{store}: API peak memory of its own serving {n_cases:,} cases",
                memory.own_peak, None, "MB", "<= 300 MB",
                notes="anonymous and shared resident memory, sampled every 50 ms; the peak "
                      "resident set (VmHWM) also counts mapped file pages, in extra",
                extra={f"peak_{name}_mb": mb for name, mb in memory.peaks.items()}))
            return results
        finally:
            _stop(process)
            floor.close()


def _keyed_beside_unkeyed(store: str, port: int, token: str, requests: int,
                         rounds: int = 4) -> Result:
    """POST /cases with and without an Idempotency-Key, 4 clients: the best of rounds
    that take turns, as `interleaved_rates` does, so both meet the same noisy moments."""
    progress(f"api on {store}: {requests} POST /cases with and without Idempotency-Keys")
    runs: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for keyed in (False, True):
            runs[keyed].append(asyncio.run(_post_cases(
                port, token, clients=4, requests=requests, idempotency_keys=keyed)))
    return Result("append", f"{store}: HTTP API with Idempotency-Key, 4 clients",
                  max(runs[True]), max(runs[False]), "commands/s",
                  ">= 80% of the rate without keys",
                  notes="baseline: the same requests without keys, best of rounds taking "
                        "turns; a key's outcome is saved in the same transaction as the "
                        "case's event",
                  extra={"with_keys_per_s": runs[True], "without_keys_per_s": runs[False]})


def _beside_floor(floor: RawFloor, count: int, measure) -> tuple[float, float]:
    """(floor rate, measured rate): the floor taken just before and just after, averaged,
    because the machine's speed drifts within a run."""
    before = rate(floor.insert, count=count)
    measured = measure()
    return (before + rate(floor.insert, count=count)) / 2, measured


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    for _ in range(120):
        if process.poll() is not None:
            raise RuntimeError("the API process exited during start-up")
        try:
            httpx.get(f"{url}/openapi.json", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError("the API never answered")


# -- The write as people make it: with the workflow told, beside the same without ------

INTELLIGENCE = dict(content="Two senior officers resigned this month",
                    source="Chief executive of a neighbouring council")
WRITE_CLIENTS = (1, 4)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _opens_then_commands(port: int, token: str, *, requests: int, bare: bool = False,
                               clients: tuple[int, ...] = WRITE_CLIENTS
                               ) -> dict[tuple[str, int], Load]:
    """At each client count: `requests` cases opened, then one command on each of them
    (intelligence added, on the version the opening answered with)."""
    measured: dict[tuple[str, int], Load] = {}
    counts = clients
    for clients in counts:
        opened = await send_many(port, prepare("/cases", CONCERN, _auth(token)),
                                 clients=clients, requests=requests, keep_bodies=True)
        measured["open", clients] = opened
        cases = [(uuid.uuid4().hex, 1) if bare else (case["id"], case["version"])
                 for case in map(json.loads, opened.bodies)]
        commands = prepare_each([(f"/cases/{case_id}/intelligence", INTELLIGENCE,
                                  {**_auth(token), "If-Match": f'"{version}"'})
                                 for case_id, version in cases])
        measured["command", clients] = await send_many(port, commands, clients=clients,
                                                       requests=len(cases))
    return measured


def _measure(port: int, token: str, requests: int, *, bare: bool = False
             ) -> dict[tuple[str, int], Load]:
    asyncio.run(_opens_then_commands(port, token, requests=20, bare=bare))  # warm up
    return asyncio.run(_opens_then_commands(port, token, requests=requests, bare=bare))


def _ready_store(settings) -> str:
    """A store with the bench's council registered; the coordinator's token."""
    registers = RegisterService(settings.eventsourcing_env())
    registers.register_authority(actor_id="bench", name=CONCERN["authority"],
                                 authority_type="county", region=CONCERN["region"])
    registers.close()
    return _token(settings)


@contextlib.contextmanager
def _temporal_as_make_run_has_it(settings) -> Iterator[str]:
    """The Temporal dev server (its history in a file in the data directory) and the
    worker process, started as `make run` starts them; yields the server's address."""
    dev = settings.model_copy(update={"dev_temporal_port": _free_port(),
                                      "dev_temporal_ui_port": _free_port()})
    address = f"127.0.0.1:{dev.dev_temporal_port}"
    server = subprocess.Popen(dev_server_argv(dev, "127.0.0.1"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    worker = None
    try:
        _wait_for_port(dev.dev_temporal_port)
        worker = subprocess.Popen([sys.executable, "-m", "workflows.worker"],
                                  env=_env(settings, 0) | {"TEMPORAL_ADDRESS": address,
                                                           "CASEWORK_WORKER_METRICS_PORT": "0"})
        yield address
    finally:
        for process in (worker, server):
            if process is not None:
                _stop(process)


def _wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port}")


def _wait_until_ready(port: int, timeout: float = 60) -> None:
    """Until the API says it reaches both the store and Temporal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=5).status_code == 200:
            return
        time.sleep(0.5)
    raise RuntimeError("the API never reached Temporal")


def _our_api(store: str, requests: int, *, temporal: bool) -> dict[tuple[str, int], Load]:
    with throwaway(store) as settings:
        token = _ready_store(settings)
        port = _free_port()
        if not temporal:
            process = _serve("api.main:create_app", _env(settings, port), port)
            try:
                return _measure(port, token, requests)
            finally:
                _stop(process)
        with _temporal_as_make_run_has_it(settings) as address:
            process = _serve("api.main:create_app",
                             _env(settings, port) | {"TEMPORAL_ADDRESS": address}, port)
            try:
                _wait_until_ready(port)
                time.sleep(3)  # the worker polling its task queues
                return _measure(port, token, requests)
            finally:
                _stop(process)


def _ms(load: Load, p: float) -> float:
    return percentile(load.seconds, p) * 1000


def _figures(load: Load) -> dict[str, float]:
    return {"p50_ms": _ms(load, 50), "p99_ms": _ms(load, 99), "per_s": load.per_second}


def write_path(store: str, *, requests: int) -> list[Result]:
    """Opening a case and a command on it through the API, at 1 and 4 clients: with the
    Temporal dev server and the worker running as `make run` has them, beside the same
    API with no Temporal to tell and beside the bare FastAPI endpoints (the ceiling)."""
    progress(f"write path on {store}: the bare FastAPI endpoints")
    port = _free_port()
    process = _serve("bench.bare_api:app", dict(os.environ), port)
    try:
        bare = _measure(port, "bench", requests, bare=True)
    finally:
        _stop(process)
    progress(f"write path on {store}: the API with no Temporal to tell")
    alone = _our_api(store, requests, temporal=False)
    progress(f"write path on {store}: the API, the worker and a dev server as `make run`")
    told = _our_api(store, requests, temporal=True)
    load = os.getloadavg()[0]
    results = []
    for (kind, clients), with_temporal in told.items():
        without, ceiling = alone[kind, clients], bare[kind, clients]
        what = "open a case" if kind == "open" else "a command on an open case"
        extra = {"with_temporal": _figures(with_temporal), "without_temporal": _figures(without),
                 "bare_fastapi": _figures(ceiling), "load_average": load}
        results.append(Result(
            "write path", f"{store}: {what} through the API, {clients} client(s), p50 "
            "with Temporal and the worker as make run has them",
            _ms(with_temporal, 50), _ms(without, 50), "ms", "within 2x of no workflow to tell",
            notes=f"p99 {_ms(with_temporal, 99):.1f} ms with Temporal, "
                  f"{_ms(without, 99):.1f} ms without", extra=extra))
        if clients == 4:
            for told_or_not, measured in (("with Temporal", with_temporal),
                                          ("no Temporal", without)):
                results.append(Result(
                    "write path", f"{store}: {what} through the API, 4 clients, {told_or_not}, "
                    "against the bare FastAPI endpoint", measured.per_second,
                    ceiling.per_second, "commands/s", ">= 60% of the bare FastAPI endpoint",
                    notes="the bare endpoint validates the same body, reads the same headers "
                          "and stores nothing", extra=extra))
    return results


GROUP_CLIENTS = (1, 16)


def _commands_alone(store: str, requests: int, *, group_commit: bool
                    ) -> dict[tuple[str, int], Load]:
    """Cases opened, then a command on each, by the API with no Temporal to tell, its
    store committing writes in groups or each on its own (`CASEWORK_GROUP_COMMIT`)."""
    with throwaway(store) as settings:
        token = _ready_store(settings)
        port = _free_port()
        env = _env(settings, port) | {"CASEWORK_GROUP_COMMIT": "on" if group_commit else "off"}
        process = _serve("api.main:create_app", env, port)
        try:
            asyncio.run(_opens_then_commands(port, token, requests=20, clients=(16,)))
            return asyncio.run(_opens_then_commands(port, token, requests=requests,
                                                    clients=GROUP_CLIENTS))
        finally:
            _stop(process)


def group_commit(store: str, *, requests: int) -> list[Result]:
    """Commands on open cases at 1 and 16 clients, with group commit beside one commit per
    write, each measured twice in the order off, on, on, off so that a machine growing
    busier or quieter through the section favours neither."""
    runs: dict[bool, list[dict[tuple[str, int], Load]]] = {True: [], False: []}
    for grouped in (False, True, True, False):
        progress(f"group commit on {store}: {'on' if grouped else 'off'}")
        runs[grouped].append(_commands_alone(store, requests, group_commit=grouped))
    results = []
    for clients in GROUP_CLIENTS:
        on, off = ([run["command", clients] for run in runs[grouped]] for grouped in (True, False))
        wanted = ">= 100% of one commit per write" if clients > 1 else (
            ">= 90% of one commit per write (a lone writer pays nearly nothing for it)")
        results.append(Result(
            "group commit", f"{store}: a command on an open case through the API, "
            f"{clients} client(s), group commit against one commit per write",
            sum(load.per_second for load in on) / 2, sum(load.per_second for load in off) / 2,
            "commands/s", wanted,
            notes=f"p99 {_ms(on[0], 99):.1f} / {_ms(on[1], 99):.1f} ms grouped, "
                  f"{_ms(off[0], 99):.1f} / {_ms(off[1], 99):.1f} ms one by one",
            extra={"group_commit": [_figures(load) for load in on],
                   "one_commit_per_write": [_figures(load) for load in off],
                   "load_average": os.getloadavg()[0]}))
    return results
