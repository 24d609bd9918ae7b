"""Versioned changes to the tables casework keeps beside its event streams.

The event tables and each one's insert function are the eventsourcing
library's and services/eventstore/postgres_recorder.py's, created at start-up if missing.
Everything casework adds around them is listed here as ordered migrations, and
`schema_version` records which have been applied, so that a newer release
started on an older database brings it up to date, once, even when several
processes start together (PostgreSQL: an advisory lock; SQLite: a write lock).

`casework migrate` applies what is pending and prints the version.
"""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from services.audit.access_log import SCHEMA as ACCESS_LOG
from services.audit.checkpoints import CheckpointLedger
from services.caselist.inbox_marks import SCHEMA as INBOX_MARKS
from services.caselist.projection import _SCHEMA as READ_MODEL_TABLES
from services.caselist.projection import PROJECTION, REFERENCE_INDEX
from services.caselist.retention import SCHEMA as RETENTION_CASES
from services.caselist.saved_views import SCHEMA as SAVED_VIEWS
from services.caselist.search import SCHEMA as SEARCH_SCHEMA
from services.caselist.tally import TALLY_TABLE
from services.caselist.worklist import (
    AWAITING_COLUMNS,
    AWAITING_INDEX,
    SUPERSEDED_INDEXES,
    TASK_COLUMNS,
    TASKS_INDEX,
    WORKLIST_INDEXES,
)
from services.documents.blobs import LEGACY_SCHEMA as DOCUMENT_BLOBS
from services.documents.blobs import SCHEMA as CASE_DOCUMENTS
from services.eventstore.postgres_recorder import SCHEMA_LOCK as ADVISORY_LOCK
from services.identity.sign_in_links import SignInLinks
from services.identity.web_sessions import SessionStore
from services.platform.settings import Settings, private_sqlite_file


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    # Columns the migration adds, each as (table, column, SQL type): added only where
    # missing (a table created by this release's own schema already has them).
    adds_columns: tuple[tuple[str, str, str], ...] = ()
    # Statements for one store only ("sqlite", "postgres"), run after `statements`.
    by_store: tuple[tuple[str, tuple[str, ...]], ...] = ()


RELEASE_0_1_0 = (
    *(s for s in READ_MODEL_TABLES if s.lstrip().startswith("CREATE TABLE")),
    "CREATE INDEX IF NOT EXISTS case_list_stage_risk ON case_list (stage, risk_band, raised_at)",
    "CREATE INDEX IF NOT EXISTS case_list_region ON case_list (region, status, raised_at)",
    "CREATE INDEX IF NOT EXISTS case_list_order ON case_list (raised_at, case_id)",
)
"""Migration 1 as release 0.1.0 made it: its tables (created as today's release creates
them where missing) and its indexes, never an index on a column a later migration adds."""

REPROJECT_CASE_LIST = (
    "DELETE FROM case_list_problems",
    "DELETE FROM case_list",
    f"DELETE FROM read_model_tracking WHERE projection = '{PROJECTION}'",
)
"""Empties the case list so that it is projected again from the first event, on its next
read: how a new column of the list is filled in for the cases already stored."""

