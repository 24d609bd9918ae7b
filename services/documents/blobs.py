"""Where the bytes of documents live: one small interface, two stores.

A case's DocumentAttached event records a file's SHA-256, size and media type
(domain/documents.py); the bytes are kept here under that hash, so the same file
attached twice is kept once, and a file whose bytes no longer match is found by
hashing what is read. Every store takes the bytes as chunks, hashing as it writes
(nothing is held whole in memory), and keeps nothing unless all of them arrived,
within the size limit, and matched the hash expected: a half-written file is never
served. `FileBlobStore` keeps files under the data directory (the SQLite default);
`PostgresBlobStore` keeps chunked rows in the database, so every API replica serves
the same files. An object store could implement `BlobStore` later.
"""

import hashlib
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import psycopg
from psycopg_pool import ConnectionPool

from services.platform.settings import Settings, private_directory

CHUNK = 1024 * 1024
"""How many bytes are read, written and held at a time."""
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
    """No blob is kept under that hash."""


@dataclass(frozen=True)
class Blob:
    """What a store kept: the bytes' SHA-256 (lower-case hex) and their size."""

    sha256: str
    size: int


class BlobStore(Protocol):
    """Bytes kept under their SHA-256."""

    incoming: Path
    """A private folder on this machine where an upload is written as it arrives (and
    checked) before it is kept: files there are never served, and those a killed
    process left are removed at start-up (services/documents/sweep.py)."""

    def put(self, chunks: Iterable[bytes], *, sha256: str | None = None,
            limit: int | None = None) -> Blob:
        """Keep the bytes, hashed as they arrive; refused (TooLarge, HashMismatch) with
        nothing kept. Kept already under that hash: kept once."""
        ...

    def put_file(self, path: Path, *, sha256: str | None = None) -> Blob:
        """Keep a file already written (a verified upload's temporary file)."""
        ...

    def open(self, sha256: str) -> Iterator[bytes]:
        """The bytes kept under the hash, in chunks (BlobMissing when there are none).
        Not checked against the hash: `matches` does that."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None:
        """Forget the bytes (nothing happens when there are none)."""
        ...

    def hashes(self) -> Iterator[str]:
        """Every hash kept, for a sweep that removes those no case names."""
        ...

    def discard_partials(self, older_than: float = 3600.0) -> int:
        """Remove what writes cut short (a process killed mid-upload) left behind; how
        many."""
        ...

    def close(self) -> None:
        """Let go of connections (the process is ending)."""
        ...

    def stored_at(self, sha256: str) -> float | None:
        """When the bytes were kept (seconds since the epoch; None: not kept), so a sweep
        spares a file an upload in flight has kept and is about to record."""
        ...


def check_hash(sha256: str) -> str:
    """A hash as stores name blobs by: 64 lower-case hex digits, nothing else (so a
    name can never be a path)."""
    if not isinstance(sha256, str) or not _HASH.match(sha256):
        raise BlobMissing(f"{sha256!r} is not a SHA-256 in lower-case hex")
    return sha256


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


def matches(store: BlobStore, sha256: str) -> bool:
    """Whether the bytes kept under the hash still hash to it (False: changed at rest,
    or missing): asked before a document is served, so tampering is refused, not sent."""
    digest = hashlib.sha256()
    try:
        for chunk in store.open(sha256):
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


def _rechunked(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes again, in chunks of CHUNK bytes (the last shorter)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= CHUNK:
            yield bytes(pending[:CHUNK])
            del pending[:CHUNK]
    if pending:
        yield bytes(pending)


class FileBlobStore:
    """Files under one folder (0700), each named by its hash (0600). A file is written
    under a partial name in the same folder, flushed to disk, then renamed into place:
    a file under a hash's name is always whole."""

    def __init__(self, folder: Path) -> None:
        self.folder = private_directory(folder)
        self.incoming = private_directory(folder / INCOMING)

    def put(self, chunks: Iterable[bytes], *, sha256: str | None = None,
            limit: int | None = None) -> Blob:
        if sha256 is not None:
            check_hash(sha256)
        hashing = _Hashing(limit)
        partial = self.folder / f"{_PARTIAL}{secrets.token_hex(8)}"
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                for chunk in hashing.passing(chunks):
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            blob = hashing.blob(sha256)
            os.replace(partial, self.folder / blob.sha256)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self._sync_folder()
        return blob

    def put_file(self, path: Path, *, sha256: str | None = None) -> Blob:
        return self.put(file_chunks(path), sha256=sha256)

    def _sync_folder(self) -> None:
        """The rename itself survives a power cut."""
        descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def open(self, sha256: str) -> Iterator[bytes]:
        path = self.folder / check_hash(sha256)
        try:
            file = open(path, "rb")  # closed by the generator that reads it
        except FileNotFoundError:
            raise BlobMissing(f"no document is kept under {sha256}") from None
        return self._read(file)

    @staticmethod
    def _read(file: BinaryIO) -> Iterator[bytes]:
        with file:
            while chunk := file.read(CHUNK):
                yield chunk

    def exists(self, sha256: str) -> bool:
        return _HASH.match(sha256 or "") is not None and (self.folder / sha256).is_file()

    def delete(self, sha256: str) -> None:
        (self.folder / check_hash(sha256)).unlink(missing_ok=True)

    def hashes(self) -> Iterator[str]:
        return (p.name for p in sorted(self.folder.iterdir()) if _HASH.match(p.name))

    def close(self) -> None:
        """Nothing held between calls."""

    def stored_at(self, sha256: str) -> float | None:
        try:
            return (self.folder / check_hash(sha256)).stat().st_mtime
        except FileNotFoundError:
            return None

    def discard_partials(self, older_than: float = 3600.0) -> int:
        cutoff, removed = time.time() - older_than, 0
        for path in self.folder.glob(f"{_PARTIAL}*"):
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # finished or removed meanwhile
        return removed


