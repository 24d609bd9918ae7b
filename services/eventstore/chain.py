"""Tamper-evident history: every stored event is chained to the one before it.

Each stored event's bytes start with a short header: a scheme tag, the previous
event's link hash and its own. Two schemes exist, and a stream may hold both
(history is never rewritten; new events use the newest scheme):

- `hc1:` (the first): the link hash covers the previous link, the stream id,
  the version, the event's topic and the SHA-256 of its stored state.
- `hc2:` (every new event): the header also keeps a random salt, and the link
  hash covers the previous link, the stream id, the version, the topic, the
  class version, the recorded time, the actor and a commitment to the data in
  which each field is committed on its own, as SHA-256 over that field's salt
  (derived from the event's salt) and its canonical JSON. An export can then
  show every field but a withheld one with its salt, so that a reader can
  recompute everything they see, while the withheld field's commitment reveals
  nothing: without its salt a right guess and a wrong one look the same.

Verification of an export uses only the standard library, so anyone holding one
can check it with `casework verify FILE` (services/audit/exports.py).
"""

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    EventStore,
    Mapper,
    MapperDeserialisationError,
    Notification,
    Recording,
    StoredEvent,
    Transcoding,
)
from eventsourcing.utils import TopicError

from domain.case.redaction import FieldRedacted
from domain.errors import DomainError
from domain.recorded import recorded_value_problem

MAGIC = b"hc1:"
MAGIC_V2 = b"hc2:"
GENESIS = "0" * 64
_HEADER = len(MAGIC) + 128
_HEADER_V2 = len(MAGIC_V2) + 128 + 32
# Fields of a stored state that are not the event's data: the envelope.
ENVELOPE = {"originator_id", "originator_version", "originator_topic", "timestamp",
             "class_version", "actor_id", "actor_role"}


# -- the hashes ------------------------------------------------------------------------


