"""The bytes of documents: kept whole under their hash or not at all, private on disk,
chunked in PostgreSQL, and a changed byte found before a file is served."""

import hashlib
import os
import stat
import time
import tracemalloc

import psycopg
import pytest

from services.documents.blobs import (
    CHUNK,
    BlobMissing,
    FileBlobStore,
    HashMismatch,
    PostgresBlobStore,
    TooLarge,
    build_blob_store,
    matches,
)

LETTER = b"%PDF-1.7\n" + b"the inspection letter " * 100_000  # about 2 MB: three chunks
SHA = hashlib.sha256(LETTER).hexdigest()


def pieces(data: bytes, size: int = 65_536):
    for start in range(0, len(data), size):
        yield data[start:start + size]


@pytest.fixture
def store(services):
    """The store the process builds: files for SQLite, PostgreSQL's tables for PostgreSQL."""
    return services.documents


def test_bytes_put_come_back_whole_under_their_hash(store):
    blob = store.put(pieces(LETTER), sha256=SHA)
    assert (blob.sha256, blob.size) == (SHA, len(LETTER))
    assert store.exists(SHA) and list(store.hashes()) == [SHA]
    assert b"".join(store.open(SHA)) == LETTER
    assert matches(store, SHA)
    assert store.put(pieces(LETTER)).sha256 == SHA  # the same file again: kept once
    assert list(store.hashes()) == [SHA]
    store.delete(SHA)
    assert not store.exists(SHA) and not matches(store, SHA)
    with pytest.raises(BlobMissing):
        store.open(SHA)


def test_a_file_too_large_or_not_the_one_expected_is_not_kept(store, settings):
    with pytest.raises(TooLarge):
        store.put(pieces(LETTER), limit=len(LETTER) - 1)
    with pytest.raises(HashMismatch):
        store.put(pieces(LETTER), sha256="0" * 64)
    assert list(store.hashes()) == []
    if settings.store == "sqlite":
        assert os.listdir(settings.documents_dir) == ["incoming"]  # no partial file left behind


def test_a_name_that_is_not_a_hash_is_never_a_path(store):
    for name in ("../../etc/passwd", "/etc/passwd", "A" * 64, ""):
        assert not store.exists(name)
        with pytest.raises(BlobMissing):
            store.open(name)


def test_a_verified_upload_file_is_kept(store, tmp_path):
    upload = tmp_path / "upload"
    upload.write_bytes(LETTER)
    assert store.put_file(upload, sha256=SHA).size == len(LETTER)
    assert matches(store, SHA)


def test_the_file_store_is_private_and_a_changed_byte_is_found(tmp_path):
    store = FileBlobStore(tmp_path / "documents")
    store.put(pieces(LETTER))
    assert stat.S_IMODE(os.stat(tmp_path / "documents").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "documents" / SHA).st_mode) == 0o600
    with open(tmp_path / "documents" / SHA, "r+b") as kept:
        kept.seek(100)
        kept.write(b"X")
    assert not matches(store, SHA)


def test_a_write_cut_short_leaves_no_file_and_its_leftovers_are_swept(tmp_path):
    store = FileBlobStore(tmp_path / "documents")

    def killed():
        yield LETTER[:CHUNK]
        raise ConnectionError("the client went away")

    with pytest.raises(ConnectionError):
        store.put(killed())
    assert os.listdir(tmp_path / "documents") == ["incoming"]
    left = tmp_path / "documents" / ".partial-0123456789abcdef"  # as a kill -9 leaves one
    left.write_bytes(b"half")
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    assert store.discard_partials() == 1 and list(store.hashes()) == []


def test_a_large_file_is_never_held_whole_in_memory(store):
    size = 24 * CHUNK

    def generated():
        block = os.urandom(CHUNK // 4)
        for _ in range(size // len(block)):
            yield block

    tracemalloc.start()
    blob = store.put(generated())
    read = sum(len(chunk) for chunk in store.open(blob.sha256))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert blob.size == read == size
    assert peak < 6 * CHUNK, f"peak {peak} bytes for a {size}-byte file"


@pytest.mark.postgres
def test_postgresql_keeps_a_blob_as_chunk_rows_written_with_it(services, settings):
    if settings.store != "postgres":
        pytest.skip("the PostgreSQL store's own rows")
    store = services.documents
    assert isinstance(store, PostgresBlobStore)
    store.put(pieces(LETTER))
    with psycopg.connect(settings.postgres_url,
                         options=f"-c search_path={settings.postgres_schema}") as conn:
        rows = conn.execute("SELECT seq, length(data) FROM document_blob_chunks "
                            "WHERE blob = %s ORDER BY seq", (SHA,)).fetchall()
        assert [seq for seq, _ in rows] == [0, 1, 2]
        assert all(length == CHUNK for _, length in rows[:-1])
        assert sum(length for _, length in rows) == len(LETTER)
        conn.execute("UPDATE document_blob_chunks SET data = %s WHERE blob = %s AND seq = 1",
                     (b"X" * CHUNK, SHA))
    assert not matches(store, SHA)  # tampered at rest: found on reading


def test_the_store_follows_the_settings(settings):
    chosen = build_blob_store(settings)
    expected = PostgresBlobStore if settings.store == "postgres" else FileBlobStore
    assert isinstance(chosen, expected)
    files = build_blob_store(settings.model_copy(update={"document_store": "files"}))
    assert isinstance(files, FileBlobStore) and files.folder == settings.documents_dir
    assert settings.document_size_limit == 25_000_000
