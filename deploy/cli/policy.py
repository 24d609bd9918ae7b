"""`casework policy`: read or change a region's reminder, escalation and deadline policy.

The same change an admin or the region's coordinator makes on the "Region policy"
page or with `PUT /regions/{region}/policy`: recorded with who made it.
"""

import argparse
from typing import Any

from deploy.cli.running import on_services
from domain.policy import POLICY_FIELDS
from domain.registers import Region
from domain.vocabulary import one_of
from services.policy.service import PolicyService


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    policy = commands.add_parser(
        "policy", help="read or change a region's reminder, escalation and deadline policy",
        description="Read or change a region's reminder, escalation and deadline policy. "
                    "Durations are ISO 8601 (P10D: ten working days; PT2H: two hours).")
    actions = policy.add_subparsers(dest="action", required=True, metavar="ACTION")
    get = actions.add_parser("get", help="print the region's policy and its history")
    get.add_argument("region", help='the region, e.g. "North West"')
    get.set_defaults(handler=_get)
    set_ = actions.add_parser("set", help="change the named fields, keep the rest")
    set_.add_argument("region", help='the region, e.g. "North West"')
    set_.add_argument("--actor", default="command line",
                      help="who is making the change (recorded with it)")
    for name in POLICY_FIELDS:
        set_.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None)
    set_.set_defaults(handler=_set)


def _get(args: argparse.Namespace) -> int:
    def show(service: PolicyService) -> None:
        region = one_of(args.region, Region, "region")
        _print(service.policy_for(region).shown())
        for entry in service.history(region):
            print(f"# {entry['at']} {entry['actor_id']}: {', '.join(entry['changed'])}")

    return _on_policies(show)


def _set(args: argparse.Namespace) -> int:
    changes = {name: getattr(args, name) for name in POLICY_FIELDS
               if getattr(args, name) is not None}
    if "missed_reminder_limit" in changes:
        changes["missed_reminder_limit"] = _whole(changes["missed_reminder_limit"])
    return _on_policies(lambda service: _print(
        service.change_policy(args.region, actor_id=args.actor, **changes).shown()))


def _on_policies(action: Any) -> int:
    return on_services(lambda services: action(services.policies))


def _print(fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        print(f"{name}\t{value}")


def _whole(text: str) -> int | str:
    """The command line gives text; a number is read as one, anything else refused later."""
    return int(text) if text.strip().isdigit() else text