def state_digest(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


def link_hash(previous: str, originator_id: Any, version: int, topic: str, digest: str) -> str:
    """The `hc1:` hash that chains one event to the previous event of its stream."""
    text = f"{previous}|{originator_id}|{version}|{topic}|{digest}"
    return hashlib.sha256(text.encode()).hexdigest()


_PLAIN = (str, int, float, bool, type(None))


def jsonable(value: Any) -> Any:
    """A value as a reader sees it in JSON: times in ISO 8601, amounts and ids as text."""
    if type(value) in _PLAIN:
        return value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    return str(value)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_encode_text = json.encoder.encode_basestring  # what _CANONICAL writes for a str


def _encode(value: Any) -> str:
    """`canonical`, written out for a text or a flat mapping of texts (the commonest cases:
    the encoder object builds its C encoder afresh for every mapping)."""
    kind = type(value)
    if kind is str:
        return _encode_text(value)
    if kind is dict and all(type(k) is str and type(v) is str for k, v in value.items()):
        return "{" + ",".join(_encode_text(k) + ":" + _encode_text(v)
                              for k, v in sorted(value.items())) + "}"
    return _CANONICAL.encode(value)


def canonical(value: Any) -> str:
    """The one JSON text of a (jsonable) value that both writer and verifier hash."""
    return _CANONICAL.encode(value)


def field_salt(event_salt: str, name: str) -> str:
    """One field's salt: showing it reveals neither the event's salt nor another field's."""
    return hashlib.sha256(f"{event_salt}|{name}".encode()).hexdigest()[:32]


def field_commitment(salt: str, value: Any) -> str:
    return hashlib.sha256(f"{salt}|{_encode(value)}".encode()).hexdigest()


def data_commitment(commitments: Mapping[str, str]) -> str:
    """SHA-256 of the field commitments as canonical JSON (written out: it runs per event)."""
    text = ",".join([_encode_text(name) + ':"' + str(commitment) + '"'
                     for name, commitment in sorted(commitments.items())])
    return hashlib.sha256(("{" + text + "}").encode()).hexdigest()


def link_hash_v2(previous: str, originator_id: Any, version: int, topic: str,
                 class_version: int, recorded_at: str, actor: Any, commitment: str) -> str:
    """The `hc2:` hash: everything a reader of the event sees, bound to the chain."""
    text = "|".join(["hc2", previous, str(originator_id), str(version), topic,
                     str(class_version), recorded_at, _encode(actor), commitment])
    return hashlib.sha256(text.encode()).hexdigest()


class Redacted(str):
    """A field's value erased by redaction: it reads as its note ("redacted on 5 December
    2026: ..."), and keeps the salted commitment of the value it replaced, so the event's
    link hash is recomputed as before and the chain, checkpoints and exports still verify.
    Only text fields are redacted, so every reader that expects text still gets text."""

    commitment: str

    def __new__(cls, note: str, commitment: str = "") -> "Redacted":
        value = super().__new__(cls, note)
        value.commitment = commitment
        return value

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return str(self), self.commitment


class RedactedAsRecorded(Transcoding):
    """How a redacted value is kept in a stored event (written by `redacted_state`)."""

    type = Redacted
    name = "redacted"

    def encode(self, obj: Redacted) -> dict[str, str]:
        return {"note": str(obj), "commitment": obj.commitment}

    def decode(self, data: dict[str, str]) -> Redacted:
        return Redacted(data["note"], data["commitment"])


def redacted_state(plain: bytes, event_salt: str, field: str, note: str) -> tuple[bytes, str]:
    """A stored state with one text field's value replaced by its redaction note; and that
    field's commitment, which the replacement keeps."""
    state = json.loads(plain)
    value = state[field]
    commitment = field_commitment(field_salt(event_salt, field), value)
    state[field] = {"_type_": RedactedAsRecorded.name,
                    "_data_": {"note": note, "commitment": commitment}}
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode(), commitment


class _Unknown(Exception):
    pass


def _as_read(wrapped: dict[str, Any]) -> Any:
    """A value the event store's transcoder wrapped, straight to how a reader sees it."""
    kind, data = wrapped.get("_type_"), wrapped.get("_data_")
    if kind is None or len(wrapped) != 2:
        return wrapped
    if kind in ("datetime_iso", "date_iso", "decimal_str"):  # each stored as its own text
        return data
    if kind == "uuid_hex":
        return str(UUID(data))
    if kind == RedactedAsRecorded.name and isinstance(data, dict):
        return Redacted(data["note"], data["commitment"])
    raise _Unknown(kind)


def decode_as_read(plain: bytes, fallback: Callable[[bytes], Mapping[str, Any]]
                   ) -> Mapping[str, Any]:
    """A stored state as a reader sees its values; `fallback` decodes any other type.

    Faster than building each datetime only to print it again: verification
    reads every event of a stream.
    """
    try:
        return json.loads(plain, object_hook=_as_read)
    except _Unknown:
        return fallback(plain)


@dataclass(frozen=True)
class EventParts:
    """An event as a reader sees it: when, who, and its data (each field jsonable)."""

    class_version: int
    recorded_at: str
    actor: dict[str, Any] | None
    data: dict[str, Any]

    @classmethod
    def of(cls, state: Mapping[str, Any], class_version: int) -> "EventParts":
        """From an event's attributes (when saving) or its decoded stored state."""
        timestamp = state.get("timestamp")
        actor = ({"id": state.get("actor_id"), "role": state.get("actor_role")}
                 if "actor_id" in state or "actor_role" in state else None)
        data = {k: (v if type(v) in _PLAIN or type(v) is Redacted else jsonable(v))
                for k, v in state.items() if k not in ENVELOPE}
        recorded = timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp)
        return cls(class_version, recorded, jsonable(actor), data)

    def commitments(self, event_salt: str) -> dict[str, str]:
        """Each field's commitment (written out: verification runs this for every event)."""
        sha256, prefix, commitments = hashlib.sha256, event_salt + "|", {}
        for name, value in self.data.items():
            if type(value) is Redacted:  # erased: its commitment is what stays
                commitments[name] = value.commitment
                continue
            salt = sha256((prefix + name).encode()).hexdigest()[:32]
            text = _encode_text(value) if type(value) is str else _encode(value)
            commitments[name] = sha256((salt + "|" + text).encode()).hexdigest()
        return commitments

    def link(self, previous: str, originator_id: Any, version: int, topic: str,
             event_salt: str) -> str:
        return link_hash_v2(previous, originator_id, version, topic, self.class_version,
                            self.recorded_at, self.actor,
                            data_commitment(self.commitments(event_salt)))


@dataclass(frozen=True)
class Header:
    """What a chained stored event's header says, and the plain state after it."""

    scheme: str
    previous: str
    own: str
    salt: str | None
    plain: bytes


def header_length(state: bytes) -> int:
    """How many bytes of a stored state `split` takes as its header (0: none)."""
    if state.startswith(MAGIC_V2) and len(state) >= _HEADER_V2:
        return _HEADER_V2
    if state.startswith(MAGIC) and len(state) >= _HEADER:
        return _HEADER
    return 0


