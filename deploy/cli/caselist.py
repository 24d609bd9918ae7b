"""`casework migrate` and `casework rebuild`: the tables kept beside the event store."""

import argparse
import sys
import time

from services.bootstrap import build_services
from services.caselist.migrations import current_version, migrate
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from services.platform.settings import Settings


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    up = commands.add_parser(
        "migrate", help="bring the case list and side tables up to this release",
        description="Apply every pending migration of the tables casework keeps beside its "
                    "event streams, once, and print the schema version. Safe to run while "
                    "the service runs and from several processes at once.")
    up.set_defaults(handler=_migrate)
    rebuild = commands.add_parser(
        "rebuild", help="rebuild the case list and its tallies from the event log",
        description="Rebuild the case list, the regional picture and the worklist tallies "
                    "from every recorded event, showing progress. Applies pending "
                    "migrations first, so it works on a database an older release kept.")
    rebuild.set_defaults(handler=_rebuild)


def _migrate(_args: argparse.Namespace) -> int:
    settings = Settings()
    applied = migrate(settings)
    print(f"schema version {current_version(settings)}"
          + (f" (applied {', '.join(map(str, applied))})" if applied else " (up to date)"))
    cases = CaseService(settings.eventsourcing_env())
    try:
        lacking = cases.cases_without_reference()
    finally:
        cases.close()
    if lacking:
        print(("1 case has" if lacking == 1 else f"{lacking} cases have")
              + " no reference yet: run `casework give-references`")
    return 0


def _rebuild(_args: argparse.Namespace) -> int:
    settings = Settings()
    migrate(settings)  # a list kept by an older release gets its new columns first
    services = build_services(settings)
    view = CaseListView(settings)
    began = time.monotonic()
    try:
        total = view.rebuild(
            services.cases, progress=lambda n: print(f"  {n} events applied",
                                                     file=sys.stderr, flush=True))
    finally:
        view.close()
        services.close()
    print(f"rebuilt the case list from {total} events in {time.monotonic() - began:.1f}s")
    return 0
