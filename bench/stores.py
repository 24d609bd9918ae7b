"""Throwaway stores for benchmarks: a SQLite file, or a PostgreSQL schema."""

import contextlib
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from services.platform.settings import Settings

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextlib.contextmanager
def throwaway(store: str, *, encryption: str = "on") -> Iterator[Settings]:
    """A store used once. Its data directory sits in a folder of its own, so the keys kept
    beside it (`keys/`, services/platform/settings.py) go with it. `encryption="off"`
    only to measure what encryption costs, as the service is never run."""
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
        data = Path(tmp) / "var"
        data.mkdir(mode=0o700)
        if store == "sqlite":
            yield Settings(data_dir=data, store="sqlite", encryption=encryption)
            return
        schema = f"casework_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield Settings(data_dir=data, store="postgres", postgres_url=PG_URL,
                           postgres_schema=schema, encryption=encryption)
        finally:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


class RawFloor:
    """A single-row insert and commit, with the event store's own durability settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.postgres = settings.store == "postgres"
        if self.postgres:
            self.conn: Any = psycopg.connect(settings.postgres_url)
            self.conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
            self.conn.execute("CREATE TABLE floor (originator_id uuid, originator_version int, "
                              "topic text, state bytea, notification_id bigserial, "
                              "PRIMARY KEY (originator_id, originator_version))")
            self.conn.commit()
            self.sql = "INSERT INTO floor VALUES (%s, %s, %s, %s)"
        else:
            self.conn = sqlite3.connect(settings.data_dir / "floor.sqlite")
            self.conn.execute("PRAGMA journal_mode=WAL")  # as the event store sets it
            self.conn.execute("CREATE TABLE floor (originator_id TEXT, originator_version "
                              "INTEGER, topic TEXT, state BLOB, "
                              "PRIMARY KEY (originator_id, originator_version))")
            self.conn.commit()
            self.sql = "INSERT INTO floor VALUES (?, ?, ?, ?)"
        self.state = b'{"authority": "Northshire County Council", "summary": "' + b"x" * 300 + b'"}'

    def insert(self) -> None:
        key = uuid.uuid4() if self.postgres else uuid.uuid4().hex
        self.conn.execute(self.sql, (key, 1, "domain.case:Case.ConcernRaised", self.state))
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()