def split(state: bytes) -> Header | None:
    """The header of a chained state, or None for an unchained one."""
    cut = header_length(state)
    if cut == _HEADER_V2:
        text = state[len(MAGIC_V2):cut].decode("ascii", errors="replace")
        return Header("hc2", text[:64], text[64:128], text[128:], state[cut:])
    if cut == _HEADER:
        text = state[len(MAGIC):cut].decode("ascii", errors="replace")
        return Header("hc1", text[:64], text[64:], None, state[cut:])
    return None


def class_version_of(event_class: type) -> int:
    return int(getattr(event_class, "class_version", 1) or 1)


# -- the store ---------------------------------------------------------------------------


class UnreadableEvent(DomainError):
    """A stored event that cannot be turned back into a valid event: poison.

    Raised by the one mapper every reader goes through, whatever went wrong (an
    unknown type, bytes that are not JSON, a header that does not parse, a value
    of the wrong type, an upcaster that failed), so that each reader contains it
    to the one stream it belongs to instead of failing for everyone.
    """

    rule = "event_unreadable"

    def __init__(self, originator_id: Any, version: int, reason: str) -> None:
        super().__init__(f"version {version} of {originator_id} cannot be read: {reason}",
                         field="state")
        self.originator_id = originator_id
        self.version = version
        self.reason = reason


_HEX = re.compile(rb"[0-9a-f]*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def why_unreadable(error: BaseException, topic: str) -> str:
    """A short reason, in words an operator can act on, fit to store and to show."""
    cause = error.__cause__ if isinstance(error, MapperDeserialisationError) else error
    if isinstance(error, TopicError):
        reason = f"its type {topic!r} is not one this release knows"
    elif isinstance(cause, UnicodeDecodeError):
        reason = f"its stored bytes are not UTF-8 text (byte {cause.start})"
    elif isinstance(cause, ValueError) and isinstance(error, MapperDeserialisationError):
        reason = f"its stored bytes are not valid JSON ({cause})"
    elif isinstance(error, AttributeError) and "upcast_" in str(error):
        reason = f"no upcaster brings it to this release's class version ({error})"
    else:
        reason = f"it could not be rebuilt ({type(cause).__name__}: {cause})"
    return _CONTROL.sub("?", reason)[:300]


def header_problem(state: bytes) -> str | None:
    """Why a stored event's chain header is missing or does not parse; None when it is fine."""
    cut = header_length(state)
    if not cut and state[:4] == b"ce0:":
        return ("it is stored unencrypted in a case whose events are encrypted: it was "
                "written around casework")
    if not cut and state[:4] == b"ce1:":
        return ("it is encrypted and does not open: its stream's data key was destroyed "
                "(disposed of) or is missing, or its bytes were altered")
    if not cut:
        return "its chain header is missing or cut short"
    if not _HEX.fullmatch(state[len(MAGIC):cut]):
        return "its chain header does not parse (the hashes are not hexadecimal)"
    return None


class ChainedMapper(Mapper):
    """Reads chained stored events: strips the header before decoding.

    By its length alone, without reading it: every event a case is loaded or a
    read model rebuilt from passes through here. Any failure to rebuild a valid
    event, and a value its class does not declare (domain/recorded.py), is raised
    as `UnreadableEvent` naming the version and why. With `require_header` (the
    event store's events, not its snapshots) a header that does not parse is too.
    """

    require_header = False

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = stored_event.state
        problem = header_problem(state) if self.require_header else None
        if problem is not None:
            raise UnreadableEvent(stored_event.originator_id,
                                  stored_event.originator_version, problem)
        try:
            event = super().to_domain_event(self._without_header(stored_event))
        except Exception as error:  # noqa: BLE001 - poison of any kind is contained here
            raise UnreadableEvent(stored_event.originator_id, stored_event.originator_version,
                                  why_unreadable(error, stored_event.topic)) from error
        problem = recorded_value_problem(event)
        if problem is not None:
            raise UnreadableEvent(stored_event.originator_id,
                                  stored_event.originator_version, problem)
        return event

    @staticmethod
    def _without_header(stored_event: StoredEvent) -> StoredEvent:
        cut = header_length(stored_event.state)
        if not cut:
            return stored_event
        return StoredEvent(originator_id=stored_event.originator_id,
                           originator_version=stored_event.originator_version,
                           topic=stored_event.topic, state=stored_event.state[cut:])


class ChainedEventMapper(ChainedMapper):
    """The event store's mapper: every stored event must carry a header that parses."""

    require_header = True


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
    scheme = "hc2"  # the scheme new events are written with ("hc1" only to test old history)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._heads: dict[Any, tuple[int, str]] = {}
        self._heads_lock = threading.Lock()

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Recording]:
        heads: dict[Any, str] = {}
        stored = [self._chain(self.mapper.to_stored_event(event), heads, event)
                  for event in domain_events]
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

    def _chain(self, stored: StoredEvent, heads: dict[Any, str],
               event: Any = None) -> StoredEvent:
        """The stored event with its header; without the domain event, under `hc1`."""
        key = stored.originator_id
        version = stored.originator_version
        previous = heads.get(key) or self._head_before(key, version)
        if self.scheme == "hc1" or event is None:
            own = link_hash(previous, key, version, stored.topic, state_digest(stored.state))
            header = MAGIC + previous.encode() + own.encode()
        else:
            salt = os.urandom(16).hex()
            parts = EventParts.of(vars(event), class_version_of(type(event)))
            own = parts.link(previous, key, version, stored.topic, salt)
            header = MAGIC_V2 + previous.encode() + own.encode() + salt.encode()
        heads[key] = own
        return StoredEvent(originator_id=key, originator_version=version, topic=stored.topic,
                           state=header + stored.state)

    def _head_before(self, originator_id: Any, version: int) -> str:
        if version <= 1:
            return GENESIS
        known = self._heads.get(originator_id)
        if known is not None and known[0] == version - 1:
            return known[1]
        last = list(self.recorder.select_events(originator_id, lte=version - 1, desc=True,
                                                limit=1))
        header = split(last[0].state) if last else None
        return header.own if header else GENESIS

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
                header = split(event.state)
                if header is not None and (known is None or known[0] < event.originator_version):
                    self._heads[key] = (event.originator_version, header.own)
            while len(self._heads) > self.heads_maxsize:
                del self._heads[next(iter(self._heads))]


