"""The `casework` command line: one program, a subcommand for each operation.

    casework --help              every subcommand, one line each
    casework COMMAND --help      what it does, its options and its exit codes

Exit codes, for every subcommand: 0 done; 1 a check found a problem (verify,
restore's checks); 2 refused (bad arguments, a rule of casework, a file that
cannot be read), with the reason on standard error.
"""

import argparse
import sys

from deploy.cli import audit, backup, caselist, demo, policy, serve, users

GROUPS = (serve, users, policy, audit, backup, caselist, demo)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="casework",
        description="Run and operate casework: the service, its users, region policies, "
                    "verification, backups and the case list.",
        epilog="Exit codes: 0 done; 1 a check found a problem; 2 refused (the reason is "
               "printed). Configuration comes from CASEWORK_* variables (docs/configuration.md).")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    return int(args.handler(args) or 0)

