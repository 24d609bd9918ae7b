"""`casework demo`: the demo registers and case studies, loaded into the configured store."""

import argparse
import sys

from services.bootstrap import build_services
from services.ops.demo_data import load_everything
from services.platform.settings import Settings


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    demo = commands.add_parser(
        "demo", help="load the demo councils, peers, offers, budgets and cases",
        description="Load the demo set: the nine English regions with invented councils, "
                    "peers, offers and budgets, and one case per case study of the "
                    "sector's paper. Idempotent: what is already there is left as it is.")
    demo.set_defaults(handler=_load)


def _load(_args: argparse.Namespace) -> int:
    services = build_services(Settings())
    try:
        added = load_everything(services.registers, services.cases)
    finally:
        services.close()
    print("casework: demo registers and cases loaded (" + ", ".join(
        f"{count} {kind}" for kind, count in added.items()) + " new)", file=sys.stderr)
    return 0