# -- verification --------------------------------------------------------------


@dataclass
class ChainLink:
    """One event of an exported or stored stream, as verification needs it.

    `recomputed` is the link hash worked out from what the event holds (or, in an
    export, from what it shows), with the event's own claim of its previous hash.
    """

    originator_id: str
    version: int
    previous_hash: str
    hash: str
    recomputed: str
    unreadable: str | None = None  # why the stored event cannot be rebuilt, if it cannot
    holds: frozenset[str] = frozenset()  # the fields whose value it holds (not erased)
    erases: tuple[int, str] | None = None  # a redaction: the version and field it erased


@dataclass
class Verification:
    ok: bool
    events_checked: int
    first_broken_version: int | None = None
    problem: str | None = None
    head_hash: str | None = None
    checkpoint: dict[str, Any] | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Decoder = Callable[[bytes], Mapping[str, Any]]


def link_of_stored(event: StoredEvent, decode: Decoder) -> ChainLink:
    """The link a stored event claims and the one its content gives (may raise on bad bytes)."""
    header = split(event.state)
    if header is None:
        raise ValueError("the event carries no chain header")
    key, version = event.originator_id, event.originator_version
    if header.scheme == "hc1":
        recomputed = link_hash(header.previous, key, version, event.topic,
                               state_digest(header.plain))
        return ChainLink(str(key), version, header.previous, header.own, recomputed)
    state = decode(header.plain)
    parts = EventParts.of(state, int(state.get("class_version", 1)))
    recomputed = parts.link(header.previous, key, version, event.topic, header.salt or "")
    return ChainLink(str(key), version, header.previous, header.own, recomputed,
                     holds=frozenset(k for k, v in parts.data.items() if type(v) is not Redacted),
                     erases=erased_by(event.topic, parts.data))


Readable = Callable[[StoredEvent], str | None]
"""Why a stored event cannot be rebuilt into a valid event (None: it can)."""


def links_from_stored(stored: Iterable[StoredEvent], decode: Decoder,
                      unreadable: Readable | None = None
                      ) -> Iterator[ChainLink | tuple[int, str]]:
    """Each stored event's link; with `unreadable`, also whether every reader can rebuild it."""
    for event in stored:
        try:
            link = link_of_stored(event, decode)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            reason = unreadable(event) if unreadable is not None else None
            yield (event.originator_version,
                   f"the event cannot be read: {reason or _CONTROL.sub('?', str(error))}")
            continue
        if unreadable is not None:
            link.unreadable = unreadable(event)
        yield link


def erased_by(topic: str, data: Mapping[str, Any]) -> tuple[int, str] | None:
    """The version and field an event erased, if it is a redaction of one field
    (domain/case/redaction.py `FieldRedacted`); None for any other event."""
    if topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1] != FieldRedacted.__name__:
        return None
    version, name = data.get("version"), data.get("field")
    if type(version) is not int or not isinstance(name, str):
        return None
    return version, name


