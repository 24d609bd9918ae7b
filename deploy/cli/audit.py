"""`casework verify`: check an exported case history, with nothing but the file.

An inspector's check: it reads no database. With a public key (and optionally a
checkpoint) it also checks the history against a signed checkpoint.
"""

import argparse

from services.audit import exports


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    verify = commands.add_parser(
        "verify", help="check an exported case history (exit 0 intact, 1 not, 2 unreadable)",
        description=exports.DESCRIPTION, epilog=exports.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    exports.add_verify_arguments(verify)
    verify.set_defaults(handler=exports.run_verify)
