"""Signed checkpoints: every stream's head under one Merkle root, signed outside the database.

A checkpoint records, for every stream of the case store, its last version and
link hash, as of a position in the notification log; the Merkle root over them
is signed with the Ed25519 key from CASEWORK_CHECKPOINT_KEY_FILE. Someone who
rewrites an event and recomputes every later link, or cuts events off the end,
changes a head that a checkpoint already signed: verification against the
checkpoint (online here, offline in services/audit/exports.py) names it.

Each checkpoint keeps its heads (compressed), so it can prove any stream's
inclusion later; the next checkpoint starts from them and reads only the
notifications since.
"""

import base64
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.errors import DomainError
from services.audit.access_log import ACCESS_LOG_STREAM, LogHead, kept_here, read_head
from services.audit.merkle import Head, inclusion_proof, merkle_root
from services.audit.signing import (
    SCHEME,
    SigningKey,
    load_public_keys,
    public_pem,
    signature_problem,
)
from services.eventstore.chain import (
    SignedHead,
    Verification,
    links_from_stored,
    split,
    stored_hashes,
    verify_history,
)
from services.eventstore.side_tables import SideTables
from services.eventstore.store import EventStoreApplication, NotFound
from services.platform.settings import Settings


class CheckpointNotFound(NotFound):
    rule = "checkpoint_not_found"


class NoSigningKey(DomainError):
    rule = "checkpoint_key_missing"


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of every stream's head at one position of the log."""

    id: int
    created_at: str
    position: int
    streams: int
    root: str
    key_id: str
    signature: str

    def body(self) -> dict[str, Any]:
        return {"scheme": SCHEME, **asdict(self)}


_SCHEMA = ["""CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, position INTEGER NOT NULL,
    streams INTEGER NOT NULL, root TEXT NOT NULL, key_id TEXT NOT NULL,
    signature TEXT NOT NULL, heads TEXT NOT NULL)"""]
_FIELDS = "id, created_at, position, streams, root, key_id, signature"


def _pack(heads: Mapping[str, Head]) -> str:
    rows = [[h.originator_id, h.version, h.hash] for h in sorted(heads.values())]
    return base64.b64encode(zlib.compress(json.dumps(rows).encode())).decode()


def _unpack(text: str) -> dict[str, Head]:
    rows = json.loads(zlib.decompress(base64.b64decode(text)))
    return {r[0]: Head(r[0], r[1], r[2]) for r in rows}


