"""Checking a disposal record against the signed checkpoints, with nothing but the file
and a public key: that the case existed as recorded, and ended where the record says.

A disposal record (GET /disposals/{case_id}) carries the case's last head (version and
link hash), the latest checkpoint when it was disposed of, and the inclusion proof of
that head under the checkpoint's Merkle root. `casework verify-disposal RECORD.json
--public-key KEY.pem` checks, with a key the inspector keeps, the record's own signature
(so its council, dates, rule, reason and who confirmed it are as written at disposal) and
the checkpoint's, and that the proof leads from the recorded head to the signed root.
Given a later checkpoint too (`--checkpoint CP.json`, as GET /checkpoints/{id}?case={case
id} gives it), it checks that the later one signs the same head: nothing was added to or
changed in the case after the disposal record was written, and every other case's history
goes on verifying as before (`casework verify` on their exports).
"""

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from services.audit.merkle import leaf_hash, root_from_proof

DESCRIPTION = __doc__


def check_record(record: Mapping[str, Any], keys: Mapping[str, Any],
                 later: Mapping[str, Any] | None = None) -> list[str]:
    """What does not hold of the record (nothing: it verifies)."""
    from services.audit.signing import (  # needs `cryptography`
        record_signature_problem,
        signature_problem,
    )

    problems: list[str] = []
    own = record_signature_problem(record, keys)
    if own is not None:
        problems.append(own)
    head = record.get("head") or {}
    case_id = str(record.get("case_id") or "")
    for name, body, proof in _signed(record, later):
        if not isinstance(body, dict) or not isinstance(proof, dict):
            problems.append(f"{name} comes with no checkpoint and inclusion proof")
            continue
        problem = signature_problem(body, keys)
        if problem is not None:
            problems.append(f"{name}: {problem}")
            continue
        if proof.get("originator_id") != case_id or proof.get("checkpoint_id") != body.get("id"):
            problems.append(f"{name}'s inclusion proof is not of this case under checkpoint "
                            f"{body.get('id')}")
            continue
        try:
            root = root_from_proof(leaf_hash(case_id, proof["version"], proof["hash"]),
                                   proof["path"])
        except (KeyError, TypeError, ValueError) as error:
            problems.append(f"{name}'s inclusion proof cannot be read ({error})")
            continue
        if root != body.get("root"):
            problems.append(f"{name}'s inclusion proof does not lead to checkpoint "
                            f"{body.get('id')}'s signed root")
        elif (proof["version"], proof["hash"]) != (head.get("version"), head.get("hash")):
            problems.append(f"checkpoint {body.get('id')} signed version {proof['version']} "
                            f"of the case, but the record says its last was version "
                            f"{head.get('version')} with another hash")
    return problems


def _signed(record: Mapping[str, Any], later: Mapping[str, Any] | None
            ) -> list[tuple[str, Any, Any]]:
    found = [("the disposal record", record.get("checkpoint"), record.get("inclusion_proof"))]
    if later is not None:
        body = later.get("checkpoint")
        found.append((f"checkpoint {body.get('id') if isinstance(body, dict) else '?'}",
                      body, later.get("inclusion_proof")))
    return found


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    verify = commands.add_parser(
        "verify-disposal", help="check a disposal record against the signed checkpoints "
                                "(exit 0 it holds, 1 it does not, 2 unreadable)",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("record", metavar="RECORD.json",
                        help="a disposal record, as GET /disposals/{case_id} gives it")
    verify.add_argument("--public-key", metavar="KEY.pem", action="append", required=True,
                        help="a checkpoint public key you keep (repeat for keys from "
                             "before a rotation)")
    verify.add_argument("--checkpoint", metavar="CP.json",
                        help="a later checkpoint with this case's inclusion proof, as "
                             "GET /checkpoints/{id}?case={case id} gives it")
    verify.set_defaults(handler=run_verify_disposal)


def run_verify_disposal(args: argparse.Namespace) -> int:
    from services.audit.signing import load_public_keys

    try:
        record = json.loads(Path(args.record).read_text())
        later = json.loads(Path(args.checkpoint).read_text()) if args.checkpoint else None
        keys = load_public_keys(Path(p).read_bytes() for p in args.public_key)
        if not isinstance(record, dict) or "case_id" not in record or \
                (later is not None and not isinstance(later, dict)):
            raise ValueError("not a disposal record or checkpoint")
    except (OSError, ValueError) as error:
        print(f"cannot read what was given: {error}", file=sys.stderr)
        return 2
    problems = check_record(record, keys, later)
    named = record.get("reference") or record.get("case_id")
    if problems:
        print(f"the disposal record of {named} does not verify: " + "; ".join(problems))
        return 1
    print(f"the disposal record of {named} verifies: {record.get('authority')}'s case "
          f"existed up to version {record['head'].get('version')}, signed in checkpoint "
          f"{record['checkpoint'].get('id')}"
          + (" and unchanged in the later checkpoint" if later else "")
          + f"; disposed of on {record.get('disposed_on')} ({record.get('rule')})")
    return 0
