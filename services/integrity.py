"""Tamper-evident history: every stored event is chained to the one before it.

Each stored event's bytes start with a short header: the previous event's link
hash and its own. A link hash covers the previous link, the case id, the
version, the event's type and the SHA-256 digest of its stored state, so that
altering, removing or reordering any stored event breaks the chain at that
point. Hashing the digest (not the state itself) lets an export withhold a
confidential field yet still prove that the rest of the chain is intact.

Only the standard library is used in verification, so anyone holding an
exported history can check it with `python -m services.integrity verify FILE`.
"""

import hashlib
import json
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eventsourcing.persistence import (
    EventStore,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
)

MAGIC = b"hc1:"
GENESIS = "0" * 64
_HEADER = len(MAGIC) + 128


def state_digest(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


def link_hash(previous: str, originator_id: Any, version: int, topic: str, digest: str) -> str:
    """The hash that chains one event to the previous event of its stream."""
    text = f"{previous}|{originator_id}|{version}|{topic}|{digest}"
    return hashlib.sha256(text.encode()).hexdigest()


def split(state: bytes) -> tuple[str, str, bytes] | None:
    """(previous hash, own hash, plain state), or None for an unchained state."""
    if not state.startswith(MAGIC) or len(state) < _HEADER:
        return None
    header = state[len(MAGIC):_HEADER].decode("ascii", errors="replace")
    return header[:64], header[64:], state[_HEADER:]


class ChainedMapper(Mapper):
    """Reads chained stored events: strips the header before decoding."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        parts = split(stored_event.state)
        if parts is not None:
            stored_event = StoredEvent(
                originator_id=stored_event.originator_id,
                originator_version=stored_event.originator_version,
                topic=stored_event.topic,
                state=parts[2],
            )
        return super().to_domain_event(stored_event)


class ChainedEventStore(EventStore):
    """Writes each event with its link to the previous event of the same stream.

    The previous event is immutable once stored, so its hash can be read outside
    the insert's transaction, and remembered: a concurrent writer of the same
    version fails the insert on the unique (id, version) key, so nothing is
    chained twice. The last link seen of each recently used stream (from our own
    writes and from reads) is kept, so that a command on a case it has just
    loaded chains its event without another query.
    """

    heads_maxsize = 10_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._heads: dict[Any, tuple[int, str]] = {}
        self._heads_lock = threading.Lock()

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Recording]:
        heads: dict[Any, str] = {}
        stored = [self._chain(s, heads) for s in map(self.mapper.to_stored_event, domain_events)]
        ids = self.recorder.insert_events(stored, **kwargs)
        self._remember(stored)  # only once the insert has committed
        if not ids:
            return []
        return [
            Recording(d, Notification(originator_id=s.originator_id,
                                      originator_version=s.originator_version,
                                      topic=s.topic, state=s.state, id=n))
            for d, s, n in zip(domain_events, stored, ids, strict=True)
        ]

    def get(self, originator_id: Any, *, gt: int | None = None, lte: int | None = None,
            desc: bool = False, limit: int | None = None) -> Iterator[Any]:
        stored = self.recorder.select_events(originator_id=originator_id, gt=gt, lte=lte,
                                             desc=desc, limit=limit)
        self._remember(stored)
        return map(self.mapper.to_domain_event, stored)

    def _chain(self, event: StoredEvent, heads: dict[Any, str]) -> StoredEvent:
        key = event.originator_id
        previous = heads.get(key) or self._head_before(key, event.originator_version)
        own = link_hash(previous, key, event.originator_version, event.topic,
                        state_digest(event.state))
        heads[key] = own
        return StoredEvent(
            originator_id=event.originator_id, originator_version=event.originator_version,
            topic=event.topic, state=MAGIC + previous.encode() + own.encode() + event.state,
        )

    def _head_before(self, originator_id: Any, version: int) -> str:
        if version <= 1:
            return GENESIS
        known = self._heads.get(originator_id)
        if known is not None and known[0] == version - 1:
            return known[1]
        last = list(self.recorder.select_events(originator_id, lte=version - 1, desc=True,
                                                limit=1))
        parts = split(last[0].state) if last else None
        return parts[1] if parts else GENESIS

    def _remember(self, stored: Sequence[StoredEvent]) -> None:
        """Keep the highest chained link seen of each stream in `stored`."""
        latest: dict[Any, StoredEvent] = {}
        for event in stored:
            seen = latest.get(event.originator_id)
            if seen is None or seen.originator_version < event.originator_version:
                latest[event.originator_id] = event
        with self._heads_lock:
            for key, event in latest.items():
                known = self._heads.get(key)
                parts = split(event.state)
                if parts is not None and (known is None or known[0] < event.originator_version):
                    self._heads[key] = (event.originator_version, parts[1])
            while len(self._heads) > self.heads_maxsize:
                del self._heads[next(iter(self._heads))]


# -- verification --------------------------------------------------------------


@dataclass
class ChainLink:
    """One event of an exported or stored stream, as verification needs it."""

    originator_id: str
    version: int
    topic: str
    previous_hash: str
    hash: str
    state_sha256: str


@dataclass
class Verification:
    ok: bool
    events_checked: int
    first_broken_version: int | None = None
    problem: str | None = None
    head_hash: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def links_from_stored(stored: Iterable[StoredEvent]) -> Iterator[ChainLink | tuple[int, str]]:
    for event in stored:
        parts = split(event.state)
        if parts is None:
            yield (event.originator_version, "the event carries no chain header")
            continue
        previous, own, plain = parts
        yield ChainLink(str(event.originator_id), event.originator_version, event.topic,
                        previous, own, state_digest(plain))


def verify_links(links: Iterable[ChainLink | tuple[int, str]]) -> Verification:
    """Walk a stream in version order; report the first link that does not hold."""
    previous, expected_version, checked = GENESIS, 1, 0
    for link in links:
        if isinstance(link, tuple):
            return Verification(False, checked, link[0], link[1])
        if link.version != expected_version:
            problem = (f"expected version {expected_version} but found {link.version}: "
                       "an event was removed or reordered")
            return Verification(False, checked, expected_version, problem)
        if link.previous_hash != previous:
            return Verification(False, checked, link.version,
                                "the event does not follow the one before it "
                                "(altered, removed or reordered)")
        recomputed = link_hash(previous, link.originator_id, link.version, link.topic,
                               link.state_sha256)
        if recomputed != link.hash:
            return Verification(False, checked, link.version,
                                "the event's content does not match its hash (altered)")
        previous, expected_version, checked = link.hash, expected_version + 1, checked + 1
    return Verification(True, checked, head_hash=previous if checked else None)


# -- exports -------------------------------------------------------------------


def export_line(event: StoredEvent, view: dict[str, Any], *, withhold_state: bool) -> str:
    """One JSON Lines record: readable fields plus what an offline check needs."""
    previous, own, plain = split(event.state) or (None, None, event.state)
    record = {
        "originator_id": str(event.originator_id),
        "version": event.originator_version,
        "topic": event.topic,
        **{k: v for k, v in view.items() if k != "version"},
        "previous_hash": previous,
        "hash": own,
        "state_sha256": state_digest(plain),
    }
    if not withhold_state:
        record["state"] = plain.decode("utf-8")
    return json.dumps(record, default=str, sort_keys=True)


def verify_export(lines: Iterable[str]) -> Verification:
    """Check an exported JSON Lines history with nothing but the file itself."""

    def links() -> Iterator[ChainLink | tuple[int, str]]:
        for number, line in enumerate((ln for ln in lines if ln.strip()), start=1):
            try:
                record = json.loads(line)
                digest = record["state_sha256"]
                if "state" in record and state_digest(record["state"].encode()) != digest:
                    yield (record["version"], "the state does not match its digest (altered)")
                    return
                yield ChainLink(record["originator_id"], record["version"], record["topic"],
                                record["previous_hash"], record["hash"], digest)
            except (ValueError, KeyError, TypeError) as error:
                yield (number, f"line {number} is not a history record: {error}")
                return

    return verify_links(links())


def main(argv: list[str] | None = None) -> int:
    """`python -m services.integrity verify history.jsonl`: exit 0 only if intact."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "verify":
        print("usage: python -m services.integrity verify HISTORY.jsonl", file=sys.stderr)
        return 2
    with open(args[1], encoding="utf-8") as export:
        result = verify_export(export)
    print(json.dumps(result.as_dict(), indent=2))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
