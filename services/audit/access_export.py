"""The access log as JSON Lines for auditors, and its check with nothing but the file.

The export's first line names the scheme and where the kept chain starts (the
genesis, or a "pruned up to" marker); then every kept record, oldest first, each
with its `previous` and own `hash`; the last line the head, and the latest
signed checkpoint with the proof that it signed the log's head. `casework
verify-access-log` recomputes every hash, checks each record follows the one
before, and, given the public key, that the checkpoint's signature holds and
that the head it signed is in the chain: a record altered, removed or moved, even
with every later hash recomputed, is named.
"""

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from services.audit.access_log import (
    ACCESS_LOG_STREAM,
    GENESIS,
    SCHEME,
    AccessLogBook,
    LogHead,
    chain_problem,
)
from services.audit.checkpoints import CheckpointLedger
from services.audit.merkle import leaf_hash, root_from_proof
from services.audit.signing import load_public_keys, signature_problem


def export_lines(book: AccessLogBook, ledger: CheckpointLedger) -> Iterator[str]:
    """The export, a line at a time (a long log is never held whole)."""
    pruned = book.pruned()
    start = pruned or LogHead(0, GENESIS)
    yield _line({"scheme": SCHEME, "starts_after": {"seq": start.seq, "hash": start.hash},
                 "pruned": pruned is not None})
    head, count = start, 0
    for record in book.every():
        yield _line(record.as_dict())
        head, count = LogHead(record.seq, record.hash), count + 1
    yield _line({"end": True, "records": count, "head": {"seq": head.seq, "hash": head.hash},
                 **_evidence(ledger)})


def _evidence(ledger: CheckpointLedger) -> dict[str, Any]:
    latest = ledger.latest()
    proof = ledger.proof(latest.id, ACCESS_LOG_STREAM) if latest else None
    if latest is None or proof is None:
        return {}
    return {"checkpoint": latest.body(), "inclusion_proof": proof}


def _line(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True) + "\n"


def verify_access_export(lines: Iterable[str], public_keys: Mapping[str, Any] | None = None
                         ) -> str | None:
    """Why the export does not hold (None: it holds). With public keys, the checkpoint it
    carries must be signed by one of them and must sign a head that is in the chain."""
    rows = [json.loads(line) for line in lines if line.strip()]
    odd = next((n for n, row in enumerate(rows, start=1) if not isinstance(row, dict)), None)
    if odd is not None:
        return f"line {odd} is not a record (a JSON object): not a casework access-log export"
    if not rows or rows[0].get("scheme") != SCHEME or not rows[-1].get("end"):
        return "not a whole casework access-log export (its first or last line is missing)"
    first, records, end = rows[0], rows[1:-1], rows[-1]
    start = LogHead(int(first["starts_after"]["seq"]), str(first["starts_after"]["hash"]))
    if not first.get("pruned") and start != LogHead(0, GENESIS):
        return "the export says it starts after a record, but no pruning is recorded"
    signed = None
    if public_keys is not None:
        signed, problem = _signed(end, public_keys)
        if problem:
            return problem
    problem = chain_problem(records, start, signed)
    if problem is None and records and end.get("head", {}).get("hash") != records[-1]["hash"]:
        return "the export's last line names a head that is not its last record"
    return problem


def _signed(end: Mapping[str, Any], keys: Mapping[str, Any]) -> tuple[LogHead | None, str | None]:
    body, proof = end.get("checkpoint"), end.get("inclusion_proof")
    if not body or not proof:
        return None, "the export carries no checkpoint that signed the access log"
    problem = signature_problem(body, keys)
    if problem:
        return None, problem
    leaf = leaf_hash(ACCESS_LOG_STREAM, int(proof["version"]), str(proof["hash"]))
    if root_from_proof(leaf, proof["path"]) != body.get("root"):
        return None, f"the proof does not lead to checkpoint {body.get('id')}'s signed root"
    return LogHead(int(proof["version"]), str(proof["hash"])), None


def run_verify(args: argparse.Namespace) -> int:
    """`casework verify-access-log`: exit 0 intact, 1 not, 2 unreadable."""
    try:
        text = Path(args.file).read_text(encoding="utf-8")
        keys = load_public_keys(Path(p).read_bytes() for p in args.public_key) \
            if args.public_key else None
        problem = verify_access_export(text.splitlines(), keys)
    except (OSError, ValueError, KeyError, TypeError, AttributeError,
            ArithmeticError) as error:  # a field of the wrong shape or size: unreadable
        print(f"cannot read the export: {error}", file=sys.stderr)
        return 2
    if problem:
        print(f"NOT intact: {problem}")
        return 1
    print("intact: every record follows the one before"
          + (", and the signed checkpoint's head is in the chain" if keys else ""))
    return 0


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="an export from GET /access-log/export")
    parser.add_argument("--public-key", action="append", default=[], metavar="KEY.pem",
                        help="a checkpoint public key you keep (repeat for keys from before "
                             "a rotation); checks the log against the checkpoint it carries")
