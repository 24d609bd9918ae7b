"""What a webhook carries and how a receiver knows it came from casework, unaltered.

Each request is signed with HMAC-SHA256 under the region's secret
(`webhook_secret` in its policy) over the timestamp, a dot, and the exact body:

    Casework-Timestamp: 1795459200
    Casework-Signature: v1=<hex of HMAC-SHA256(secret, "1795459200." + body)>
    Idempotency-Key: <the notice's key; the same on every retry>

A receiver recomputes the signature, compares it in constant time, and refuses
a timestamp more than five minutes from its own clock (a replayed request).
The body is one of the JSON schemas below, by its `type`.
"""

import hashlib
import hmac
import json
from typing import Any

from services.cases.workflow_contract import Notice

TOLERANCE_SECONDS = 300
TYPES = ("remind", "remind of proposal", "escalate", "propose escalation", "delivery failed",
         "automation failed", "propose joint local meeting", "remind of joint local meeting")

_TEXT = {"type": "string"}
_WHEN = {"type": "string", "format": "date-time"}
_COMMON: dict[str, Any] = {
    "key": {**_TEXT, "description": "Names the notice for good: the Idempotency-Key"},
    "case_id": {**_TEXT, "description": "The case's id"},
    "reference": {**_TEXT, "description": "The case's reference, like NW-2026-0042 (blank "
                                          "for a case not yet given one)"},
    "authority": _TEXT,
    "region": _TEXT,
    "subject": _TEXT,
    "text": {**_TEXT, "description": "The email's plain text, for people"},
    "case_url": {**_TEXT, "description": "The case page; blank without a public base URL"},
}


def _schema(kind: str, required: dict[str, Any]) -> dict[str, Any]:
    properties = {"type": {"const": kind}, **_COMMON, **required}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"casework notice: {kind}", "type": "object",
            "properties": properties, "required": sorted(properties),
            "additionalProperties": False}


_DEADLINE = {"deadline": {**_TEXT, "description": "diagnosis, plan agreed, next review or "
                                                   "meeting summary"},
             "due": {**_WHEN, "description": "When the deadline fell (or falls) due"}}
_STAGE = {"to_stage": {**_TEXT, "description": "The stage the case goes (or would go) to"}}
SCHEMAS: dict[str, dict[str, Any]] = {
    "remind": _schema("remind", _DEADLINE),
    "remind of proposal": _schema("remind of proposal",
                                  {**_STAGE, "due": {**_WHEN, "description": "When proposed"}}),
    "escalate": _schema("escalate", {**_DEADLINE, **_STAGE}),
    "propose escalation": _schema("propose escalation", {**_DEADLINE, **_STAGE}),
    "propose joint local meeting": _schema("propose joint local meeting", _DEADLINE),
    "remind of joint local meeting": _schema(
        "remind of joint local meeting", {"due": {**_WHEN, "description": "When proposed"}}),
    "delivery failed": _schema("delivery failed", {}),
    "automation failed": _schema("automation failed", {"deadline": _DEADLINE["deadline"]}),
}


def payload(notice: Notice) -> dict[str, Any]:
    """The notice as its type's schema has it (no one's email address goes out)."""
    kind = notice.kind or "remind"
    body: dict[str, Any] = {"type": kind, "key": notice.key, "case_id": notice.case_id,
                            "reference": notice.reference, "authority": notice.authority,
                            "region": notice.region,
                            "subject": notice.subject, "text": notice.body,
                            "case_url": notice.case_url}
    extra = {"deadline": notice.deadline, "due": notice.due, "to_stage": notice.to_stage}
    wanted = SCHEMAS.get(kind, {}).get("properties", {})
    return body | {name: value for name, value in extra.items() if name in wanted}


def body_of(notice: Notice) -> bytes:
    return json.dumps(payload(notice), separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def signed_headers(notice: Notice, secret: str, body: bytes, now: int) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Idempotency-Key": notice.key,
               "Casework-Timestamp": str(now)}
    if secret:
        headers["Casework-Signature"] = signature(secret, now, body)
    return headers
