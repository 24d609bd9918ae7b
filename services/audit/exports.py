"""Exported histories that a reader can check with nothing but the file.

An export is JSON Lines: one line per event, oldest first, then a closing line
stating the stream's head (its version and link hash), so that a line dropped
from the end, or an empty file, is seen. Each `hc2` event line shows the event
type, version, recorded time, actor and data, with the salts of the data fields
shown: the verifier recomputes each field's commitment and the link hash from
exactly what a reader sees, so an edited field breaks the chain there. A field
withheld from this reader (a Chatham House source) is absent from `data` and
listed under `withheld` with its commitment alone; no other field may be absent.
Older `hc1` events carry their stored state and its digest instead.

    casework verify case.jsonl [--checkpoint CP.json --public-key KEY.pem]
"""

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from eventsourcing.persistence import StoredEvent

from services.audit.merkle import leaf_hash, root_from_proof
from services.eventstore.chain import (
    ChainLink,
    Decoder,
    EventParts,
    Verification,
    data_commitment,
    field_commitment,
    field_salt,
    link_hash,
    link_hash_v2,
    split,
    state_digest,
    verify_links,
)

END = "export_end"
Redactor = Callable[[dict[str, Any]], dict[str, Any]]
_V1_KEYS = {"scheme", "originator_id", "version", "topic", "type", "previous_hash", "hash",
            "state_sha256", "state", "withheld"}
_V2_KEYS = {"scheme", "originator_id", "version", "topic", "type", "class_version",
            "recorded_at", "actor", "data", "salts", "withheld", "previous_hash", "hash"}


def event_type(topic: str) -> str:
    return topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]


# -- writing -------------------------------------------------------------------------


def export_record(stored: StoredEvent, decode: Decoder, *, redact: Redactor | None,
                  v1_view: Callable[[StoredEvent], dict[str, Any]]) -> dict[str, Any]:
    """One event as an export line shows it."""
    header = split(stored.state)
    if header is None:
        raise ValueError(f"version {stored.originator_version} carries no chain header")
    type_ = event_type(stored.topic)
    base = {"originator_id": str(stored.originator_id), "version": stored.originator_version,
            "topic": stored.topic, "type": type_,
            "previous_hash": header.previous, "hash": header.own}
    if header.scheme == "hc1":
        view = v1_view(stored)
        record = {**base, "scheme": "hc1", "state_sha256": state_digest(header.plain)}
        if redact is None or redact(view) == view:
            record["state"] = header.plain.decode("utf-8")
        else:
            record["withheld"] = True
        return record
    state = decode(header.plain)
    parts = EventParts.of(state, int(state.get("class_version", 1)))
    salt = header.salt or ""
    withheld = _withheld(type_, parts.data, redact)
    shown = {k: v for k, v in parts.data.items() if k not in withheld}
    record = {**base, "scheme": "hc2", "class_version": parts.class_version,
              "recorded_at": parts.recorded_at, "actor": parts.actor, "data": shown,
              "salts": {k: field_salt(salt, k) for k in shown}}
    if withheld:
        record["withheld"] = {
            k: {"reason": reason,
                "commitment": field_commitment(field_salt(salt, k), parts.data[k])}
            for k, reason in withheld.items()}
    return record


def _withheld(type_: str, data: dict[str, Any], redact: Redactor | None) -> dict[str, str]:
    """The fields this reader may not see, each with the reason the redaction gives."""
    if redact is None:
        return {}
    shown = redact({"type": type_, "data": data}).get("data") or {}
    return {k: str(shown.get(k, "withheld")) for k, v in data.items()
            if k not in shown or shown[k] != v}


def export_end(records: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """The closing line: the head the export claims, so a cut-off end is seen."""
    last = records[-1]
    return {END: {"originator_id": last["originator_id"], "version": last["version"],
                  "hash": last["hash"], "events": len(records)}, **extra}


def dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


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
    return ChainLink(record["originator_id"], version, record["previous_hash"], record["hash"],
                     recomputed)


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
        result = verify_links(_links(events))
        if result.ok:
            _check_end(events, end)
            if public_keys is not None:
                result.checkpoint = _check_checkpoint(events, records[-1], checkpoint or {},
                                                      public_keys)
        return result
    except Refused as refused:
        return Verification(False, 0, refused.version, refused.problem)


def _check_checkpoint(events: list[dict[str, Any]], end: Mapping[str, Any],
                      given: Mapping[str, Any], keys: Mapping[str, Any]) -> dict[str, Any]:
    from services.audit.signing import signature_problem  # needs `cryptography`; only here

    body = given.get("checkpoint") or end.get("checkpoint")
    if not isinstance(body, dict):
        raise Refused(None, "there is no checkpoint to check against (give --checkpoint)")
    proof = given.get("inclusion_proof")
    if proof is None and (end.get("inclusion_proof") or {}).get("checkpoint_id") == body.get("id"):
        proof = end["inclusion_proof"]
    problem = signature_problem(body, keys)
    if problem:
        raise Refused(None, problem)
    stream = events[-1]["originator_id"]
    if not isinstance(proof, dict) or proof.get("originator_id") != stream:
        raise Refused(None, f"checkpoint {body['id']} comes with no inclusion proof for this "
                            "history (ask GET /checkpoints/{id}?case=...)")
    leaf = leaf_hash(stream, proof["version"], proof["hash"])
    if root_from_proof(leaf, proof["path"]) != body["root"]:
        raise Refused(None, f"the inclusion proof does not lead to checkpoint {body['id']}'s "
                            "signed root")
    by_version = {r["version"]: r for r in events}
    last = events[-1]["version"]
    if proof["version"] > last:
        raise Refused(last + 1, f"checkpoint {body['id']} signed version {proof['version']}, "
                                f"but the history ends at version {last}: events were cut off")
    if by_version.get(proof["version"], {}).get("hash") != proof["hash"]:
        raise Refused(proof["version"], f"the history up to version {proof['version']} is not "
                                        f"the one checkpoint {body['id']} signed: rewritten")
    return {"id": body["id"], "created_at": body.get("created_at"), "key_id": body["key_id"],
            "included_version": proof["version"], "ok": True}


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
    verify.add_argument("file", metavar="FILE", help="the exported history (.jsonl)")
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
        raise _Unreadable(f"cannot read {path}: "
                          f"{getattr(error, 'strerror', None) or error}") from None


class _Unreadable(Exception):
    pass


def _checkpoint_inputs(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.checkpoint and not args.public_key:
        raise _Unreadable("a checkpoint is checked with a public key you keep: "
                          "give --public-key KEY.pem")
    if not args.public_key:
        return None, None
    from services.audit.signing import load_public_keys  # needs `cryptography`; only here

    try:
        keys = load_public_keys(_read(p, binary=True) for p in args.public_key)
        checkpoint = json.loads(_read(args.checkpoint)) if args.checkpoint else None
    except ValueError as error:
        raise _Unreadable(f"cannot use the checkpoint or key given: {error}") from None
    return checkpoint, keys


def run_verify(args: argparse.Namespace) -> int:
    """`casework verify`: 0 intact, 1 not (the report names where), 2 unreadable."""
    try:
        lines = _read(args.file).splitlines()
        checkpoint, keys = _checkpoint_inputs(args)
    except _Unreadable as error:
        print(f"verify: {error}", file=sys.stderr)
        return 2
    result = verify_export(lines, checkpoint=checkpoint, public_keys=keys)
    print(json.dumps(result.as_dict(), indent=2))
    return 0 if result.ok else 1
