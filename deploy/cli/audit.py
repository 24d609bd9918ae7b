"""`casework verify`: check an exported case history or evidence bundle, with nothing
but the file.

An inspector's check: it reads no database. With a public key (and optionally a
checkpoint) it also checks the history against a signed checkpoint.
"""

import argparse

from services.audit import bundle_check, exports


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    verify = commands.add_parser(
        "verify", help="check an exported case history or evidence bundle (exit 0 intact, "
                       "1 not, 2 unreadable)",
        description=exports.DESCRIPTION, epilog=exports.EPILOG + "\n" + bundle_check.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    exports.add_verify_arguments(verify)
    verify.set_defaults(handler=bundle_check.run_verify)
