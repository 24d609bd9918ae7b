"""Exported histories that a reader can check with nothing but the file.

An export is JSON Lines: one line per event, oldest first, then a closing line
stating the stream's head (its version and link hash), so that a line dropped
from the end, or an empty file, is seen. Each `hc2` event line shows the event
type, version, recorded time, actor and data, with the salts of the data fields
shown: the verifier recomputes each field's commitment and the link hash from
exactly what a reader sees, so an edited field breaks the chain there. A field
withheld from this reader (a Chatham House source) is absent from `data` and
listed under `withheld` with its commitment alone; so is a field redacted (erased
from the store for a lawful reason), with its `redacted` note ("redacted on {date}:
{reason}"); no other field may be absent.
Older `hc1` events carry their stored state and its digest instead.

    casework verify case.jsonl [--checkpoint CP.json --public-key KEY.pem]
"""

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from services.audit.merkle import leaf_hash, root_from_proof
from services.eventstore.chain import (
    ChainLink,
    SignedHead,
    Verification,
    data_commitment,
    erased_by,
    field_commitment,
    link_hash,
    link_hash_v2,
    state_digest,
    verify_history,
)
from services.eventstore.export_lines import (  # noqa: F401 - the format, as exports show it
    END,
    Redactor,
    dumps,
    event_type,
    export_end,
    export_record,
)

_V1_KEYS = {"scheme", "originator_id", "version", "topic", "type", "previous_hash", "hash",
            "state_sha256", "state", "withheld"}
_V2_KEYS = {"scheme", "originator_id", "version", "topic", "type", "class_version",
            "recorded_at", "actor", "data", "salts", "withheld", "previous_hash", "hash"}


# -- checking --------------------------------------------------------------------------


class Refused(Exception):
    """A line of the export that cannot be part of an intact history."""

    def __init__(self, version: int | None, problem: str) -> None:
        super().__init__(problem)
        self.version = version
        self.problem = problem


def link_of_record(record: Mapping[str, Any]) -> ChainLink:
    """The link an export line claims, and the one recomputed from what it shows."""
    version = record["version"]
    if record.get("scheme") == "hc1":
        _only(record, _V1_KEYS, version)
        digest = record["state_sha256"]
        if "state" in record:
            if state_digest(record["state"].encode("utf-8")) != digest:
                raise Refused(version, "the state does not match its digest (altered)")
        elif record.get("withheld") is not True:
            raise Refused(version, "the state is missing but not marked withheld")
        recomputed = link_hash(record["previous_hash"], record["originator_id"], version,
                               record["topic"], digest)
    elif record.get("scheme") == "hc2":
        _only(record, _V2_KEYS, version)
        recomputed = link_hash_v2(
            record["previous_hash"], record["originator_id"], version, record["topic"],
            record["class_version"], record["recorded_at"], record["actor"],
            data_commitment(_commitments(record)))
    else:
        raise Refused(version, f"unknown hash scheme {record.get('scheme')!r}")
    if record["type"] != event_type(record["topic"]):
        raise Refused(version, "the type shown is not the event's recorded type (altered)")
    shown = record.get("data") if record.get("scheme") == "hc2" else None
    return ChainLink(record["originator_id"], version, record["previous_hash"], record["hash"],
                     recomputed, holds=frozenset(shown or ()),
                     erases=erased_by(record["topic"], shown) if shown else None)


def _only(record: Mapping[str, Any], allowed: set[str], version: int) -> None:
    extra = sorted(set(record) - allowed)
    if extra:
        raise Refused(version, f"the line shows {', '.join(extra)}, which the chain does "
                               "not cover (added)")


