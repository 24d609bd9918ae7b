"""`casework encrypt-store`: seal a store written before encryption at rest."""

import argparse

from services.eventstore.keys import KeyStoreError
from services.ops import encrypt_store
from services.platform.settings import Settings


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sealing = commands.add_parser(
        "encrypt-store", help="encrypt a store written before encryption at rest "
        "(resumable)", description=encrypt_store.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit codes: 0 done (or nothing left in the clear); 1 the key store or the "
               "master key cannot be used (the message says what is missing).")
    sealing.set_defaults(handler=_encrypt_store)


def _progress(message: str) -> None:
    print(f"casework: {message}", flush=True)


def _encrypt_store(_args: argparse.Namespace) -> int:
    try:
        encrypt_store.encrypt_store(Settings(), _progress)
    except (KeyStoreError, ValueError) as error:
        print(f"casework: {error}")
        return 1
    return 0
