"""`casework backup`, `casework restore` and `casework copy-to-postgres`.

Exit codes: 0 done; 1 refused (the target holds data, the wrong store, a tool
failed); 2 a command-line or configuration mistake; 3 the backup is damaged (the
message names the file or the case); 4 a key that signed its checkpoints is
missing here (the message says how to supply it). See services/ops/backup.py.
"""

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

import psycopg
from pydantic import ValidationError

from services.ops import backup
from services.platform.settings import Settings


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    details: dict[str, Any] = {"description": backup.__doc__, "epilog": __doc__,
                               "formatter_class": argparse.RawDescriptionHelpFormatter}
    make = commands.add_parser(
        "backup", help="copy the store, consistently, while the service runs", **details)
    make.add_argument("directory", type=Path, help="a new or empty folder for the backup")
    make.set_defaults(handler=_guarded(_backup))
    restore = commands.add_parser(
        "restore", help="check a backup whole, then restore it into an empty store",
        **details)
    restore.add_argument("directory", type=Path, help="the backup's folder")
    restore.add_argument("--public-key", action="append", type=Path, default=[],
                         help="a public key (PEM) of a key that signed the checkpoints")
    restore.add_argument("--unchecked", action="store_true",
                         help="restore a backup whose manifest has no checksums")
    restore.set_defaults(handler=_guarded(_restore))
    copy = commands.add_parser(
        "copy-to-postgres", help="copy a SQLite store into PostgreSQL, history and all",
        **details)
    copy.add_argument("postgres_url")
    copy.add_argument("--schema", default="")
    copy.set_defaults(handler=_guarded(_copy))


def _guarded(command):  # type: ignore[no-untyped-def]
    """Every refusal is a sentence and an exit code, never a traceback."""

    def handler(args: argparse.Namespace) -> int:
        try:
            settings = Settings()
        except ValidationError as error:
            print(f"casework: the configuration is not valid: {error}", file=sys.stderr)
            return 2
        try:
            command(args, settings)
        except backup.BackupError as error:
            print(f"casework: {error}", file=sys.stderr)
            return error.exit_code
        except (OSError, sqlite3.Error, psycopg.Error) as error:  # the target is as it was
            print(f"casework: {args.command} failed: {error}", file=sys.stderr)
            return 1
        return 0

    return handler


def _progress(message: str) -> None:
    print(f"casework: {message}", file=sys.stderr, flush=True)


def _backup(args: argparse.Namespace, settings: Settings) -> None:
    made = backup.backup(settings, args.directory, _progress)
    print(f"backed up {', '.join(made['files'])} to {args.directory}")


def _restore(args: argparse.Namespace, settings: Settings) -> None:
    made = backup.restore(settings, args.directory, public_keys=args.public_key,
                          unchecked=args.unchecked, progress=_progress)
    print(f"restored the backup made at {made['made_at']}")


def _copy(args: argparse.Namespace, settings: Settings) -> None:
    target = settings.model_copy(update={"store": "postgres", "postgres_url": args.postgres_url,
                                         "postgres_schema": args.schema})
    for name, count in backup.copy_to_postgres(settings, target).items():
        print(f"copied {count} {name} events")
