"""The `casework` command line: one program, a subcommand for each operation.

    casework --help              every subcommand, one line each
    casework COMMAND --help      what it does, its options and its exit codes

Exit codes: 0 done; anything else, not done, with the reason on standard error.
Each subcommand's --help gives its own: `verify` (and `verify-access-log`) 1 the
history (the access log) is not intact, 2 a file could not be read; `users` and
`policy` 2 refused by a rule (or bad arguments); `backup`, `restore` and
`copy-to-postgres` 1 refused, 2 a command-line or configuration mistake, 3 a
damaged backup, 4 a missing key.
"""

import argparse
import sys

from deploy.cli import (
    access_log,
    audit,
    backup,
    caselist,
    demo,
    policy,
    records,
    references,
    serve,
    users,
)
from services.records import verify as verify_disposal

GROUPS = (serve, users, policy, audit, verify_disposal, access_log, backup, records, caselist,
          references, demo)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="casework",
        description="Run and operate casework: the service, its users, region policies, "
                    "verification, backups and the case list.",
        epilog="Exit codes: 0 done; anything else, not done, with the reason printed "
               "(each COMMAND --help gives its own). Configuration comes from CASEWORK_* "
               "variables (docs/configuration.md).")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    return int(args.handler(args) or 0)

