"""`casework give-references`: a reference for every case opened before references."""

import argparse
import sys

from services.bootstrap import build_services
from services.ops.references import give_references
from services.platform.settings import Settings


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    give = commands.add_parser(
        "give-references", help="give every case opened before references its reference",
        description="Give each case that has no reference (one opened before this release) "
                    "the next reference of its region for the year it was raised, like "
                    "NW-2026-0042, in the order the cases were raised, recording it in the "
                    "case's history. Prints progress. Safe to stop and run again, and to run "
                    "while the service runs: a case that has a reference keeps it.",
        epilog="Exit codes: 0 every case has a reference; 1 some cases' histories fail "
               "verification and were left without one (they are listed).")
    give.set_defaults(handler=_give)


def _give(_args: argparse.Namespace) -> int:
    services = build_services(Settings())
    try:
        outcome = give_references(services.cases, progress=lambda done, total: print(
            f"  {done} of {total} cases", file=sys.stderr, flush=True))
    finally:
        services.close()
    print(f"gave {_cases(outcome.given)} a reference; {_cases(outcome.had_one)} had one "
          "already")
    for case_id in outcome.broken:
        print(f"case {case_id}: its history fails verification; not given a reference "
              "(casework verify)", file=sys.stderr)
    return 1 if outcome.broken else 0


def _cases(count: int) -> str:
    return "1 case" if count == 1 else f"{count} cases"