def _commitments(record: Mapping[str, Any]) -> dict[str, str]:
    data, salts = record["data"], record["salts"]
    withheld = record.get("withheld") or {}
    version = record["version"]
    both = sorted(set(data) & set(withheld))
    if both:
        raise Refused(version, f"{', '.join(both)} is both shown and withheld")
    unsalted = sorted(set(data) - set(salts))
    if unsalted:
        raise Refused(version, f"{', '.join(unsalted)} is shown without its salt")
    commitments = {k: field_commitment(salts[k], v) for k, v in data.items()}
    commitments.update({k: w["commitment"] for k, w in withheld.items()})
    return commitments


def read_records(lines: Iterable[str]) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise Refused(None, f"line {number} is not JSON: {error}") from None
        if not isinstance(record, dict):
            raise Refused(None, f"line {number} is not a history record")
        records.append(record)
    return records


def verify_export(lines: Iterable[str], *, checkpoint: Mapping[str, Any] | None = None,
                  public_keys: Mapping[str, Any] | None = None) -> Verification:
    """Check an exported history with nothing but the file: its chain and its stated end.

    Given public keys, also check it against a signed checkpoint (`checkpoint`, as
    GET /checkpoints/{id}?case=... gives it, or else the one the export carries),
    so that a rewrite with recomputed links, or a cut, before that checkpoint is named.
    """
    try:
        records = read_records(lines)
        if not records:
            raise Refused(None, "the file holds no history (it is empty)")
        end = records[-1].get(END)
        if not isinstance(end, dict):
            raise Refused(None, "the export has no closing line stating its head: "
                                "it may have been cut short")
        events = records[:-1]
        signed = _signed_head(events, records[-1], checkpoint or {}, public_keys) \
            if public_keys is not None else None
        hashes = {r["version"]: str(r.get("hash")) for r in events
                  if isinstance(r, dict) and isinstance(r.get("version"), int)}
        result = verify_history(_links(events), hashes, signed)
        if result.ok or (result.checkpoint is not None
                         and result.problem == result.checkpoint["problem"]):
            _check_end(events, end)  # the file's own end first: a cut file is named as such
        return result
    except Refused as refused:
        return Verification(False, 0, refused.version, refused.problem)


def _signed_head(events: list[dict[str, Any]], end: Mapping[str, Any],
                 given: Mapping[str, Any], keys: Mapping[str, Any]) -> SignedHead:
    """What the checkpoint given (or the one the export carries) signed of this history,
    its signature and this history's inclusion proof checked."""
    from services.audit.signing import signature_problem  # needs `cryptography`; only here

    body = given.get("checkpoint") or end.get("checkpoint")
    if not isinstance(body, dict):
        raise Refused(None, "there is no checkpoint to check against (give --checkpoint)")
    proof = given.get("inclusion_proof")
    if proof is None and (end.get("inclusion_proof") or {}).get("checkpoint_id") == body.get("id"):
        proof = end["inclusion_proof"]
    signed = SignedHead(body.get("id"), body.get("created_at"), body.get("key_id"))
    stream = str(events[-1].get("originator_id")) if events else ""
    problem = signature_problem(body, keys)
    if problem is None and (not isinstance(proof, dict) or proof.get("originator_id") != stream):
        problem = (f"checkpoint {body.get('id')} comes with no inclusion proof for this "
                   "history (ask GET /checkpoints/{id}?case=...)")
    if problem is None and isinstance(proof, dict):
        leaf = leaf_hash(stream, proof["version"], proof["hash"])
        if root_from_proof(leaf, proof["path"]) != body.get("root"):
            problem = (f"the inclusion proof does not lead to checkpoint {body.get('id')}'s "
                       "signed root")
    if problem is not None or not isinstance(proof, dict):
        return replace(signed, problem=problem)
    return replace(signed, version=proof["version"], hash=proof["hash"])


def _links(events: list[dict[str, Any]]) -> Iterator[ChainLink | tuple[int, str]]:
    stream = events[0].get("originator_id") if events else None
    for record in events:
        try:
            if record.get("originator_id") != stream:
                raise Refused(record.get("version"), "the line belongs to another stream")
            yield link_of_record(record)
        except Refused as refused:
            yield (refused.version or 0, refused.problem)
            return
        except (KeyError, TypeError, AttributeError) as error:
            yield (record.get("version", 0), f"the line is not a history record ({error!r})")
            return


