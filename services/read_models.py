"""Read models for the case list and the regional picture.

A projector follows the event store's notification log (polling: the SQLite
recorder cannot subscribe) and keeps one row per case. The row and the
tracking position are written in one transaction, under a lock on the
tracking row, so every event is applied exactly once even across crashes and
with several projectors running. Rows are computed from the case as the domain
itself sees it at that version, so no rule is written twice.

`python -m services.read_models rebuild` rebuilds the tables from scratch.
"""

import base64
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool

from services.cases import CaseService
from services.settings import Settings

CASE_TOPIC_PREFIX = "domain.case:Case."
PROJECTION = "case_list"

_COLUMNS = ("case_id", "authority", "region", "stage", "status", "issue_type",
            "risk_score", "risk_band", "raised_at", "next_due", "version")
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS case_list (
        case_id TEXT PRIMARY KEY, authority TEXT NOT NULL, region TEXT NOT NULL,
        stage TEXT NOT NULL, status TEXT NOT NULL, issue_type TEXT NOT NULL,
        risk_score INTEGER, risk_band TEXT, raised_at TEXT NOT NULL, next_due TEXT,
        version INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS case_list_stage_risk ON case_list (stage, risk_band, raised_at)",
    "CREATE INDEX IF NOT EXISTS case_list_region ON case_list (region, status, raised_at)",
    "CREATE INDEX IF NOT EXISTS case_list_order ON case_list (raised_at, case_id)",
    """CREATE TABLE IF NOT EXISTS read_model_tracking (
        projection TEXT PRIMARY KEY, position INTEGER NOT NULL)""",
]


def _iso(value: Any) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if isinstance(value, datetime) else value


def _risk(view: dict[str, Any]) -> tuple[int | None, str | None]:
    """The residual risk if assessed, else the inherent one."""
    risk = view.get("risk") or {}
    latest = risk.get("residual") or risk.get("inherent") or {}
    return latest.get("score"), latest.get("band")


def row_for(view: dict[str, Any]) -> tuple:
    score, band = _risk(view)
    due = [d for d in (view.get("deadlines") or {}).values() if d is not None]
    return (str(view["id"]), view["authority"], view["region"], view["stage"], view["status"],
            view["issue_type"], score, band, _iso(view["raised_at"]),
            _iso(min(due)) if due else None, view["version"])


