"""`casework users`: people who sign in, and their tokens.

Only a SHA-256 digest of each token is stored; a token is printed once, when made.
Exit codes: 0 done; 2 refused by a rule (the reason is printed) or bad arguments.
"""

import argparse

from deploy.cli.running import on_services
from domain.identity import Role
from services.identity.service import IdentityService


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    users = commands.add_parser(
        "users", help="add people, issue their tokens, list and deactivate them",
        description="Manage the people who sign in to casework and their tokens.",
        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register a person and print their first token")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--region", help="a coordinator's region")
    add.add_argument("--authority", help="a council liaison's council, as registered")
    add.add_argument("--name", default="", help="the person's name, as others will read it")
    add.add_argument("--email", help="where the person's notices go")
    add.add_argument("--digest", action="store_true",
                     help="one morning digest instead of each reminder")
    add.set_defaults(handler=_on_people(_add))
    digest = actions.add_parser("set-digest", help="choose the morning digest (on) or "
                                                   "each reminder as it falls (off)")
    digest.add_argument("username")
    digest.add_argument("choice", choices=["on", "off"])
    digest.set_defaults(handler=_on_people(
        lambda people, a: people.choose_digest(a.username, a.choice == "on")))
    address = actions.add_parser("set-email", help="change where a person's notices go")
    address.add_argument("username")
    address.add_argument("email", help="the new address (blank for none)")
    address.set_defaults(handler=_on_people(
        lambda people, a: people.change_email(a.username, a.email)))
    token = actions.add_parser("issue-token", help="print a new token for a person")
    token.add_argument("username")
    token.add_argument("--label", default="", help="what the token is for, to tell it apart")
    token.set_defaults(handler=_on_people(
        lambda people, a: print(people.issue_token(a.username, label=a.label))))
    listing = actions.add_parser("list", help="list people (never their tokens)")
    listing.set_defaults(handler=_on_people(lambda people, a: _list(people)))
    off = actions.add_parser("deactivate", help="refuse all of a person's tokens from now on")
    off.add_argument("username")
    off.set_defaults(handler=_on_people(lambda people, a: people.deactivate(a.username)))


def _on_people(action):  # type: ignore[no-untyped-def]
    """A handler running `action(identity, args)` on the process's services."""

    def handler(args: argparse.Namespace) -> int:
        return on_services(lambda services: action(services.identity, args))

    return handler


def _add(people: IdentityService, args: argparse.Namespace) -> None:
    """A council liaison's council is looked up in the register of authorities (the
    identity service is built with it, services/bootstrap.py)."""
    people.register_user(username=args.username, role=args.role, region=args.region,
                         authority=args.authority, name=args.name, email=args.email,
                         digest=args.digest)
    print(people.issue_token(args.username, label="first"))


def _list(people: IdentityService) -> None:
    for user in people.users():
        print("\t".join(str(user[k] or "") for k in
                        ("username", "role", "region", "authority", "email", "active")))