def _check_end(events: list[dict[str, Any]], end: Mapping[str, Any]) -> None:
    if not events:
        raise Refused(None, "the export holds no events")
    last = events[-1]
    claimed = (end.get("originator_id"), end.get("version"), end.get("hash"), end.get("events"))
    if claimed != (last["originator_id"], last["version"], last["hash"], len(events)):
        raise Refused(last["version"] + 1,
                      f"the export claims its head is version {end.get('version')} "
                      f"but its last event is version {last['version']}: events are missing "
                      "from the end (cut short)")


# -- the command line ----------------------------------------------------------------

DESCRIPTION = """\
Check an exported case history (JSON Lines from GET /cases/{id}/export) using
nothing but the file. It checks that every event follows the one before it
(versions 1, 2, 3, ... each naming the previous event's hash); that each event's
type, time, actor and data, as shown, are exactly what was recorded (each field
is recomputed from its salt; only a field marked withheld may be absent); and
that the file ends where its closing line says the history ends, so an event
cut off the end, or an empty file, is seen.
"""
EPILOG = """\
With --public-key (and optionally --checkpoint), it also checks the history
against a checkpoint signed with a key outside the database: the signature
with the public key you keep, the inclusion proof from this history's head to
the signed Merkle root, and that the export holds exactly the version and hash
the checkpoint signed. A rewrite with every later link recomputed, or events
cut off before the checkpoint, is then named too.

exit status: 0 the history is intact; 1 it is not (the report names the first
broken version and why); 2 a file could not be read or the arguments are wrong.
"""


def add_verify_arguments(verify: argparse.ArgumentParser) -> None:
    verify.add_argument("file", metavar="FILE",
                        help="the exported history (.jsonl) or evidence bundle (.zip)")
    verify.add_argument("--checkpoint", metavar="CP.json",
                        help="a signed checkpoint, as GET /checkpoints/{id}?case={case id} "
                             "gives it (default: the one the export carries)")
    verify.add_argument("--public-key", metavar="KEY.pem", action="append", default=[],
                        help="a checkpoint public key you keep (repeat for keys from before a "
                             "rotation); needed to check against a checkpoint")


def _read(path: str, *, binary: bool = False) -> Any:
    try:
        if binary:
            with open(path, "rb") as file:
                return file.read()
        with open(path, encoding="utf-8") as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise Unreadable(f"cannot read {path}: "
                          f"{getattr(error, 'strerror', None) or error}") from None


class Unreadable(Exception):
    """A file given cannot be read, or the arguments do not fit (exit 2)."""


def checkpoint_inputs(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.checkpoint and not args.public_key:
        raise Unreadable("a checkpoint is checked with a public key you keep: "
                          "give --public-key KEY.pem")
    if not args.public_key:
        return None, None
    from services.audit.signing import load_public_keys  # needs `cryptography`; only here

    try:
        keys = load_public_keys(_read(p, binary=True) for p in args.public_key)
        checkpoint = json.loads(_read(args.checkpoint)) if args.checkpoint else None
    except ValueError as error:
        raise Unreadable(f"cannot use the checkpoint or key given: {error}") from None
    return checkpoint, keys


def run_verify(args: argparse.Namespace) -> int:
    """`casework verify`: 0 intact, 1 not (the report names where), 2 unreadable."""
    try:
        lines = _read(args.file).splitlines()
        checkpoint, keys = checkpoint_inputs(args)
    except Unreadable as error:
        print(f"verify: {error}", file=sys.stderr)
        return 2
    result = verify_export(lines, checkpoint=checkpoint, public_keys=keys)
    print(json.dumps(result.as_dict(), indent=2))
    return 0 if result.ok else 1
