"""`casework backup`, `casework restore` and `casework copy-to-postgres`."""

import argparse
from pathlib import Path

from services.ops import backup


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    make = commands.add_parser(
        "backup", help="copy the store, consistently, while the service runs",
        description=backup.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    make.add_argument("directory", type=Path, help="a new or empty folder for the backup")
    make.set_defaults(handler=lambda a: backup.main(["backup", str(a.directory)]))
    restore = commands.add_parser(
        "restore", help="restore a backup into an empty store",
        description=backup.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    restore.add_argument("directory", type=Path, help="the backup's folder")
    restore.set_defaults(handler=lambda a: backup.main(["restore", str(a.directory)]))
    copy = commands.add_parser(
        "copy-to-postgres", help="copy a SQLite store into PostgreSQL, history and all",
        description=backup.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    copy.add_argument("postgres_url")
    copy.add_argument("--schema", default="")
    copy.set_defaults(handler=lambda a: backup.main(
        ["copy-to-postgres", a.postgres_url, "--schema", a.schema]))
