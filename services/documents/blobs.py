"""Where the bytes of documents live: one small interface, two stores.

A case's DocumentAttached event records a file's SHA-256, size and media type
(domain/documents.py); the bytes are kept here under the case and that hash,
sealed under the case's own data key (services/documents/sealing.py), so that
destroying the key makes every copy unreadable, backups included. Two cases that
hold the same file each keep their own copy under their own key; the same file
attached twice to one case is kept once. The hash is of the plain bytes, so a
file whose bytes no longer match (changed at rest, or no longer opening) is found
by hashing what is read.

Every store takes the bytes as chunks, hashing and sealing them as it writes
(nothing is held whole in memory), and keeps nothing unless all of them arrived,
within the size limit, and matched the hash expected: a half-written file is never
served. `FileBlobStore` keeps files under the data directory (the SQLite default);
`PostgresBlobStore` keeps chunked rows in the database, so every API replica serves
the same files. An object store could implement `BlobStore` later.

Documents kept before they were sealed (by their hash alone, shared by every case
that recorded them) are `legacy`: read and removed only by
`services/ops/document_sealing.py`, which seals a copy for each case that records
them (`casework encrypt-store`).
"""

import hashlib
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from services.documents.sealing import (
    CHUNK,
    HEADER,
    SEALED_CHUNK,
    Unreadable,
    is_sealed,
    new_header,
    rechunked,
    seal,
    unseal,
)
from services.eventstore.keys import KeyStore, open_key_store, release_key_store
from services.eventstore.pg_vacuum import vacuum_unseen
from services.platform.settings import Settings, private_directory

_HASH = re.compile("^[0-9a-f]{64}$")
_PARTIAL = ".partial-"
INCOMING = "incoming"
"""The folder, beside the kept files, where uploads are written and checked."""


class BlobError(Exception):
    """A blob the store will not keep or cannot give."""


class TooLarge(BlobError):
    """More bytes arrived than the limit allows; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than {limit} bytes")
        self.limit = limit


class HashMismatch(BlobError):
    """The bytes that arrived are not the ones expected; nothing was kept."""


class BlobMissing(BlobError):
    """No blob is kept under that case and hash."""


class KeyDestroyed(BlobMissing):
    """The case's data key is destroyed (the case was disposed of): its documents can be
    neither read nor kept."""


@dataclass(frozen=True)
class Blob:
    """What a store kept: the bytes' SHA-256 (lower-case hex) and their size."""

    sha256: str
    size: int


class Held(NamedTuple):
    """A document a store keeps: the case it is kept for, and its bytes' SHA-256."""

    case_id: UUID
    sha256: str


class BlobStore(Protocol):
    """Bytes kept under a case and their SHA-256, sealed under the case's key."""

    incoming: Path
    """A private folder on this machine where an upload is written as it arrives (and
    checked) before it is kept: files there are never served, and those a killed
    process left are removed at start-up (services/cases/document_sweep.py)."""

    def put(self, case_id: UUID, chunks: Iterable[bytes], *, sha256: str | None = None,
            limit: int | None = None) -> Blob:
        """Keep the bytes for the case, hashed and sealed as they arrive; refused
        (TooLarge, HashMismatch, KeyDestroyed) with nothing kept. Kept already for the
        case under that hash: kept once."""
        ...

    def put_file(self, case_id: UUID, path: Path, *, sha256: str | None = None) -> Blob:
        """Keep a file already written (a verified upload's temporary file)."""
        ...

    def open(self, case_id: UUID, sha256: str) -> Iterator[bytes]:
        """The plain bytes kept for the case under the hash, in chunks (BlobMissing when
        there are none, KeyDestroyed when they can no longer be opened). Not checked
        against the hash: `matches` does that; a chunk that does not open ends them.
        Until `casework encrypt-store` has sealed them, a legacy copy of the bytes is
        read when the case has no sealed one."""
        ...

    def exists(self, case_id: UUID, sha256: str) -> bool: ...

    def delete_document(self, case_id: UUID, sha256: str) -> bool:
        """Forget the case's copy of the bytes (for a redaction, or an upload refused);
        whether there was one."""
        ...

    def delete_case_documents(self, case_id: UUID, *,
                              except_hashes: Collection[str] = ()) -> list[str]:
        """Forget every copy kept for the case but those of `except_hashes` (for a
        disposal); the hashes forgotten."""
        ...

    def held(self) -> Iterator[Held]:
        """Every copy kept, for a sweep that removes those no case records."""
        ...

    def discard_partials(self, older_than: float = 3600.0) -> int:
        """Remove what writes cut short (a process killed mid-upload) left behind; how
        many."""
        ...

    def close(self) -> None:
        """Let go of connections (the process is ending)."""
        ...

    def stored_at(self, case_id: UUID, sha256: str) -> float | None:
        """When the bytes were kept (seconds since the epoch; None: not kept), so a sweep
        spares a file an upload in flight has kept and is about to record."""
        ...

    def open_copy(self, case_id: UUID, path: Path) -> Iterator[bytes]:
        """The plain bytes of a copy a store wrote for the case (a backup's file), unsealed
        under the case's key (KeyDestroyed: the case was disposed of since)."""
        ...

    def legacy_hashes(self) -> Iterator[str]:
        """The hashes of documents kept before documents were sealed (plain, by hash)."""
        ...

    def put_legacy(self, chunks: Iterable[bytes], *, sha256: str) -> Blob:
        """Keep a document as stores kept them before sealing (a backup from then, restored
        for `casework encrypt-store` to seal)."""
        ...

    def open_legacy(self, sha256: str) -> Iterator[bytes]:
        """A legacy document's plain bytes (BlobMissing when there are none)."""
        ...

    def delete_legacy(self, sha256: str) -> None:
        """Forget a legacy document (once each case recording it has its sealed copy)."""
        ...