def _put_back(link: ChainLink, holds: Mapping[int, frozenset[str]]) -> str | None:
    """A field a redaction erased that holds a value again: the chain cannot see it (the
    value matches the commitment kept), but the redaction recorded later in it can."""
    if link.erases is None or link.erases[1] not in holds.get(link.erases[0], ()):
        return None
    version, name = link.erases
    return (f"the {name} of version {version} holds text again, though version "
            f"{link.version} redacted it: put back from a copy taken before the redaction, "
            "or the redaction was not carried out")


def verify_links(links: Iterable[ChainLink | tuple[int, str]]) -> Verification:
    """Walk a stream in version order; report the first link that does not hold, or the
    first field a later redaction names that is not erased."""
    previous, expected_version, checked = GENESIS, 1, 0
    holds: dict[int, frozenset[str]] = {}
    for link in links:
        if isinstance(link, tuple):
            return Verification(False, checked, link[0], link[1])
        if link.version != expected_version:
            return Verification(False, checked, expected_version,
                                f"expected version {expected_version} but found "
                                f"{link.version}: an event was removed or reordered")
        problem = None
        if link.previous_hash != previous:
            problem = ("the event does not follow the one before it "
                       "(altered, removed or reordered)")
        elif link.recomputed != link.hash:
            problem = "the event's content does not match its hash (altered)"
        if problem is not None or link.unreadable:
            unreadable = f"the event cannot be read: {link.unreadable}" if link.unreadable \
                else None
            return Verification(False, checked, link.version,
                                "; and ".join(p for p in (problem, unreadable) if p))
        put_back = _put_back(link, holds)
        if put_back is not None:
            return Verification(False, checked, link.erases[0] if link.erases else None,
                                put_back)
        if link.holds:
            holds[link.version] = link.holds
        previous, expected_version, checked = link.hash, expected_version + 1, checked + 1
    return Verification(True, checked, head_hash=previous if checked else None)


@dataclass(frozen=True)
class SignedHead:
    """What a signed checkpoint says of one stream, once its signature (and the stream's
    inclusion under its root) has been checked: `version` and `hash` are the head it
    signed (None: the stream was not in it); `problem`, why the checkpoint itself does
    not hold (a bad signature, a root its heads do not give, a proof that fails)."""

    checkpoint_id: Any
    created_at: Any
    key_id: Any
    version: int | None = None
    hash: str | None = None
    problem: str | None = None


def verify_history(links: Iterable[ChainLink | tuple[int, str]], hashes: Mapping[int, str],
                   signed: SignedHead | None) -> Verification:
    """The one verification of a history, wherever it is asked for: the API, the case
    page, the export check and the command line all come here, so they give the same
    answer. The chain is walked (the first link that does not hold is named); then the
    history (`hashes`: each version's own link hash, as stored or as exported) is
    compared with the head a checkpoint signed, which names a rewrite with every later
    link recomputed, or events cut off the end. The chain's failure, being the earlier
    in the history, is the one named when both fail; the checkpoint's report is kept
    beside it either way.
    """
    result = verify_links(links)
    if signed is None:
        return result
    broken, problem = None, signed.problem
    if problem is None and signed.version is not None:
        broken, problem = _departure(signed, hashes)
    result.checkpoint = {"id": signed.checkpoint_id, "created_at": signed.created_at,
                         "key_id": signed.key_id, "ok": problem is None, "problem": problem,
                         "first_broken_version": broken, "included_version": signed.version}
    if problem is not None and result.ok:
        result.ok, result.first_broken_version, result.problem = False, broken, problem
    return result


def _departure(signed: SignedHead, hashes: Mapping[int, str]) -> tuple[int | None, str | None]:
    """Where a history departs from the head a checkpoint signed, and how."""
    version, last = signed.version or 0, max(hashes, default=0)
    if version > last:
        return last + 1, (f"checkpoint {signed.checkpoint_id} signed version {version}, but "
                          f"the history ends at version {last}: events were cut off the end")
    if hashes.get(version) != signed.hash:
        return version, (f"the history up to version {version} is not the one checkpoint "
                         f"{signed.checkpoint_id} signed: rewritten")
    return None, None


def stored_hashes(stored: Iterable[StoredEvent]) -> dict[int, str]:
    """Each stored version's own link hash, as its header claims it."""
    found = {}
    for event in stored:
        header = split(event.state)
        found[event.originator_version] = header.own if header is not None else ""
    return found
