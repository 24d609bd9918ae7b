"""A case page with the access log on, beside the same page with it off, in one run.

Two API processes serve one store: one records every read (the service's
default), the other has recording off (CASEWORK_ACCESS_LOG_RECORDING=false, for
this measure only). Requests alternate between them, so the machine's drift falls
on both alike; the log starts with as many records as there are cases, chained,
so that appending meets a log that has been in use. The figure is the ratio of
median page times (target: within 1.2x).
"""

import os
from dataclasses import asdict, fields
from datetime import UTC, datetime

from bench.bench_api import _fill, _free_port, _serve, _stop, _token
from bench.bench_pages import _side_by_side, _signed_in
from bench.common import Result, progress
from bench.stores import throwaway
from domain.access_log import Door, Seen
from services.audit.access_log import GENESIS, AccessLogBook, AccessRecord, record_hash
from services.caselist.migrations import migrate


def _filled_log(settings, count: int) -> None:
    """`count` chained records straight into the table (what a year of reads leaves)."""
    migrate(settings)
    book = AccessLogBook(settings)
    rows, previous, at = [], GENESIS, datetime.now(UTC).isoformat()
    for seq in range(1, count + 1):
        fields_ = dict(seq=seq, at=at, username="bench", role="coordinator",
                       what=str(Seen.PAGE), door=str(Door.PAGE), case_id=None, reference=None,
                       query=None, request_id=f"r{seq}", previous=previous)
        previous = record_hash(fields_)
        rows.append(tuple(asdict(AccessRecord(**fields_, hash=previous)).values()))
    sql = (f"INSERT INTO access_log VALUES ({', '.join('?' * len(fields(AccessRecord)))})")
    try:
        with book._transaction(lock=True) as cursor:
            if book.postgres:
                cursor.cursor.executemany(sql.replace("?", "%s"), rows)
            else:
                cursor.executemany(sql, rows)
    finally:
        book.close()


def access(store: str, *, n_cases: int, rounds: int) -> list[Result]:
    with throwaway(store) as settings:
        progress(f"access log on {store}: storing {n_cases:,} cases and {n_cases:,} reads")
        _fill(settings, n_cases)
        _filled_log(settings, n_cases)
        token = _token(settings)
        env = {**os.environ, "CASEWORK_DATA_DIR": str(settings.data_dir),
               "CASEWORK_STORE": settings.store, "CASEWORK_POSTGRES_URL": settings.postgres_url,
               "CASEWORK_POSTGRES_SCHEMA": settings.postgres_schema,
               "TEMPORAL_ADDRESS": "127.0.0.1:1"}
        on_port, off_port = _free_port(), _free_port()
        recording = _serve("api.main:create_app", env, on_port)
        silent = _serve("api.main:create_app", {**env, "CASEWORK_ACCESS_LOG_RECORDING": "false"},
                        off_port)
        try:
            on = _signed_in(f"http://127.0.0.1:{on_port}", token)
            off = _signed_in(f"http://127.0.0.1:{off_port}", token)
            case_id = on.get("/cases", headers={"Authorization": f"Bearer {token}"},
                             params={"limit": 1}).json()["cases"][0]["case_id"]
            progress(f"access log on {store}: a case page, on beside off, {rounds} rounds")
            with_log, without = _side_by_side(lambda: on.get(f"/case/{case_id}"),
                                              [lambda: off.get(f"/case/{case_id}")], rounds)
            on.close()
            off.close()
        finally:
            _stop(recording)
            _stop(silent)
    return [Result("access log", f"{store}: case page, access log on vs off, "
                   f"{n_cases:,} cases and reads", with_log, without, "ms",
                   "within 1.2x of the same page with recording off",
                   notes="the read recorded before the answer, under the log's write lock")]
