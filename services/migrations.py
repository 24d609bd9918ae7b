"""Versioned changes to the tables casework keeps beside its event streams.

The event tables and each one's insert function are the eventsourcing
library's and services/postgres_recorder.py's, created at start-up if missing.
Everything casework adds around them is listed here as ordered migrations, and
`schema_version` records which have been applied, so that a newer release
started on an older database brings it up to date, once, even when several
processes start together (PostgreSQL: an advisory lock; SQLite: a write lock).

`python -m services.migrations` applies what is pending and prints the version.
"""

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from services.checkpoints import CheckpointLedger
from services.postgres_recorder import SCHEMA_LOCK as ADVISORY_LOCK
from services.read_models import _SCHEMA as READ_MODEL_TABLES
from services.settings import Settings
from services.web_sessions import SessionStore


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS = (
    Migration(1, "release 0.1.0: the case list and read-model tracking tables",
              tuple(READ_MODEL_TABLES)),
    Migration(2, "case list: an index for listing an authority's cases",
              ("CREATE INDEX IF NOT EXISTS case_list_authority "
               "ON case_list (authority, status, raised_at)",)),
    Migration(3, "signed checkpoints of every stream's head", tuple(CheckpointLedger.schema)),
    Migration(4, "signed-in sessions shared by every API process", tuple(SessionStore.schema)),
)
LATEST = MIGRATIONS[-1].version

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"""


def migrate(settings: Settings, *, up_to: int = LATEST) -> list[int]:
    """Apply every migration after the database's version, up to `up_to`; the ones applied."""
    with _locked(settings) as run:
        run(_VERSION_TABLE)
        current = run("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0]
        applied = []
        for migration in MIGRATIONS:
            if current < migration.version <= up_to:
                for statement in migration.statements:
                    run(statement)
                run("INSERT INTO schema_version VALUES (?, ?, ?)",
                    (migration.version, migration.description, _now()))
                applied.append(migration.version)
        return applied


def current_version(settings: Settings) -> int:
    with _locked(settings) as run:
        run(_VERSION_TABLE)
        return int(run("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0])


def _now() -> str:
    return datetime.now(UTC).isoformat()


Runner = Callable[..., list[tuple[Any, ...]]]


@contextmanager
def _locked(settings: Settings) -> Iterator[Runner]:
    """One transaction holding the migration lock; yields a '?'-style SQL runner."""
    if settings.store == "postgres":
        schema = settings.postgres_schema
        options = f"-c search_path={schema}" if schema else None
        with psycopg.connect(settings.postgres_url, options=options) as conn, \
                conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))

            def run_pg(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
                cursor = conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
                return cursor.fetchall() if cursor.description else []

            yield run_pg
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lite = sqlite3.connect(settings.sqlite_path, timeout=30, isolation_level=None)
    try:
        lite.execute("BEGIN IMMEDIATE")

        def run_sqlite(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            return lite.execute(sql, params).fetchall()

        yield run_sqlite
        lite.execute("COMMIT")
    except BaseException:
        lite.execute("ROLLBACK")
        raise
    finally:
        lite.close()


def main() -> int:
    settings = Settings()
    applied = migrate(settings)
    print(f"schema version {current_version(settings)}"
          + (f" (applied {', '.join(map(str, applied))})" if applied else " (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