class CheckpointLedger(SideTables):
    """Writes, lists and proves checkpoints, in the event store's own database."""

    schema = _SCHEMA

    def __init__(self, settings: Settings, *, key: SigningKey | None = None,
                 public_keys: Mapping[str, Ed25519PublicKey] | None = None) -> None:
        super().__init__(settings)
        self.key = key
        self.public_keys = dict(public_keys or {})
        if key is not None:
            self.public_keys[key.key_id] = key.public_key

    @classmethod
    def configured(cls, settings: Settings) -> "CheckpointLedger":
        """With the key file and the older public keys the configuration names."""
        path = settings.checkpoint_key_file
        key = SigningKey.load(path) if path is not None and path.exists() else None
        older = [Path(p.strip()) for p in settings.checkpoint_public_keys.split(",") if p.strip()]
        return cls(settings, key=key, public_keys=load_public_keys(p.read_bytes() for p in older))

    # -- writing -----------------------------------------------------------------

    def write(self, store: EventStoreApplication, *, only_if_changed: bool = False
              ) -> Checkpoint | None:
        """Sign every stream's head as of now; None when nothing changed (if asked)."""
        if self.key is None:
            raise NoSigningKey("no checkpoint signing key is configured "
                               "(set CASEWORK_CHECKPOINT_KEY_FILE)", field="key")
        with self._transaction(lock=True) as cursor:
            if self.postgres:
                cursor.execute("LOCK TABLE checkpoints IN EXCLUSIVE MODE")
            cursor.execute(f"SELECT {_FIELDS}, heads FROM checkpoints ORDER BY id DESC LIMIT 1")
            last = cursor.fetchone()
            heads = _unpack(last[7]) if last else {}
            position = _follow(store, last[2] if last else 0, heads)
            log_moved = _follow_access_log(cursor, self.postgres, heads)
            if last and only_if_changed and position == last[2] and not log_moved:
                return None
            leaves = [h.leaf() for h in sorted(heads.values())]
            unsigned = Checkpoint((last[0] + 1) if last else 1, datetime.now(UTC).isoformat(),
                                  position, len(heads), merkle_root(leaves), self.key.key_id, "")
            checkpoint = replace(unsigned, signature=self.key.sign(unsigned.body()))
            cursor.execute("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (*asdict(checkpoint).values(), _pack(heads)))
            return checkpoint

    # -- reading -----------------------------------------------------------------

    def every(self) -> list[Checkpoint]:
        with self._read() as cursor:
            cursor.execute(f"SELECT {_FIELDS} FROM checkpoints ORDER BY id")
            return [Checkpoint(*row) for row in cursor.fetchall()]

    def get(self, checkpoint_id: int) -> Checkpoint:
        return self._with_heads(checkpoint_id)[0]

    def latest(self) -> Checkpoint | None:
        with self._read() as cursor:
            cursor.execute("SELECT MAX(id) FROM checkpoints")
            newest = cursor.fetchone()[0]
        return self.get(newest) if newest else None

    def _with_heads(self, checkpoint_id: int) -> tuple[Checkpoint, dict[str, Head]]:
        with self._read() as cursor:
            cursor.execute(f"SELECT {_FIELDS}, heads FROM checkpoints WHERE id = ?",
                           (checkpoint_id,))
            row = cursor.fetchone()
        if row is None:
            raise CheckpointNotFound(f"no checkpoint {checkpoint_id}", field="checkpoint_id")
        return Checkpoint(*row[:7]), _unpack(row[7])

    def proof(self, checkpoint_id: int, stream_id: UUID | str) -> dict[str, Any] | None:
        """The stream's head in the checkpoint and the path from it to the signed root."""
        checkpoint, heads = self._with_heads(checkpoint_id)
        ordered = sorted(heads.values())
        head = heads.get(str(stream_id))
        if head is None:
            return None
        path = inclusion_proof([h.leaf() for h in ordered], ordered.index(head))
        return {"checkpoint_id": checkpoint.id, "originator_id": head.originator_id,
                "version": head.version, "hash": head.hash, "path": path}

    def signed_access_head(self) -> tuple[LogHead | None, str | None]:
        """The access log's head as the latest checkpoint signed it, and why that
        checkpoint cannot be trusted if it cannot (None, None: no checkpoint signed it)."""
        latest = self.latest()
        if latest is None:
            return None, None
        checkpoint, heads = self._with_heads(latest.id)
        problem = signature_problem(checkpoint.body(), self.public_keys)
        if problem is None and merkle_root([h.leaf() for h in sorted(heads.values())]) \
                != checkpoint.root:
            problem = f"checkpoint {checkpoint.id}'s stored heads do not give its signed root"
        head = heads.get(ACCESS_LOG_STREAM)
        return (LogHead(head.version, head.hash) if head else None), problem

    def public_key_pem(self, key_id: str) -> str | None:
        key = self.public_keys.get(key_id)
        return public_pem(key) if key is not None else None

    def evidence(self, stream_id: UUID) -> dict[str, Any]:
        """For an export's closing line: the latest checkpoint and this stream's proof."""
        latest = self.latest()
        proof = self.proof(latest.id, stream_id) if latest else None
        if latest is None or proof is None:
            return {}
        return {"checkpoint": latest.body(), "inclusion_proof": proof}

    # -- checking ----------------------------------------------------------------

    def signed_head(self, stream_id: UUID) -> SignedHead | None:
        """What the latest checkpoint signed of the stream, its signature and root checked
        (None: no checkpoint yet)."""
        latest = self.latest()
        if latest is None:
            return None
        checkpoint, heads = self._with_heads(latest.id)
        signed = SignedHead(checkpoint.id, checkpoint.created_at, checkpoint.key_id)
        problem = signature_problem(checkpoint.body(), self.public_keys)
        if problem is None and merkle_root([h.leaf() for h in sorted(heads.values())]) \
                != checkpoint.root:
            problem = f"checkpoint {checkpoint.id}'s stored heads do not give its signed root"
        if problem is not None:
            return replace(signed, problem=problem)
        head = heads.get(str(stream_id))
        return signed if head is None else replace(signed, version=head.version,
                                                   hash=head.hash)


def _follow_access_log(cursor: Any, postgres: bool, heads: dict[str, Head]) -> bool:
    """Put the access log's head among the heads to sign (once it has a record); whether
    it moved since the last checkpoint."""
    if not kept_here(cursor, postgres):
        return False
    head = read_head(cursor)
    known = heads.get(ACCESS_LOG_STREAM)
    if head.seq == 0 or (known is not None and known.version == head.seq):
        return False
    heads[ACCESS_LOG_STREAM] = Head(ACCESS_LOG_STREAM, head.seq, head.hash)
    return True


def _follow(store: EventStoreApplication, position: int, heads: dict[str, Head]) -> int:
    """Bring `heads` up to the end of the notification log; the position reached."""
    for notification in _after(store, position):
        header = split(notification.state)
        key = str(notification.originator_id)
        known, version = heads.get(key), notification.originator_version
        if header is not None and (known is None or known.version < version):
            heads[key] = Head(key, version, header.own)
        position = notification.id
    return position


def _after(store: EventStoreApplication, position: int) -> Iterator[Any]:
    while batch := store.recorder.select_notifications(start=position + 1, limit=1000):
        yield from batch
        position = batch[-1].id


def verify_against_checkpoint(store: EventStoreApplication, ledger: "CheckpointLedger",
                              stream_id: UUID) -> Verification:
    """The stored history through the one verification (services/eventstore/chain.py), against
    the latest checkpoint: what the API and the case page answer."""
    stored = store.stored_events(stream_id)
    if not stored:
        raise store.not_found_error(f"no record with id {stream_id}", field="id")
    links = links_from_stored(stored, store.decode_state, store.unreadable_reason)
    return verify_history(links, stored_hashes(stored), ledger.signed_head(stream_id))