MIGRATIONS = (
    Migration(1, "release 0.1.0: the case list and read-model tracking tables",
              RELEASE_0_1_0),
    Migration(2, "case list: an index for listing an authority's cases",
              ("CREATE INDEX IF NOT EXISTS case_list_authority "
               "ON case_list (authority, status, raised_at)",)),
    Migration(3, "signed checkpoints of every stream's head", tuple(CheckpointLedger.schema)),
    Migration(4, "signed-in sessions shared by every API process", tuple(SessionStore.schema)),
    Migration(5, "case list: each case's owner; the list is projected again to fill it in",
              ("CREATE INDEX IF NOT EXISTS case_list_owner ON case_list (owner, status, raised_at)",
               *REPROJECT_CASE_LIST),
              adds_columns=(("case_list", "owner", "TEXT"),)),
    Migration(6, "case list: worklist indexes for each order, with the case id for ties",
              (*WORKLIST_INDEXES, *SUPERSEDED_INDEXES)),
    Migration(7, "case list: proposals awaiting a decision, the red flag, and a tally of "
                 "cases for the worklist counts; the list is projected again to fill them in",
              (AWAITING_INDEX, TALLY_TABLE, *REPROJECT_CASE_LIST, "DELETE FROM case_list_tally"),
              adds_columns=tuple(("case_list", column, "TEXT") for column in AWAITING_COLUMNS)),
    Migration(8, "case list: the tasks waiting on people (a plan put to the council, a joint "
                 "meeting's summary, the next review, the plan's adviser); the list is "
                 "projected again to fill them in",
              (TASKS_INDEX, *REPROJECT_CASE_LIST, "DELETE FROM case_list_tally"),
              adds_columns=tuple(("case_list", column, "TEXT") for column in TASK_COLUMNS)),
    Migration(9, "case list: each case's reference (NW-2026-0042), and an index to find a "
                 "case by it; the list is projected again to fill it in",
              (REFERENCE_INDEX, *REPROJECT_CASE_LIST, "DELETE FROM case_list_tally"),
              adds_columns=(("case_list", "reference", "TEXT"),)),
    Migration(10, "case search: an index of each case's council, reference and words (never "
                  "Chatham House intelligence); the list is projected again to fill it in",
              (*REPROJECT_CASE_LIST, "DELETE FROM case_list_tally"),
              by_store=tuple(SEARCH_SCHEMA.items())),
    Migration(11, "saved views of My work, each person's, some shared with a region",
              tuple(SAVED_VIEWS)),
    Migration(12, "notifications: what each person marked seen or done", tuple(INBOX_MARKS)),
    Migration(13, "sign-in links sent by email: only each link's digest, once usable",
              tuple(SignInLinks.schema)),
    Migration(14, "documents: their bytes in chunked rows, when the store is PostgreSQL",
              (), by_store=(("postgres", DOCUMENT_BLOBS),)),
    Migration(15, "the access log: who read which case, or searched, hash-chained, and "
                  "where it was pruned up to", tuple(ACCESS_LOG)),
    Migration(16, "the retention schedule: each closed case, when it was closed and when its "
                  "disposal was proposed to administrators", tuple(RETENTION_CASES)),
    Migration(18, "documents: each case's own copies, sealed under the case's key, in "
                  "chunked rows when the store is PostgreSQL",
              (), by_store=(("postgres", CASE_DOCUMENTS),)),
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
                for table, column, kind in migration.adds_columns:
                    if not _has_column(run, settings, table, column):
                        run(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                for statement in (*migration.statements,
                                  *dict(migration.by_store).get(settings.store, ())):
                    run(statement)
                run("INSERT INTO schema_version VALUES (?, ?, ?)",
                    (migration.version, migration.description, _now()))
                applied.append(migration.version)
        return applied


def _has_column(run: "Runner", settings: Settings, table: str, column: str) -> bool:
    if settings.store == "postgres":
        found = run("SELECT 1 FROM information_schema.columns WHERE table_schema = "
                    "current_schema() AND table_name = ? AND column_name = ?", (table, column))
    else:
        found = run("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", (table, column))
    return bool(found)


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
    private_sqlite_file(settings.sqlite_path)  # 0600 in 0700 before SQLite makes it
    lite = sqlite3.connect(settings.sqlite_path, timeout=30, isolation_level=None)
    try:
        lite.execute("BEGIN IMMEDIATE")

        def run_sqlite(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            return lite.execute(sql, params).fetchall()

        yield run_sqlite
        lite.execute("COMMIT")
    except BaseException:
        if lite.in_transaction:  # a file that is not a database never began one
            lite.execute("ROLLBACK")
        raise
    finally:
        lite.close()