class CaseListView:
    """The case list and regional picture, in the event store's own database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.postgres = settings.store == "postgres"
        self._local = threading.local()
        self._sqlite_connections: list[sqlite3.Connection] = []
        if self.postgres:  # a small pool: PostgreSQL counts every connection
            schema = settings.postgres_schema
            self._pool = ConnectionPool(settings.postgres_url, min_size=1, max_size=4, open=True,
                                        kwargs={
                "autocommit": True,
                **({"options": f"-c search_path={schema}"} if schema else {})})
        with self._transaction() as cursor:
            for statement in _SCHEMA:
                cursor.execute(statement)

    # -- storage -----------------------------------------------------------------

    def _connection(self) -> Any:
        """SQLite: one connection per thread, kept open (opening costs more than a query)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.settings.sqlite_path, timeout=30,
                                   isolation_level=None, check_same_thread=False)
            self._local.conn = conn
            self._sqlite_connections.append(conn)
        return conn

    @contextmanager
    def _read(self) -> Iterator[Any]:
        """A single read in autocommit: no BEGIN/COMMIT round trips for one query."""
        if not self.postgres:
            yield self._connection().cursor()
            return
        with self._pool.connection() as conn, conn.cursor() as cursor:
            yield _PgCursor(cursor)

    @contextmanager
    def _transaction(self, *, lock: bool = False) -> Iterator[Any]:
        if self.postgres:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                yield _PgCursor(cursor)
            return
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
        try:
            yield conn.cursor()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self.postgres:
            self._pool.close()
        for conn in self._sqlite_connections:
            conn.close()
        self._sqlite_connections.clear()

    def position(self) -> int:
        with self._read() as cursor:
            cursor.execute("SELECT position FROM read_model_tracking WHERE projection = ?",
                           (PROJECTION,))
            row = cursor.fetchone()
        return row[0] if row else 0

    # -- projecting ----------------------------------------------------------------

    def catch_up(self, cases: CaseService, *, batch_size: int = 500) -> int:
        """Apply every event not yet applied; returns how many notifications were read."""
        if self.position() >= (cases.recorder.max_notification_id() or 0):
            return 0  # up to date: two cheap reads, no write lock taken
        total = 0
        while True:
            read = self._apply_batch(cases, batch_size)
            total += read
            if read < batch_size:
                return total

    def _apply_batch(self, cases: CaseService, batch_size: int) -> int:
        with self._transaction(lock=True) as cursor:
            cursor.execute("INSERT INTO read_model_tracking VALUES (?, 0) "
                           "ON CONFLICT (projection) DO NOTHING", (PROJECTION,))
            cursor.execute("SELECT position FROM read_model_tracking WHERE projection = ?"
                           + (" FOR UPDATE" if self.postgres else ""), (PROJECTION,))
            position = cursor.fetchone()[0]
            batch = cases.recorder.select_notifications(start=position + 1, limit=batch_size)
            if not batch:
                return 0
            touched: dict[UUID, int] = {}
            for notification in batch:
                if notification.topic.startswith(CASE_TOPIC_PREFIX):
                    touched[notification.originator_id] = notification.originator_version
            for case_id, version in touched.items():
                row = row_for(cases.case_as_of(case_id, version=version))
                cursor.execute(self._upsert, row)
            cursor.execute("UPDATE read_model_tracking SET position = ? WHERE projection = ?",
                           (batch[-1].id, PROJECTION))
            return len(batch)

    _upsert = (
        f"INSERT INTO case_list ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
        "ON CONFLICT (case_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
        + " WHERE case_list.version < excluded.version"
    )

    def rebuild(self, cases: CaseService, *, progress: Any = None) -> int:
        """Drop every row and re-apply the whole log, reporting progress as it goes."""
        with self._transaction(lock=True) as cursor:
            cursor.execute("DELETE FROM case_list")
            cursor.execute("DELETE FROM read_model_tracking WHERE projection = ?", (PROJECTION,))
        total = 0
        while read := self._apply_batch(cases, 1000):
            total += read
            if progress:
                progress(total)
        return total

    # -- queries -----------------------------------------------------------------

    def list_cases(self, *, stage: str | None = None, risk_band: str | None = None,
                   region: str | None = None, authority: str | None = None,
                   status: str | None = None, overdue: bool | None = None,
                   now: datetime | None = None, cursor: str | None = None,
                   limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
        """A page of cases, oldest concern first, and the cursor of the next page."""
        where, params = [], []
        for column, value in (("stage", stage), ("risk_band", risk_band), ("region", region),
                              ("authority", authority), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if overdue is not None:
            moment = _iso(now or datetime.now(timezone.utc))
            where.append("(next_due IS NOT NULL AND next_due < ?)" if overdue
                         else "(next_due IS NULL OR next_due >= ?)")
            params.append(moment)
        if cursor:
            raised_at, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            where.append("(raised_at > ? OR (raised_at = ? AND case_id > ?))")
            params += [raised_at, raised_at, case_id]
        sql = (f"SELECT {', '.join(_COLUMNS)} FROM case_list"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY raised_at, case_id LIMIT ?")
        with self._read() as db:
            db.execute(sql, (*params, limit + 1))
            rows = [dict(zip(_COLUMNS, r, strict=True)) for r in db.fetchall()]
        page, more = rows[:limit], len(rows) > limit
        next_cursor = None
        if more:
            last = page[-1]
            next_cursor = base64.urlsafe_b64encode(
                json.dumps([last["raised_at"], last["case_id"]]).encode()).decode()
        return page, next_cursor

    def regional_picture(self, *, region: str | None = None,
                         now: datetime | None = None) -> dict[str, Any]:
        """Open cases by stage and risk, hot spots, coasting authorities, overdue cases."""
        scope, params = ("AND region = ?", [region]) if region else ("", [])
        moment = _iso(now or datetime.now(timezone.utc))
        with self._transaction() as db:
            db.execute("SELECT stage, COALESCE(risk_band, 'not assessed'), COUNT(*) "
                       f"FROM case_list WHERE status = 'open' {scope} "
                       "GROUP BY stage, risk_band ORDER BY stage", params)
            by_stage: dict[str, dict[str, int]] = {}
            for stage, band, count in db.fetchall():
                by_stage.setdefault(stage, {})[band] = count
            db.execute("SELECT authority, COUNT(*) FROM case_list WHERE status = 'open' "
                       f"{scope} GROUP BY authority HAVING COUNT(*) > 1 ORDER BY 2 DESC", params)
            hot_spots = [{"authority": a, "open_cases": n} for a, n in db.fetchall()]
            db.execute("SELECT DISTINCT authority FROM case_list WHERE status = 'open' "
                       f"AND issue_type = 'coasting' {scope} ORDER BY authority", params)
            coasting = [a for (a,) in db.fetchall()]
            db.execute("SELECT COUNT(*) FROM case_list WHERE status = 'open' "
                       f"AND next_due < ? {scope}", [moment, *params])
            overdue = db.fetchone()[0]
        return {"region": region, "open_cases_by_stage_and_risk": by_stage,
                "hot_spots": hot_spots, "coasting_authorities": coasting,
                "overdue_cases": overdue}


class _PgCursor:
    """Lets the same '?'-style SQL run on psycopg."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: Any = ()) -> None:
        self.cursor.execute(sql.replace("?", "%s"), params)

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> Any:
        return self.cursor.fetchall()


def main(argv: list[str] | None = None) -> int:
    """`python -m services.read_models rebuild`: rebuild the case list from the log."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["rebuild"]:
        print("usage: python -m services.read_models rebuild", file=sys.stderr)
        return 2
    from services.bootstrap import build_case_service

    settings = Settings()
    cases = build_case_service(settings)
    began = time.monotonic()
    view = CaseListView(settings)
    total = view.rebuild(
        cases, progress=lambda n: print(f"  {n} events applied", file=sys.stderr, flush=True))
    print(f"rebuilt the case list from {total} events in {time.monotonic() - began:.1f}s")
    view.close()
    cases.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