def check_hash(sha256: str) -> str:
    """A hash as stores name blobs by: 64 lower-case hex digits, nothing else (so a
    name can never be a path)."""
    if not isinstance(sha256, str) or not _HASH.match(sha256):
        raise BlobMissing(f"{sha256!r} is not a SHA-256 in lower-case hex")
    return sha256


def check_case(case_id: UUID | str) -> UUID:
    """A case id as stores file copies by: a UUID (so its folder name is never a path)."""
    if isinstance(case_id, UUID):
        return case_id
    try:
        return UUID(str(case_id))
    except ValueError:
        raise BlobMissing(f"{case_id!r} is not a case id") from None


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


def matches(store: BlobStore, case_id: UUID, sha256: str) -> bool:
    """Whether the bytes kept for the case under the hash still hash to it (False:
    changed at rest, no longer opening, or missing): asked before a document is served,
    so tampering is refused, not sent."""
    digest = hashlib.sha256()
    try:
        for chunk in store.open(case_id, sha256):
            digest.update(chunk)
    except BlobMissing:
        return False
    return digest.hexdigest() == sha256


class _Hashing:
    """Counts and hashes chunks as they pass, refusing any past the limit."""

    def __init__(self, limit: int | None) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.limit = limit

    def passing(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.size += len(chunk)
            if self.limit is not None and self.size > self.limit:
                raise TooLarge(self.limit)
            self.digest.update(chunk)
            yield chunk

    def blob(self, expected: str | None) -> Blob:
        found = self.digest.hexdigest()
        if expected is not None and found != expected:
            raise HashMismatch(f"the bytes hash to {found}, not {expected}")
        return Blob(found, self.size)


class _Sealer:
    """How one store seals and unseals: under each case's data key from the key store
    (never making one: a case's key is made with its first event, and one destroyed
    stays destroyed), or plain when the store was built without encryption (no key
    store: the benchmark's comparison only). The key store is released on `close`."""

    def __init__(self, keys: KeyStore | None) -> None:
        self.keys = keys

    def close(self) -> None:
        if self.keys is not None:
            release_key_store(self.keys)
            self.keys = None

    def header(self) -> bytes:
        return new_header(sealed=self.keys is not None)

    def key(self, case_id: UUID) -> bytes | None:
        if self.keys is None:
            return None
        key = self.keys.data_key(case_id)
        if key is None:
            raise KeyDestroyed(f"case {case_id}'s data key is destroyed (or, in a store "
                               "from before encryption, not yet made: run casework "
                               "encrypt-store): its documents can be neither read nor kept")
        return key

    def sealed(self, case_id: UUID, header: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
        return seal(chunks, key=self.key(case_id), case_id=case_id, header=header)

    def opener(self, case_id: UUID, header: bytes) -> Callable[[Iterable[bytes]],
                                                                Iterator[bytes]]:
        """How to open a copy with this header: the key is looked up now (KeyDestroyed),
        not at the first chunk read."""
        try:
            key = self.key(case_id) if is_sealed(header) else None
        except Unreadable:
            key = None  # not a copy's header: it opens to nothing, and matches no hash
        return lambda stored: self._opened(case_id, header, key, stored)

    def open_file(self, case_id: UUID, path: Path) -> Iterator[bytes]:
        file = open(path, "rb")  # closed by the reading generator
        try:
            opener = self.opener(case_id, file.read(HEADER))
        except BaseException:
            file.close()
            raise
        return opener(_read(file, SEALED_CHUNK))

    @staticmethod
    def _opened(case_id: UUID, header: bytes, key: bytes | None,
                stored: Iterable[bytes]) -> Iterator[bytes]:
        """The plain chunks; a chunk that does not open ends them (what was read will not
        match the hash: the reader refuses it as changed at rest)."""
        try:
            yield from unseal(stored, key=key, case_id=case_id, header=header)
        except Unreadable:
            return


def _legacy_copy(store: "FileBlobStore | PostgresBlobStore", case_id: UUID,
                 sha256: str) -> Iterator[bytes]:
    """A copy kept in the clear by an earlier release (until `casework encrypt-store`
    seals it), or, with none, the case's document named as missing."""
    try:
        return store.open_legacy(sha256)
    except BlobMissing:
        raise BlobMissing(f"no document is kept for case {case_id} under {sha256}") from None


class FileBlobStore:
    """Files under one folder (0700), a folder for each case (0700) holding its copies,
    each named by its hash (0600). A file is written under a partial name in the same
    folder, flushed to disk, then renamed into place: a file under a hash's name is
    always whole. Legacy copies (before sealing) are the files named by a hash in the
    top folder."""

    def __init__(self, folder: Path, keys: KeyStore | None) -> None:
        self.folder = private_directory(folder)
        self.incoming = private_directory(folder / INCOMING)
        self.sealer = _Sealer(keys)

    def _path(self, case_id: UUID, sha256: str) -> Path:
        return self.folder / str(check_case(case_id)) / check_hash(sha256)

    def put(self, case_id: UUID, chunks: Iterable[bytes], *, sha256: str | None = None,
            limit: int | None = None) -> Blob:
        case_id = check_case(case_id)
        if sha256 is not None:
            check_hash(sha256)
        header = self.sealer.header()
        self.sealer.key(case_id)  # KeyDestroyed before a file is made
        hashing = _Hashing(limit)
        case_folder = private_directory(self.folder / str(case_id))
        partial = case_folder / f"{_PARTIAL}{secrets.token_hex(8)}"
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(header)
                for chunk in self.sealer.sealed(case_id, header, hashing.passing(chunks)):
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            blob = hashing.blob(sha256)
            os.replace(partial, case_folder / blob.sha256)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _sync_folder(case_folder)
        return blob

    def put_file(self, case_id: UUID, path: Path, *, sha256: str | None = None) -> Blob:
        return self.put(case_id, file_chunks(path), sha256=sha256)

    def open(self, case_id: UUID, sha256: str) -> Iterator[bytes]:
        case_id = check_case(case_id)
        try:
            return self.sealer.open_file(case_id, self._path(case_id, sha256))
        except FileNotFoundError:
            pass
        return _legacy_copy(self, case_id, sha256)

    def open_copy(self, case_id: UUID, path: Path) -> Iterator[bytes]:
        return self.sealer.open_file(check_case(case_id), path)

    def exists(self, case_id: UUID, sha256: str) -> bool:
        try:
            return self._path(case_id, sha256).is_file()
        except BlobMissing:
            return False

    def delete_document(self, case_id: UUID, sha256: str) -> bool:
        path = self._path(case_id, sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _sync_folder(path.parent)
        return True

    def delete_case_documents(self, case_id: UUID, *,
                              except_hashes: Collection[str] = ()) -> list[str]:
        folder = self.folder / str(check_case(case_id))
        if not folder.is_dir():
            return []
        gone = []
        for path in sorted(folder.iterdir()):
            if path.name not in except_hashes and (_HASH.match(path.name)
                                                   or path.name.startswith(_PARTIAL)):
                path.unlink(missing_ok=True)
                if _HASH.match(path.name):
                    gone.append(path.name)
        _sync_folder(folder)
        if not any(folder.iterdir()):
            folder.rmdir()
            _sync_folder(self.folder)
        return gone

    def held(self) -> Iterator[Held]:
        for folder in sorted(self.folder.iterdir()):
            case_id = _case_folder(folder)
            if case_id is None:
                continue
            for path in sorted(folder.iterdir()):
                if _HASH.match(path.name):
                    yield Held(case_id, path.name)

    def close(self) -> None:
        """Nothing held between calls but the key store."""
        self.sealer.close()

    def stored_at(self, case_id: UUID, sha256: str) -> float | None:
        try:
            return self._path(case_id, sha256).stat().st_mtime
        except FileNotFoundError:
            return None

    def discard_partials(self, older_than: float = 3600.0) -> int:
        cutoff, removed = time.time() - older_than, 0
        for path in [*self.folder.glob(f"{_PARTIAL}*"), *self.folder.glob(f"*/{_PARTIAL}*")]:
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # finished or removed meanwhile
        return removed

    def legacy_hashes(self) -> Iterator[str]:
        return (p.name for p in sorted(self.folder.iterdir())
                if _HASH.match(p.name) and p.is_file())

    def open_legacy(self, sha256: str) -> Iterator[bytes]:
        try:
            file = open(self.folder / check_hash(sha256), "rb")
        except FileNotFoundError:
            raise BlobMissing(f"no document is kept under {sha256}") from None
        return _read(file, CHUNK)

    def delete_legacy(self, sha256: str) -> None:
        (self.folder / check_hash(sha256)).unlink(missing_ok=True)
        _sync_folder(self.folder)

    def put_legacy(self, chunks: Iterable[bytes], *, sha256: str) -> Blob:
        check_hash(sha256)
        hashing = _Hashing(None)
        partial = self.folder / f"{_PARTIAL}{secrets.token_hex(8)}"
        try:
            with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                           "wb") as file:
                for chunk in hashing.passing(chunks):
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            blob = hashing.blob(sha256)
            os.replace(partial, self.folder / sha256)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _sync_folder(self.folder)
        return blob


def _read(file: BinaryIO, size: int) -> Iterator[bytes]:
    with file:
        while chunk := file.read(size):
            yield chunk


def _sync_folder(folder: Path) -> None:
    """A rename or removal in the folder itself survives a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _case_folder(path: Path) -> UUID | None:
    """The case a folder of copies is for (its name, a UUID as written), else None."""
    try:
        case_id = UUID(path.name)
    except ValueError:
        return None
    return case_id if str(case_id) == path.name and path.is_dir() else None


LEGACY_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS document_blobs (
        sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, chunks INTEGER NOT NULL,
        stored_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS document_blob_chunks (
        blob TEXT NOT NULL, seq INTEGER NOT NULL, data BYTEA NOT NULL,
        PRIMARY KEY (blob, seq))""",
)
"""Migration 14 (PostgreSQL only), documents by their hash alone before they were sealed:
a blob's row is written last, in the transaction that wrote its chunks, so a blob
listed is whole; chunks are written under a temporary name until the hash is known."""
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS case_document_blobs (
        case_id TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL,
        chunks INTEGER NOT NULL, header BYTEA NOT NULL,
        stored_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (case_id, sha256))""",
    """CREATE TABLE IF NOT EXISTS case_document_chunks (
        case_id TEXT NOT NULL, blob TEXT NOT NULL, seq INTEGER NOT NULL, data BYTEA NOT NULL,
        PRIMARY KEY (case_id, blob, seq))""",
)
"""Migration 18 (PostgreSQL only): each case's sealed copies, as migration 14's were kept
(the row last, in the transaction of its chunks; chunks under a temporary name until
the hash is known); the header holds the copy's nonce."""


class PostgresBlobStore:
    """Chunked rows in PostgreSQL: one transaction writes a copy's sealed chunks and
    then its row, so a write cut short leaves nothing; reads fetch one chunk at a time."""

    def __init__(self, url: str, schema: str = "", incoming: Path | None = None, *,
                 keys: KeyStore | None) -> None:
        self.url = url
        self.options = f"-c search_path={schema}" if schema else None
        self.incoming = private_directory(
            incoming or Path(tempfile.gettempdir()) / "casework-incoming")
        self.sealer = _Sealer(keys)
        self._pool: ConnectionPool | None = None
        self._opening = threading.Lock()

    def _connect(self) -> AbstractContextManager[psycopg.Connection]:
        """A connection from a small pool, opened on first use: a download checks and
        reads a file in a few short queries, and opening a connection for each cost
        about 7 ms (27 ms to check and read 100 kB; about 5 ms with the pool)."""
        with self._opening:
            if self._pool is None:
                self._pool = ConnectionPool(self.url, min_size=1, max_size=4, open=True,
                                            kwargs={"options": self.options} if self.options
                                            else {})
        return self._pool.connection()

    def close(self) -> None:
        with self._opening:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        self.sealer.close()

    def put(self, case_id: UUID, chunks: Iterable[bytes], *, sha256: str | None = None,
            limit: int | None = None) -> Blob:
        case_id = check_case(case_id)
        if sha256 is not None:
            check_hash(sha256)
        header, case, hashing = self.sealer.header(), str(case_id), _Hashing(limit)
        sealed = self.sealer.sealed(case_id, header, hashing.passing(chunks))
        pending = f"{_PARTIAL}{secrets.token_hex(8)}"
        with self._connect() as conn, conn.transaction():
            count = 0
            for count, chunk in enumerate(sealed, start=1):
                conn.execute("INSERT INTO case_document_chunks (case_id, blob, seq, data) "
                             "VALUES (%s, %s, %s, %s)", (case, pending, count - 1, chunk))
            blob = hashing.blob(sha256)
            kept = conn.execute(
                "INSERT INTO case_document_blobs (case_id, sha256, size, chunks, header) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (case_id, sha256) DO NOTHING",
                (case, blob.sha256, blob.size, count, header)).rowcount
            if kept:
                conn.execute("UPDATE case_document_chunks SET blob = %s WHERE case_id = %s "
                             "AND blob = %s", (blob.sha256, case, pending))
            else:  # kept already (by another request, perhaps at this moment): kept anew,
                # so the sweep's hour counts from now, as a file's rewrite does on disk
                conn.execute("DELETE FROM case_document_chunks WHERE case_id = %s AND "
                             "blob = %s", (case, pending))
                conn.execute("UPDATE case_document_blobs SET stored_at = now() WHERE "
                             "case_id = %s AND sha256 = %s", (case, blob.sha256))
        return blob

    def put_file(self, case_id: UUID, path: Path, *, sha256: str | None = None) -> Blob:
        return self.put(case_id, file_chunks(path), sha256=sha256)

    def open(self, case_id: UUID, sha256: str) -> Iterator[bytes]:
        case_id, sha256 = check_case(case_id), check_hash(sha256)
        with self._connect() as conn:
            row = conn.execute("SELECT chunks, header FROM case_document_blobs WHERE "
                               "case_id = %s AND sha256 = %s", (str(case_id), sha256)
                               ).fetchone()
        if row is not None:
            opener = self.sealer.opener(case_id, bytes(row[1]))
            return opener(self._read(case_id, sha256, int(row[0])))
        return _legacy_copy(self, case_id, sha256)

    def open_copy(self, case_id: UUID, path: Path) -> Iterator[bytes]:
        return self.sealer.open_file(check_case(case_id), path)

    def _read(self, case_id: UUID, sha256: str, chunks: int) -> Iterator[bytes]:
        """One chunk a query, each on a connection borrowed for that query only: a slow
        download never holds one of the pool's few connections."""
        for seq in range(chunks):
            with self._connect() as conn:
                row = conn.execute("SELECT data FROM case_document_chunks WHERE case_id = %s "
                                   "AND blob = %s AND seq = %s",
                                   (str(case_id), sha256, seq)).fetchone()
            if row is None:
                return  # a chunk lost: what was read will not open, or match the hash
            yield bytes(row[0])

    def exists(self, case_id: UUID, sha256: str) -> bool:
        try:
            case_id, sha256 = check_case(case_id), check_hash(sha256)
        except BlobMissing:
            return False
        with self._connect() as conn:
            return conn.execute("SELECT 1 FROM case_document_blobs WHERE case_id = %s AND "
                                "sha256 = %s", (str(case_id), sha256)).fetchone() is not None

    def delete_document(self, case_id: UUID, sha256: str) -> bool:
        case, sha256 = str(check_case(case_id)), check_hash(sha256)
        with self._connect() as conn, conn.transaction():
            gone = conn.execute("DELETE FROM case_document_blobs WHERE case_id = %s AND "
                                "sha256 = %s", (case, sha256)).rowcount
            conn.execute("DELETE FROM case_document_chunks WHERE case_id = %s AND blob = %s",
                         (case, sha256))
        self._vacuum()  # the chunks are sealed under a key a redaction keeps
        return bool(gone)

    def _vacuum(self) -> None:
        """Deleted rows stay in a table's pages until a vacuum: leave none behind."""
        with self._connect() as conn:
            conn.autocommit = True  # VACUUM runs outside a transaction
            try:
                with conn.cursor() as cursor:
                    vacuum_unseen(cursor, "case_document_chunks", "case_document_blobs")
            finally:
                conn.autocommit = False

    def delete_case_documents(self, case_id: UUID, *,
                              except_hashes: Collection[str] = ()) -> list[str]:
        case, kept = str(check_case(case_id)), sorted(except_hashes)
        with self._connect() as conn, conn.transaction():
            gone = conn.execute("DELETE FROM case_document_blobs WHERE case_id = %s AND "
                                "NOT (sha256 = ANY(%s)) RETURNING sha256", (case, kept)
                                ).fetchall()
            conn.execute("DELETE FROM case_document_chunks WHERE case_id = %s AND "
                         "NOT (blob = ANY(%s))", (case, kept))
        return sorted(str(sha256) for (sha256,) in gone)

    def held(self) -> Iterator[Held]:
        with self._connect() as conn:
            rows = conn.execute("SELECT case_id, sha256 FROM case_document_blobs "
                                "ORDER BY case_id, sha256").fetchall()
        return (Held(UUID(str(case_id)), str(sha256)) for case_id, sha256 in rows)

    def discard_partials(self, older_than: float = 3600.0) -> int:
        """Nothing to do: a write cut short rolls back with its transaction."""
        return 0

    def stored_at(self, case_id: UUID, sha256: str) -> float | None:
        with self._connect() as conn:
            row = conn.execute("SELECT extract(epoch FROM stored_at) FROM case_document_blobs "
                               "WHERE case_id = %s AND sha256 = %s",
                               (str(check_case(case_id)), check_hash(sha256))).fetchone()
        return None if row is None else float(row[0])

    def legacy_hashes(self) -> Iterator[str]:
        with self._connect() as conn:
            rows = conn.execute("SELECT sha256 FROM document_blobs ORDER BY sha256").fetchall()
        return (str(sha256) for (sha256,) in rows)

    def open_legacy(self, sha256: str) -> Iterator[bytes]:
        check_hash(sha256)
        with self._connect() as conn:
            row = conn.execute("SELECT chunks FROM document_blobs WHERE sha256 = %s",
                               (sha256,)).fetchone()
        if row is None:
            raise BlobMissing(f"no document is kept under {sha256}")
        return self._read_legacy(sha256, int(row[0]))

    def _read_legacy(self, sha256: str, chunks: int) -> Iterator[bytes]:
        for seq in range(chunks):
            with self._connect() as conn:
                row = conn.execute("SELECT data FROM document_blob_chunks WHERE blob = %s "
                                   "AND seq = %s", (sha256, seq)).fetchone()
            if row is None:
                return
            yield bytes(row[0])

    def delete_legacy(self, sha256: str) -> None:
        with self._connect() as conn, conn.transaction():
            conn.execute("DELETE FROM document_blobs WHERE sha256 = %s", (check_hash(sha256),))
            conn.execute("DELETE FROM document_blob_chunks WHERE blob = %s", (sha256,))

    def put_legacy(self, chunks: Iterable[bytes], *, sha256: str) -> Blob:
        check_hash(sha256)
        hashing = _Hashing(None)
        with self._connect() as conn, conn.transaction():
            count = 0
            for count, chunk in enumerate(rechunked(hashing.passing(chunks)), start=1):
                conn.execute("INSERT INTO document_blob_chunks (blob, seq, data) VALUES "
                             "(%s, %s, %s) ON CONFLICT (blob, seq) DO UPDATE SET data = "
                             "excluded.data", (sha256, count - 1, chunk))
            blob = hashing.blob(sha256)
            conn.execute("INSERT INTO document_blobs (sha256, size, chunks) VALUES "
                         "(%s, %s, %s) ON CONFLICT (sha256) DO NOTHING",
                         (sha256, blob.size, count))
        return blob


def build_blob_store(settings: Settings) -> BlobStore:
    """The store the settings choose: PostgreSQL's when the store is PostgreSQL (unless
    CASEWORK_DOCUMENT_STORE says files), else files under the data directory; sealing
    each copy under its case's data key from the process's key store, unless encryption
    is off (the benchmark's comparison only)."""
    keys = None if settings.encryption == "off" else open_key_store(
        settings.key_store_location, settings.master_key_path)
    if settings.document_store_kind() == "postgres":
        return PostgresBlobStore(settings.postgres_url, settings.postgres_schema,
                                 settings.documents_dir / INCOMING, keys=keys)
    return FileBlobStore(settings.documents_dir, keys)
