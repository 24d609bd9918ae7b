"""The base of every event-sourced application in casework.

Cases and registers share one event store configuration and, through this
class, the same hash-chained history, verification and as-of views.
"""

import contextlib
import copy
import pickle
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate, BaseAggregate, OriginatorVersionError
from eventsourcing.persistence import EventStore, Mapper, StoredEvent

from domain.errors import DomainError, InvalidField
from services.eventstore.chain import (
    ENVELOPE,
    ChainedEventMapper,
    ChainedEventStore,
    ChainedMapper,
    Redacted,
    RedactedAsRecorded,
    UnreadableEvent,
    Verification,
    decode_as_read,
    links_from_stored,
    redacted_state,
    split,
    verify_history,
)
from services.eventstore.encryption import (
    EncryptingRecorder,
    refuse_a_lost_key_store,
    refuse_a_store_in_the_clear,
)
from services.eventstore.export_lines import dumps, export_end, export_record
from services.eventstore.keys import (
    KeyStore,
    KeyStoreError,
    open_key_store,
    release_key_store,
)


class NotFound(DomainError):
    rule = "not_found"


class HistoryBroken(DomainError):
    """A record's stored history no longer applies (a row lost or altered): verify it."""

    rule = "history_broken"


class HistoryUnreadable(HistoryBroken):
    """A stored event of the record cannot be turned back into a valid event (poison):
    the record answers this problem, naming the version and why, rather than a 500."""

    rule = "history_unreadable"
    noun = "record"

    def __init__(self, record_id: Any, unreadable: UnreadableEvent) -> None:
        super().__init__(f"the history of {self.noun} {record_id} cannot be read from version "
                         f"{unreadable.version}: {unreadable.reason}", field="id")
        self.version = unreadable.version
        self.reason = unreadable.reason


