"""Back up, restore, and move casework's data, while the service runs.

    casework backup DIR            a consistent copy of the store
    casework restore DIR           into an empty data directory or database
    casework copy-to-postgres URL [--schema NAME]
                                                    every stream from SQLite to PostgreSQL

A backup holds the event streams (cases, registers, policies, users and their
idempotency keys) and the tables beside them. It leaves out what is rebuilt:
Temporal's state (the worker's reconciler starts every open case's workflow
again, and each workflow re-reads its timetable) and nothing else needs to be.
On SQLite each database file is copied with SQLite's online backup API, which
gives a consistent snapshot while writers carry on; on PostgreSQL `pg_dump`
reads the whole schema in one snapshot. Restoring refuses a target that already
holds casework data, so that a restore never mixes two histories.
"""

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent

from services.caselist.migrations import current_version, migrate
from services.cases.service import CaseService
from services.eventstore.store import EventStoreApplication
from services.identity.service import IdentityService
from services.platform.settings import Settings
from services.policy.service import PolicyService
from services.registers.service import RegisterService

SQLITE_FILES = ("casework.sqlite", "access.sqlite")
PG_DUMP_FILE = "casework.pgdump"
MANIFEST = "backup.json"


class BackupError(Exception):
    """Refused: the message says why and what to do."""


# -- backup --------------------------------------------------------------------------


def backup(settings: Settings, target: Path) -> dict[str, Any]:
    """Write a consistent backup into `target` (a new or empty directory)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; back up into a new directory")
    target.mkdir(parents=True, exist_ok=True)
    if settings.store == "sqlite":
        files = [_sqlite_online_copy(settings.data_dir / name, target / name)
                 for name in SQLITE_FILES if (settings.data_dir / name).exists()]
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              *_schema_args(settings), "--file", str(target / PG_DUMP_FILE),
              "--dbname", settings.postgres_url])
        files = [PG_DUMP_FILE]
    manifest = {"store": settings.store, "made_at": datetime.now(UTC).isoformat(),
                "schema_version": current_version(settings), "files": files,
                "postgres_schema": settings.postgres_schema or None}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _sqlite_online_copy(source: Path, target: Path) -> str:
    """SQLite's backup API: a snapshot consistent at one commit, while others write."""
    with sqlite3.connect(source, timeout=30) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=1024)
    return target.name


def _schema_args(settings: Settings) -> list[str]:
    return [f"--schema={settings.postgres_schema}"] if settings.postgres_schema else []


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:  # the message, never the command line (it holds the URL)
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()}")


# -- restore -------------------------------------------------------------------------


def restore(settings: Settings, source: Path) -> dict[str, Any]:
    """Restore a backup into an empty data directory (SQLite) or database (PostgreSQL)."""
    manifest = json.loads((source / MANIFEST).read_text())
    if manifest["store"] != settings.store:
        raise BackupError(f"the backup is of a {manifest['store']} store, but "
                          f"CASEWORK_STORE is {settings.store}")
    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        present = [n for n in manifest["files"] if (settings.data_dir / n).exists()]
        if present:
            raise BackupError(f"{settings.data_dir} already holds {', '.join(present)}; "
                              "restore into an empty data directory")
        for name in manifest["files"]:
            shutil.copyfile(source / name, settings.data_dir / name)
    else:
        if manifest["postgres_schema"] != (settings.postgres_schema or None):
            raise BackupError(f"the backup is of schema {manifest['postgres_schema']!r}; "
                              "set CASEWORK_POSTGRES_SCHEMA to match")
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              "--dbname", settings.postgres_url, str(source / PG_DUMP_FILE)])
    migrate(settings)  # a backup from an older release comes up to date
    return manifest


# -- SQLite to PostgreSQL ---------------------------------------------------------------

def _route(topic: str) -> str:
    """Which PostgreSQL application an event from casework.sqlite belongs to.

    On SQLite the cases, policies and registers share one events table; on
    PostgreSQL each has its own, so the copy sorts them by aggregate module.
    """
    if topic.startswith("domain.case:"):
        return CaseService.name
    if topic.startswith("domain.policy:"):
        return PolicyService.name
    return RegisterService.name


def copy_to_postgres(source: Settings, target: Settings, *, page: int = 1000) -> dict[str, int]:
    """Copy every stored event, byte for byte and in log order, into an empty
    PostgreSQL store; hash chains hold because nothing is re-encoded."""
    if source.store != "sqlite" or target.store != "postgres":
        raise BackupError("copy-to-postgres copies a SQLite store into PostgreSQL")
    targets: dict[str, EventStoreApplication] = {}
    try:
        for app_class in (CaseService, PolicyService, RegisterService, IdentityService):
            targets[app_class.name] = app_class(target.eventsourcing_env())
            if targets[app_class.name].recorder.max_notification_id():
                raise BackupError(f"the PostgreSQL store already holds {app_class.name} "
                                  "events; copy into an empty schema")
        copied = dict.fromkeys(targets, 0)
        access = {**source.eventsourcing_env(),
                  "SQLITE_DBNAME": str(source.data_dir / "access.sqlite")}
        for env, route in ((source.eventsourcing_env(), _route),
                           (access, lambda _topic: IdentityService.name)):
            reader = EventStoreApplication(env)
            try:
                for name, count in _copy_log(reader, targets, route, page).items():
                    copied[name] += count
            finally:
                reader.close()
    finally:
        for app in targets.values():
            app.close()
    migrate(target)
    return copied


def _copy_log(old: EventStoreApplication, targets: dict[str, EventStoreApplication],
              route: Callable[[str], str], page: int) -> dict[str, int]:
    position, counts = 0, dict.fromkeys(targets, 0)
    while batch := old.recorder.select_notifications(start=position + 1, limit=page):
        sorted_out: dict[str, list[StoredEvent]] = {}
        for n in batch:
            sorted_out.setdefault(route(n.topic), []).append(StoredEvent(
                originator_id=n.originator_id, originator_version=n.originator_version,
                topic=n.topic, state=n.state))
        for name, events in sorted_out.items():
            targets[name].recorder.insert_events(events)
            counts[name] += len(events)
        position = batch[-1].id
    return counts


# -- command line -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.ops.backup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup").add_argument("directory", type=Path)
    commands.add_parser("restore").add_argument("directory", type=Path)
    copy = commands.add_parser("copy-to-postgres")
    copy.add_argument("postgres_url")
    copy.add_argument("--schema", default="")
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        if args.command == "backup":
            made = backup(settings, args.directory)
            print(f"backed up {', '.join(made['files'])} to {args.directory}")
        elif args.command == "restore":
            made = restore(settings, args.directory)
            print(f"restored the backup made at {made['made_at']}")
        else:
            target = settings.model_copy(update={"store": "postgres",
                                                 "postgres_url": args.postgres_url,
                                                 "postgres_schema": args.schema})
            for name, count in copy_to_postgres(settings, target).items():
                print(f"copied {count} {name} events")
    except BackupError as error:
        print(f"casework: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
