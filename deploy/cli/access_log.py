"""`casework verify-access-log` and `casework access-log prune`: who has seen what.

`verify-access-log` is an inspector's check of an export (GET /access-log/export)
with nothing but the file and the checkpoint public key. `access-log prune` keeps
the retention policy (CASEWORK_ACCESS_LOG_RETENTION): with "case", the default,
nothing is removed.
"""

import argparse
from datetime import UTC, datetime, timedelta

from services.audit import access_export
from services.audit.access_log import AccessLogBook
from services.caselist.migrations import migrate
from services.platform.settings import Settings


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    verify = commands.add_parser(
        "verify-access-log", help="check an exported access log (exit 0 intact, 1 not, "
        "2 unreadable)", description=access_export.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit codes: 0 intact; 1 a record altered, removed, out of order, or the "
               "checkpoint does not hold; 2 the file or a key could not be read.")
    access_export.add_verify_arguments(verify)
    verify.set_defaults(handler=access_export.run_verify)
    log = commands.add_parser("access-log", help="keep the access log's retention policy")
    actions = log.add_subparsers(dest="action", required=True, metavar="ACTION")
    prune = actions.add_parser(
        "prune", help="remove records older than CASEWORK_ACCESS_LOG_RETENTION days",
        description="Remove the access log's records older than the retention policy "
                    "(CASEWORK_ACCESS_LOG_RETENTION, in days; 'case', the default, keeps "
                    "them as long as the cases, which is for good). The oldest records go "
                    "first and a 'pruned up to' marker keeps the last removed record's hash, "
                    "so the rest of the chain still verifies.",
        epilog="Exit codes: 0 done (or nothing to remove).")
    prune.set_defaults(handler=_prune)


def _prune(_args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.access_log_retention == "case":
        print("retention is 'as long as the case': nothing removed")
        return 0
    migrate(settings)
    book = AccessLogBook(settings)
    try:
        cut = book.prune(datetime.now(UTC) - timedelta(days=int(settings.access_log_retention)))
    finally:
        book.close()
    print(f"removed records up to {cut.seq}; the chain now starts after hash {cut.hash}"
          if cut else "nothing older than the retention period")
    return 0
