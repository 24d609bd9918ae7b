"""The pages beside the JSON endpoints they are built on, over a store of 100,000 cases.

My work is built on `GET /cases` (a page of 25); a case page on `GET /cases/{id}`,
`/history` and `/verification`. Both run in the same API process, requests
alternating page and JSON so that the machine's drift falls on both alike;
the figure is the ratio of median times (target: a page within 3x its JSON).
"""

import os
import re
import statistics
import time
from collections.abc import Callable
from uuid import UUID

import httpx

from bench.bench_api import _fill, _free_port, _serve, _stop, _token
from bench.bench_store import ACTOR
from bench.common import Result, progress
from bench.stores import throwaway
from services.cases.service import CaseService


def _median_ms(call: Callable[[], httpx.Response], samples: list[float],
               before: Callable[[], object] | None = None) -> None:
    if before is not None:
        before()  # untimed
    began = time.perf_counter()
    answer = call()
    samples.append((time.perf_counter() - began) * 1000)
    assert answer.status_code == 200, answer.status_code


def _side_by_side(page: Callable[[], httpx.Response], json: list[Callable[[], httpx.Response]],
                  rounds: int, before: Callable[[], object] | None = None
                  ) -> tuple[float, float]:
    """(median page ms, median of the JSON calls' summed ms), alternating each round;
    `before` runs, untimed, before each call."""
    pages: list[float] = []
    sums: list[float] = []
    for _ in range(rounds):
        _median_ms(page, pages, before)
        parts: list[float] = []
        for call in json:
            _median_ms(call, parts, before)
        sums.append(sum(parts))
    return statistics.median(pages), statistics.median(sums)


def _note(cases: CaseService, case_id: UUID) -> Callable[[], object]:
    """Records one event on a case, so that the list has moved on when the next request
    reads it."""
    return lambda: cases.add_intelligence(case_id, content="A note", source="bench",
                                          confidentiality="normal", actor_id=ACTOR["actor_id"],
                                          actor_role=ACTOR["actor_role"])


def _signed_in(url: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    form = client.get("/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    client.post("/sign-in", data={"csrf_token": csrf, "token": token, "next": "/my-work"})
    return client


def pages(store: str, *, n_cases: int, rounds: int) -> list[Result]:
    with throwaway(store) as settings:
        progress(f"pages on {store}: storing {n_cases:,} cases")
        _fill(settings, n_cases)
        token = _token(settings)
        port = _free_port()
        env = {"CASEWORK_DATA_DIR": str(settings.data_dir), "CASEWORK_STORE": settings.store,
               "CASEWORK_POSTGRES_URL": settings.postgres_url,
               "CASEWORK_POSTGRES_SCHEMA": settings.postgres_schema,
               "TEMPORAL_ADDRESS": "127.0.0.1:1"}
        process = _serve("api.main:create_app", {**os.environ, **env}, port)
        url = f"http://127.0.0.1:{port}"
        bearer = {"Authorization": f"Bearer {token}"}
        writer = CaseService(settings.eventsourcing_env())
        try:
            browser = _signed_in(url, token)
            with httpx.Client(base_url=url, headers=bearer, timeout=120) as api:
                case_id, other_id = (row["case_id"] for row in api.get(
                    "/cases", params={"limit": 2}).json()["cases"])
                progress(f"pages on {store}: My work beside GET /cases, {rounds} rounds")
                work, listing = _side_by_side(
                    lambda: browser.get("/my-work"),
                    [lambda: api.get("/cases", params={"limit": 25, "status": "open"})], rounds)
                progress(f"pages on {store}: the same, an event recorded before each request")
                moved, moved_listing = _side_by_side(
                    lambda: browser.get("/my-work"),
                    [lambda: api.get("/cases", params={"limit": 25, "status": "open"})], rounds,
                    before=_note(writer, UUID(other_id)))
                progress(f"pages on {store}: a case page beside its JSON, {rounds} rounds")
                case_page, case_json = _side_by_side(
                    lambda: browser.get(f"/case/{case_id}"),
                    [lambda: api.get(f"/cases/{case_id}"),
                     lambda: api.get(f"/cases/{case_id}/history"),
                     lambda: api.get(f"/cases/{case_id}/verification")], rounds)
            browser.close()
        finally:
            writer.close()
            _stop(process)
        return [
            Result("pages", f"{store}: My work page, {n_cases:,} cases", work, listing, "ms",
                   "within 3x of GET /cases (25 a page)",
                   notes="the page also counts the worklist (its total kept for the list's "
                         "position) and lists proposals awaiting a decision"),
            Result("pages", f"{store}: My work page, list moved on, {n_cases:,} cases", moved,
                   moved_listing, "ms", "within 3x of GET /cases (25 a page)",
                   notes="an event recorded before each request: both catch up, and the "
                         "page counts the whole worklist again"),
            Result("pages", f"{store}: case page, {n_cases:,} cases", case_page, case_json, "ms",
                   "within 3x of GET /cases/{id} + /history + /verification"),
        ]