SCHEMA = (
    """CREATE TABLE IF NOT EXISTS document_blobs (
        sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, chunks INTEGER NOT NULL,
        stored_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS document_blob_chunks (
        blob TEXT NOT NULL, seq INTEGER NOT NULL, data BYTEA NOT NULL,
        PRIMARY KEY (blob, seq))""",
)
"""Migration 14 (PostgreSQL only): a blob's row is written last, in the transaction
that wrote its chunks, so a blob listed is whole; chunks are written under a
temporary name until the hash is known."""


class PostgresBlobStore:
    """Chunked rows in PostgreSQL: one transaction writes a blob's chunks and then its
    row, so a write cut short leaves nothing; reads fetch one chunk at a time."""

    def __init__(self, url: str, schema: str = "", incoming: Path | None = None) -> None:
        self.url = url
        self.options = f"-c search_path={schema}" if schema else None
        self.incoming = private_directory(
            incoming or Path(tempfile.gettempdir()) / "casework-incoming")
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

    def put(self, chunks: Iterable[bytes], *, sha256: str | None = None,
            limit: int | None = None) -> Blob:
        if sha256 is not None:
            check_hash(sha256)
        hashing = _Hashing(limit)
        pending = f"{_PARTIAL}{secrets.token_hex(8)}"
        with self._connect() as conn, conn.transaction():
            count = 0
            for count, chunk in enumerate(_rechunked(hashing.passing(chunks)), start=1):
                conn.execute("INSERT INTO document_blob_chunks (blob, seq, data) "
                             "VALUES (%s, %s, %s)", (pending, count - 1, chunk))
            blob = hashing.blob(sha256)
            kept = conn.execute(
                "INSERT INTO document_blobs (sha256, size, chunks) VALUES (%s, %s, %s) "
                "ON CONFLICT (sha256) DO NOTHING", (blob.sha256, blob.size, count)).rowcount
            if kept:
                conn.execute("UPDATE document_blob_chunks SET blob = %s WHERE blob = %s",
                             (blob.sha256, pending))
            else:  # kept already (by another request, perhaps at this moment): kept anew,
                # so the sweep's hour counts from now, as a file's rewrite does on disk
                conn.execute("DELETE FROM document_blob_chunks WHERE blob = %s", (pending,))
                conn.execute("UPDATE document_blobs SET stored_at = now() WHERE sha256 = %s",
                             (blob.sha256,))
        return blob

    def put_file(self, path: Path, *, sha256: str | None = None) -> Blob:
        return self.put(file_chunks(path), sha256=sha256)

    def open(self, sha256: str) -> Iterator[bytes]:
        check_hash(sha256)
        with self._connect() as conn:
            row = conn.execute("SELECT chunks FROM document_blobs WHERE sha256 = %s",
                               (sha256,)).fetchone()
        if row is None:
            raise BlobMissing(f"no document is kept under {sha256}")
        return self._read(sha256, int(row[0]))

    def _read(self, sha256: str, chunks: int) -> Iterator[bytes]:
        """One chunk a query, each on a connection borrowed for that query only: a slow
        download never holds one of the pool's few connections."""
        for seq in range(chunks):
            with self._connect() as conn:
                row = conn.execute("SELECT data FROM document_blob_chunks WHERE blob = %s "
                                   "AND seq = %s", (sha256, seq)).fetchone()
            if row is None:
                return  # a chunk lost: what was read will not match the hash
            yield bytes(row[0])

    def exists(self, sha256: str) -> bool:
        if _HASH.match(sha256 or "") is None:
            return False
        with self._connect() as conn:
            return conn.execute("SELECT 1 FROM document_blobs WHERE sha256 = %s",
                                (sha256,)).fetchone() is not None

    def delete(self, sha256: str) -> None:
        with self._connect() as conn, conn.transaction():
            conn.execute("DELETE FROM document_blobs WHERE sha256 = %s", (check_hash(sha256),))
            conn.execute("DELETE FROM document_blob_chunks WHERE blob = %s", (sha256,))

    def hashes(self) -> Iterator[str]:
        with self._connect() as conn:
            rows = conn.execute("SELECT sha256 FROM document_blobs ORDER BY sha256").fetchall()
        return (str(sha256) for (sha256,) in rows)

    def discard_partials(self, older_than: float = 3600.0) -> int:
        """Nothing to do: a write cut short rolls back with its transaction."""
        return 0

    def stored_at(self, sha256: str) -> float | None:
        with self._connect() as conn:
            row = conn.execute("SELECT extract(epoch FROM stored_at) FROM document_blobs "
                               "WHERE sha256 = %s", (check_hash(sha256),)).fetchone()
        return None if row is None else float(row[0])


def build_blob_store(settings: Settings) -> BlobStore:
    """The store the settings choose: PostgreSQL's when the store is PostgreSQL (unless
    CASEWORK_DOCUMENT_STORE says files), else files under the data directory."""
    if settings.document_store_kind() == "postgres":
        return PostgresBlobStore(settings.postgres_url, settings.postgres_schema,
                                 settings.documents_dir / INCOMING)
    return FileBlobStore(settings.documents_dir)
