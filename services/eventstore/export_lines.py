"""Export lines: a stored history written as JSON Lines a reader can check offline.

The writing half of the export format, beside the chain it shows; the checking
half, which needs nothing but the file, is services/audit/exports.py.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

from eventsourcing.persistence import StoredEvent

from services.eventstore.chain import (
    Decoder,
    EventParts,
    Redacted,
    field_commitment,
    field_salt,
    split,
    state_digest,
)

END = "export_end"
Redactor = Callable[[dict[str, Any]], dict[str, Any]]
def event_type(topic: str) -> str:
    return topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]



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
    erased = {k: v for k, v in state.items() if _is_redacted(v)}
    parts = EventParts.of(state, int(state.get("class_version", 1)))
    salt = header.salt or ""
    withheld = _withheld(type_, parts.data, redact)
    shown = {k: v for k, v in parts.data.items() if k not in withheld and k not in erased}
    record = {**base, "scheme": "hc2", "class_version": parts.class_version,
              "recorded_at": parts.recorded_at, "actor": parts.actor, "data": shown,
              "salts": {k: field_salt(salt, k) for k in shown}}
    if withheld or erased:
        kept: dict[str, dict[str, str]] = {
            k: {"reason": reason,
                "commitment": field_commitment(field_salt(salt, k), parts.data[k])}
            for k, reason in withheld.items() if k not in erased}
        kept.update({k: {"reason": "redacted", "redacted": str(v), "commitment": v.commitment}
                     for k, v in erased.items()})
        record["withheld"] = kept
    return record


def _is_redacted(value: Any) -> bool:
    """A field redacted in the store (services/eventstore/chain.py `Redacted`): its value
    erased, its note (the text it reads as) and its commitment kept."""
    return isinstance(value, Redacted)


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