def mutate_each(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply events in order: the library's projector, less a per-event protocol check.

    That check (`isinstance` against a runtime Protocol) cost a third of the time
    of loading a case on Python 3.11.
    """
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class CaseworkRepository(Repository[UUID]):
    """Loads aggregates with `mutate_each`, and shares cached ones safely between threads.

    Every touch of a cached aggregate happens under its lock: a read
    fast-forwards it from the store and copies it (a pickle round trip, in
    about 40% of the time `copy.deepcopy` takes); a command checks it out of
    the cache altogether, changes it, and hands it back once saved. A command
    that fails half-way therefore never leaves a changed aggregate in the cache.
    """

    def get(self, aggregate_id: UUID, *, version: int | None = None,
            projector_func: Any = mutate_each, **kwargs: Any) -> Any:
        if self.cache is None or version is not None:
            return super().get(aggregate_id, version=version, projector_func=projector_func,
                               **kwargs)
        seen = self._cached_version(aggregate_id)
        if seen is not None:
            # Read what the store has past the cached version before taking the aggregate's
            # lock: threads reading one aggregate (a region's policy, say) then wait for each
            # other's few microseconds in memory, not for each other's queries.
            newer = list(self.event_store.get(originator_id=aggregate_id, gt=seen))
            copied = self.read_cached(aggregate_id,
                                      lambda cached: self._fast_forwarded_copy(cached, newer))
            if copied is not None:
                return copied
        aggregate = self._reconstruct_aggregate(aggregate_id, None, projector_func)
        copied = _copy(aggregate)
        self.remember(aggregate)
        return copied

    def _cached_version(self, aggregate_id: UUID) -> int | None:
        """The version of the cached aggregate, if any (the cache has a lock of its own)."""
        try:
            return self.cache.get(aggregate_id).version if self.cache is not None else None
        except KeyError:
            return None

    def _fast_forwarded_copy(self, cached: Any, newer: list[Any]) -> Any:
        """Bring the cached aggregate up to the store's version (in place), then copy it.

        `newer` was read past the version the cached aggregate had a moment before; what
        of it the aggregate has since taken is skipped, and if it has fallen behind what
        was read (another thread put an older copy back), the store is read again here.
        An event that rewrote earlier ones in the store (a redaction, whose class says
        `rewrites_earlier_events`) means the cached state still holds what it erased, as
        another process cached it: the aggregate is rebuilt from the store instead."""
        newer = [event for event in newer if event.originator_version > cached.version]
        if newer and newer[0].originator_version != cached.version + 1:
            newer = list(self.event_store.get(originator_id=cached.id, gt=cached.version))
        if any(getattr(event, "rewrites_earlier_events", False) for event in newer):
            rebuilt = self._reconstruct_aggregate(cached.id, None, mutate_each)
            if self.cache is not None:
                self.cache.put(cached.id, rebuilt)
            return _copy(rebuilt)
        forwarded = mutate_each(cached, newer)
        if forwarded is None:
            raise AggregateNotFoundError(cached.id)
        if forwarded is not cached and self.cache is not None:
            self.cache.put(cached.id, forwarded)
        return _copy(forwarded)

    def checkout(self, aggregate_id: UUID) -> Any | None:
        """Take the cached aggregate out of the cache for a command to change.

        Without reading the store: the command's save is refused on the unique
        (id, version) key if the store has moved on, so a decision on a stale
        aggregate never lands. The command hands it back with `remember` once
        saved. None when it is not cached.
        """
        if self.cache is None:
            return None
        with self._locked(aggregate_id):
            try:
                return self.cache.get(aggregate_id, evict=True)
            except KeyError:
                return None

    def read_cached(self, aggregate_id: UUID, read: Callable[[Any], Any]) -> Any | None:
        """`read` applied to the cached aggregate (None if not cached), under its lock.

        `read` may bring the aggregate up to date, but must not keep references into it.
        """
        if self.cache is None:
            return None
        with self._locked(aggregate_id):
            try:
                cached = self.cache.get(aggregate_id)
            except KeyError:
                return None
            return read(cached)

    def remember(self, aggregate: Any) -> None:
        """Cache an aggregate just saved, unless a newer one is cached already.

        The caller hands it over: it must not change it after saving (see
        `EventStoreApplication.save_and_keep`).
        """
        if self.cache is None:
            return
        with self._locked(aggregate.id):
            try:
                cached = self.cache.get(aggregate.id)
            except KeyError:
                cached = None
            if cached is None or cached.version < aggregate.version:
                self.cache.put(aggregate.id, aggregate)

    @contextlib.contextmanager
    def _locked(self, aggregate_id: UUID) -> Iterator[None]:
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                yield
        finally:
            self._disuse_fastforward_lock(aggregate_id)


def _copy(aggregate: Any) -> Any:
    try:
        return pickle.loads(pickle.dumps(aggregate, pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):
        return copy.deepcopy(aggregate)


class EventStoreApplication(Application[UUID]):
    """An eventsourcing application on the configured store (SQLite or PostgreSQL).

    Recently used aggregates stay in an LRU cache (AGGREGATE_CACHE_MAXSIZE sets
    its size). A read fast-forwards the cached aggregate from the store, so it
    sees other processes' writes and reads only the events it has not seen; a
    command may take the cached one as it is (see `CaseworkRepository.checkout`).
    """

    is_snapshotting_enabled = True
    default_cache_maxsize = 1000
    repository: "CaseworkRepository"

    def construct_repository(self) -> "CaseworkRepository":
        maxsize = int(self.env.get(self.AGGREGATE_CACHE_MAXSIZE) or self.default_cache_maxsize)
        return CaseworkRepository(event_store=self.events, snapshot_store=self.snapshots,
                                  cache_maxsize=maxsize or None)
    not_found_error: type[DomainError] = NotFound
    history_broken_error: type[HistoryBroken] = HistoryBroken
    history_unreadable_error: type[HistoryUnreadable] = HistoryUnreadable

    def construct_mapper(self) -> Mapper[UUID]:
        """The events' mapper: every reader rebuilds stored events through it, so poison
        of every kind is raised here as `UnreadableEvent` (services/eventstore/chain.py)."""
        return self.factory.mapper(transcoder=self.construct_transcoder(),
                                   mapper_class=ChainedEventMapper)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """Snapshots carry no chain header, so their mapper does not require one; they are
        encrypted like the events."""
        mapper = self.factory.mapper(transcoder=self.mapper.transcoder,
                                     mapper_class=ChainedMapper)
        recorder: Any = self.factory.aggregate_recorder(purpose="snapshots")
        if self.key_store is not None:
            recorder = EncryptingRecorder(recorder, self.key_store)
            if self.env.get("CASEWORK_SEALING") != "yes":
                refuse_a_store_in_the_clear(recorder)
        return self.factory.event_store(mapper=mapper, recorder=recorder)

    def construct_recorder(self) -> Any:
        """The store's recorder, sealing every state under its stream's data key
        (services/eventstore/encryption.py) unless encryption is off (the bench only)."""
        recorder = self.factory.application_recorder()
        self.key_store: KeyStore | None = None
        if self.env.get("CASEWORK_ENCRYPTION", "on") == "off":
            return recorder
        location = self.env.get("CASEWORK_KEY_STORE")
        if not location:
            raise KeyStoreError("no key store is configured (CASEWORK_KEY_STORE): casework "
                                "never writes unencrypted data")
        self.key_store = open_key_store(location,
                                        Path(self.env.get("CASEWORK_MASTER_KEY_FILE") or ""))
        sealed = EncryptingRecorder(recorder, self.key_store)
        refuse_a_lost_key_store(sealed)
        if self.env.get("CASEWORK_SEALING") != "yes":  # set by `casework encrypt-store` only
            refuse_a_store_in_the_clear(sealed)
        return sealed

    def close(self) -> None:
        super().close()
        keys = getattr(self, "key_store", None)
        if keys is not None:
            release_key_store(keys)
            self.key_store = None

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(RedactedAsRecorded())

    @contextlib.contextmanager
    def readable(self, aggregate_id: UUID) -> Iterator[None]:
        """Within this block, an unreadable event of the record is its history's problem."""
        try:
            yield
        except UnreadableEvent as error:
            raise self.history_unreadable_error(aggregate_id, error) from None

    def unreadable_reason(self, stored: StoredEvent) -> str | None:
        """Why a stored event cannot be rebuilt by the readers' mapper (None: it can)."""
        try:
            self.mapper.to_domain_event(stored)
        except UnreadableEvent as error:
            return error.reason
        return None

    def construct_event_store(self) -> EventStore[UUID]:
        return ChainedEventStore(mapper=self.mapper, recorder=self.recorder)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """The library's save, collecting aggregates' events without its two runtime
        Protocol `isinstance` checks per object (a tenth of the cost of a save)."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            elif obj is not None:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, kept
        return recordings

    def save_and_keep(self, aggregate: Any) -> None:
        """Save an aggregate this service made and will not touch again, and cache it,
        so that the next command on it need not read it back from the store."""
        self.save(aggregate)
        self.repository.remember(aggregate)

    def _take_snapshots(self, processing_event: Any) -> None:
        """Snapshot the aggregate just saved, as it stands in memory.

        The library reloads the aggregate from the store to snapshot it (with its
        slower projector); the saved aggregate already holds exactly that state.
        """
        if not (self.snapshots and self.snapshotting_intervals):
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate else None
            if not interval or event.originator_version % interval:
                continue
            if aggregate.version == event.originator_version:
                snapshot_class: Any = getattr(type(aggregate), "Snapshot", self.snapshot_class)
                self.snapshots.put([snapshot_class.take(aggregate)])
            else:  # a batch that ran past the interval: snapshot the version it hit
                self.take_snapshot(event.originator_id, version=event.originator_version,
                                   projector_func=mutate_each)

    def ids_with_topic(self, suffix: str) -> Iterator[UUID]:
        """Ids of every event whose topic ends with `suffix`, in log order.

        Reads the notification log in pages, so it works on SQLite, which cannot
        push new events to a follower.
        """
        start = 1
        while batch := self.recorder.select_notifications(start=start, limit=500):
            yield from (UUID(str(n.originator_id)) for n in batch if n.topic.endswith(suffix))
            start = batch[-1].id + 1

    def ping(self) -> None:
        """Touch the store so that health checks see a dead database."""
        self.recorder.max_notification_id()

    # -- history an inspector can trust --------------------------------------------

    def stored_events(self, aggregate_id: UUID) -> list[StoredEvent]:
        """The raw stored events of one stream, as the database holds them."""
        return list(self.recorder.select_events(aggregate_id))

    def verify(self, aggregate_id: UUID) -> Verification:
        """Walk the stream's hash chain; the result names the first broken link."""
        stored = self.stored_events(aggregate_id)
        if not stored:
            raise self.not_found_error(f"no record with id {aggregate_id}", field="id")
        return verify_history(links_from_stored(stored, self.decode_state,
                                                self.unreadable_reason), {}, None)

    # -- forgetting: disposal and redaction --------------------------------------------

    @property
    def sealed(self) -> EncryptingRecorder:
        """The encrypting recorder (disposal and redaction rewrite through it)."""
        if not isinstance(self.recorder, EncryptingRecorder):
            raise KeyStoreError("encryption is off: nothing can be disposed of or redacted")
        return self.recorder

    def erase_stream(self, stream_id: UUID) -> int:
        """Delete every stored event and snapshot of a stream (its data key destroyed first
        by the disposal); on SQLite the deleted bytes are zeroed and the WAL emptied."""
        erased = sum(r.delete_stream(stream_id) for r in self._sealed_recorders())
        self._settle()
        self._forget_cached(stream_id)
        return erased

    def _sealed_recorders(self) -> list[EncryptingRecorder]:
        """The events' recorder and the snapshots'."""
        found = [self.recorder, getattr(self.snapshots, "recorder", None)]
        return [r for r in found if isinstance(r, EncryptingRecorder)]

    def _settle(self) -> None:
        """No old bytes of what was rewritten or deleted left in the store's files."""
        for recorder in self._sealed_recorders():
            recorder.settle()

    def redact_field(self, stream_id: UUID, version: int, field: str, note: str) -> str:
        """Erase one text field of one stored event, keeping its salted commitment, so the
        chain, the checkpoints and exports still verify; the stream's snapshots (which hold
        the value too) are dropped. Returns the commitment kept."""
        found = list(self.recorder.select_events(stream_id, gt=version - 1, lte=version))
        if not found:
            raise InvalidField(f"{stream_id} has no event at version {version}",
                               field="version", rule="no_such_event")
        stored = found[0]
        header = split(stored.state)
        if header is None or header.scheme != "hc2":
            raise InvalidField("this event was recorded before fields were committed one by "
                               "one, so one field cannot be erased on its own",
                               field="version", rule="event_not_redactable")
        state = self.decode_state(header.plain)
        if field in ENVELOPE or field not in state:
            raise InvalidField(f"the event at version {version} has no field {field!r}",
                               field="field", rule="no_such_field")
        if isinstance(state[field], Redacted):
            raise InvalidField(f"{field} at version {version} is already redacted",
                               field="field", rule="already_redacted")
        if not isinstance(state[field], str):
            raise InvalidField(f"{field} is not text; only text a person wrote can be "
                               "redacted", field="field", rule="field_not_text")
        plain, commitment = redacted_state(header.plain, header.salt or "", field, note)
        cut = len(stored.state) - len(header.plain)
        self.sealed.replace_state(StoredEvent(
            originator_id=stored.originator_id, originator_version=stored.originator_version,
            topic=stored.topic, state=stored.state[:cut] + plain))
        if isinstance(getattr(self.snapshots, "recorder", None), EncryptingRecorder):
            self.snapshots.recorder.delete_stream(stream_id)  # type: ignore[union-attr]
        self._settle()
        self._forget_cached(stream_id)
        return commitment

    def _forget_cached(self, stream_id: UUID) -> None:
        if self.repository.cache is not None:
            with contextlib.suppress(KeyError):
                self.repository.cache.get(stream_id, evict=True)

    def decode_state(self, plain: bytes) -> Any:
        """A stored event's state as recorded, before any upcasting (what its hash covers)."""
        return decode_as_read(plain, self.mapper.transcoder.decode)

    def as_far_as_it_applies(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate built from its events up to the first one that cannot be applied
        (a gap left by a deleted row, say); None when not even the first applies."""
        aggregate = None
        with contextlib.suppress(Exception):
            event: Any
            for event in self.events.get(aggregate_id, lte=version):
                aggregate = event.mutate(aggregate)
        return aggregate

    def event_view(self, event: Any) -> dict[str, Any]:
        """An event as primitives for readers; applications name their own fields."""
        return {"type": type(event).__name__, "recorded_at": event.timestamp,
                "data": {k: v for k, v in vars(event).items() if not k.startswith("originator")}}

    def export_history(self, aggregate_id: UUID, *,
                       redact: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                       **end: Any) -> list[str]:
        """JSON Lines checkable offline (services/audit/exports.py), ending with the head claimed.

        Where `redact` withholds a field from an event, that field alone is left
        out, with its commitment; the rest of the event stays verifiable. `end`
        adds to the closing line (a checkpoint and its inclusion proof).
        """
        every = self.stored_events(aggregate_id)
        with self.readable(aggregate_id):  # an export holds only events every reader can read
            for stored in every:
                self.mapper.to_domain_event(stored)
        records = [export_record(stored, self.decode_state, redact=redact,
                                 v1_view=self._view_of_stored)
                   for stored in every]
        if not records:
            raise self.not_found_error(f"no record with id {aggregate_id}", field="id")
        return [dumps(r) for r in records] + [dumps(export_end(records, **end))]

    def _view_of_stored(self, stored: StoredEvent) -> dict[str, Any]:
        return self.event_view(self.mapper.to_domain_event(stored))

    # -- what did we know then? ----------------------------------------------------

    def aggregate_as_of(self, aggregate_id: UUID, *, version: int | None = None,
                        at: datetime | None = None) -> Aggregate:
        """The aggregate as it stood at a version, or at a moment in time."""
        if at is not None:
            version = self._version_at(aggregate_id, at)
        try:
            with self.readable(aggregate_id):
                aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise self.not_found_error(f"no record with id {aggregate_id}", field="id") from None
        except (OriginatorVersionError, AssertionError):  # a gap, at the first event or later
            raise self.history_broken_error(
                f"the history of {aggregate_id} does not apply: verify it", field="id") from None
        if version is not None and aggregate.version < version:
            raise InvalidField(f"version must be at most {aggregate.version}, the latest; "
                              f"got {version}", field="version", rule="version_past_end")
        return aggregate

    def _version_at(self, aggregate_id: UUID, at: datetime) -> int:
        version = None
        event: Any
        with self.readable(aggregate_id):
            for event in self.events.get(aggregate_id):
                if event.timestamp > at:
                    break
                version = event.originator_version
        if version is None:
            raise self.not_found_error(f"{aggregate_id} did not exist yet at {at.isoformat()}",
                                       field="at")
        return version
