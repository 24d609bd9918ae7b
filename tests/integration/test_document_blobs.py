"""The bytes of documents: kept whole for their case under their hash or not at all,
sealed under the case's key so that no copy reads once the key is destroyed, private on
disk, chunked in PostgreSQL, and a changed byte found before a file is served."""

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
    KeyDestroyed,
    PostgresBlobStore,
    TooLarge,
    build_blob_store,
    matches,
)
from services.documents.sealing import HEADER, SEALED_CHUNK
from services.eventstore.keys import open_key_store
from tests.helpers import OPEN_CASE

LETTER = b"%PDF-1.7\n" + b"the inspection letter " * 100_000  # about 2 MB: three chunks
SHA = hashlib.sha256(LETTER).hexdigest()
CORA = dict(actor_id="cora", actor_role="coordinator")


def pieces(data: bytes, size: int = 65_536):
    for start in range(0, len(data), size):
        yield data[start:start + size]


@pytest.fixture
def store(services):
    """The store the process builds: files for SQLite, PostgreSQL's tables for PostgreSQL."""
    return services.documents


@pytest.fixture
def case_id(cases):
    """A case, and so its data key (made with its first event)."""
    return cases.open_case(**OPEN_CASE, **CORA)


@pytest.fixture
def file_store(settings, cases, tmp_path):
    """A file store of its own, sealing under the test's key store."""
    store = FileBlobStore(tmp_path / "documents",
                          open_key_store(settings.key_store_location, settings.master_key_path))
    yield store
    store.close()


def test_bytes_put_come_back_whole_for_their_case_under_their_hash(store, case_id):
    blob = store.put(case_id, pieces(LETTER), sha256=SHA)
    assert (blob.sha256, blob.size) == (SHA, len(LETTER))
    assert store.exists(case_id, SHA) and list(store.held()) == [(case_id, SHA)]
    assert b"".join(store.open(case_id, SHA)) == LETTER
    assert matches(store, case_id, SHA)
    assert store.put(case_id, pieces(LETTER)).sha256 == SHA  # the same file again: kept once
    assert list(store.held()) == [(case_id, SHA)]
    assert store.delete_document(case_id, SHA) is True
    assert not store.exists(case_id, SHA) and not matches(store, case_id, SHA)
    with pytest.raises(BlobMissing):
        store.open(case_id, SHA)


def test_two_cases_holding_the_same_bytes_keep_a_copy_each_under_their_own_key(
        store, cases, case_id, settings):
    other = cases.open_case(**OPEN_CASE, **CORA)
    store.put(case_id, [LETTER])
    store.put(other, [LETTER])
    assert sorted(store.held()) == sorted([(case_id, SHA), (other, SHA)])
    assert not store.exists(cases.open_case(**OPEN_CASE, **CORA), SHA)
    keys = open_key_store(settings.key_store_location, settings.master_key_path)
    keys.destroy(other)  # the other case disposed of
    with pytest.raises(KeyDestroyed):
        store.open(other, SHA)
    assert not matches(store, other, SHA)
    with pytest.raises(KeyDestroyed):
        store.put(other, [b"anything more"])
    assert b"".join(store.open(case_id, SHA)) == LETTER  # this case's copy is its own


def test_disposal_and_redaction_forget_a_case_s_copies(store, case_id):
    first = store.put(case_id, [LETTER]).sha256
    second = store.put(case_id, [b"%PDF-1.7 the plan"]).sha256
    third = store.put(case_id, [b"%PDF-1.7 the minutes"]).sha256
    assert store.delete_document(case_id, second) is True  # a redaction
    assert store.delete_document(case_id, second) is False
    assert store.delete_case_documents(case_id, except_hashes={third}) == [first]
    assert list(store.held()) == [(case_id, third)]
    assert store.delete_case_documents(case_id) == [third]
    assert list(store.held()) == []


def test_a_file_too_large_or_not_the_one_expected_is_not_kept(store, case_id, settings):
    with pytest.raises(TooLarge):
        store.put(case_id, pieces(LETTER), limit=len(LETTER) - 1)
    with pytest.raises(HashMismatch):
        store.put(case_id, pieces(LETTER), sha256="0" * 64)
    assert list(store.held()) == []
    if settings.store == "sqlite":  # no partial file left behind
        assert os.listdir(settings.documents_dir / str(case_id)) == []


def test_a_name_that_is_not_a_hash_or_a_case_is_never_a_path(store, case_id):
    for name in ("../../etc/passwd", "/etc/passwd", "A" * 64, ""):
        assert not store.exists(case_id, name)
        with pytest.raises(BlobMissing):
            store.open(case_id, name)
    for case in ("..", "../incoming", "/etc", ""):
        assert not store.exists(case, SHA)
        with pytest.raises(BlobMissing):
            store.put(case, [LETTER])


def test_a_verified_upload_file_is_kept(store, case_id, tmp_path):
    upload = tmp_path / "upload"
    upload.write_bytes(LETTER)
    assert store.put_file(case_id, upload, sha256=SHA).size == len(LETTER)
    assert matches(store, case_id, SHA)


def test_the_file_store_is_private_and_holds_no_byte_in_clear(file_store, case_id, tmp_path):
    file_store.put(case_id, pieces(LETTER))
    kept = tmp_path / "documents" / str(case_id) / SHA
    assert stat.S_IMODE(os.stat(tmp_path / "documents").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(kept.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    sealed = kept.read_bytes()
    assert b"inspection letter" not in sealed and b"%PDF" not in sealed
    assert len(sealed) == HEADER + len(LETTER) + 3 * (SEALED_CHUNK - CHUNK)


def test_a_changed_moved_or_shortened_copy_is_found(file_store, cases, case_id, tmp_path):
    file_store.put(case_id, pieces(LETTER))
    kept = tmp_path / "documents" / str(case_id) / SHA
    sealed = kept.read_bytes()
    kept.write_bytes(sealed[:100] + bytes([sealed[100] ^ 1]) + sealed[101:])
    assert not matches(file_store, case_id, SHA)
    kept.write_bytes(sealed[:HEADER + 2 * SEALED_CHUNK])  # the last chunk cut off
    assert not matches(file_store, case_id, SHA)
    other = cases.open_case(**OPEN_CASE, **CORA)
    file_store.put(other, [b"%PDF-1.7 something else"])
    moved = tmp_path / "documents" / str(other) / SHA
    moved.write_bytes(sealed)  # another case's copy, put where this one's would be
    assert not matches(file_store, other, SHA)
    kept.write_bytes(sealed)
    assert matches(file_store, case_id, SHA)


def test_a_write_cut_short_leaves_no_file_and_its_leftovers_are_swept(file_store, case_id,
                                                                      tmp_path):
    def killed():
        yield LETTER[:CHUNK]
        raise ConnectionError("the client went away")

    with pytest.raises(ConnectionError):
        file_store.put(case_id, killed())
    folder = tmp_path / "documents" / str(case_id)
    assert os.listdir(folder) == []
    left = folder / ".partial-0123456789abcdef"  # as a kill -9 leaves one
    left.write_bytes(b"half")
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    assert file_store.discard_partials() == 1 and list(file_store.held()) == []


def test_a_large_file_is_never_held_whole_in_memory(store, case_id):
    size = 24 * CHUNK

    def generated():
        block = os.urandom(CHUNK // 4)
        for _ in range(size // len(block)):
            yield block

    tracemalloc.start()
    blob = store.put(case_id, generated())
    read = sum(len(chunk) for chunk in store.open(case_id, blob.sha256))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert blob.size == read == size
    assert peak < 6 * CHUNK, f"peak {peak} bytes for a {size}-byte file"


@pytest.mark.postgres
def test_postgresql_keeps_a_copy_as_sealed_chunk_rows_written_with_it(services, case_id,
                                                                      settings):
    if settings.store != "postgres":
        pytest.skip("the PostgreSQL store's own rows")
    store = services.documents
    assert isinstance(store, PostgresBlobStore)
    store.put(case_id, pieces(LETTER))
    with psycopg.connect(settings.postgres_url,
                         options=f"-c search_path={settings.postgres_schema}") as conn:
        rows = conn.execute("SELECT seq, data FROM case_document_chunks WHERE case_id = %s "
                            "AND blob = %s ORDER BY seq", (str(case_id), SHA)).fetchall()
        assert [seq for seq, _ in rows] == [0, 1, 2]
        assert all(len(data) == SEALED_CHUNK for _, data in rows[:-1])
        assert sum(len(data) for _, data in rows) == len(LETTER) + 3 * (SEALED_CHUNK - CHUNK)
        assert not any(b"inspection letter" in bytes(data) for _, data in rows)
        conn.execute("UPDATE case_document_chunks SET data = %s WHERE case_id = %s AND "
                     "blob = %s AND seq = 1", (b"X" * SEALED_CHUNK, str(case_id), SHA))
    assert not matches(store, case_id, SHA)  # tampered at rest: found on reading


def test_the_store_follows_the_settings(settings):
    chosen = build_blob_store(settings)
    expected = PostgresBlobStore if settings.store == "postgres" else FileBlobStore
    assert isinstance(chosen, expected)
    chosen.close()
    files = build_blob_store(settings.model_copy(update={"document_store": "files"}))
    assert isinstance(files, FileBlobStore) and files.folder == settings.documents_dir
    files.close()
    assert settings.document_size_limit == 25_000_000


@pytest.mark.postgres
def test_a_redacted_copy_s_sealed_chunks_do_not_stay_in_postgresql_s_pages(
        services, case_id, settings):
    """A redaction keeps the case's key, so the copy's deleted chunk rows would still open:
    they must not stay in the table's pages (or its TOAST table's) until a vacuum."""
    if settings.store != "postgres":
        pytest.skip("the PostgreSQL store's own rows")
    store = services.documents
    store.put(case_id, pieces(LETTER))
    table = f'"{settings.postgres_schema}".case_document_chunks'
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        starts = [bytes(r[0]) for r in conn.execute(
            f"SELECT substring(data, 1, 64) FROM {table} WHERE case_id = %s",
            (str(case_id),)).fetchall()]
        assert starts and all(s in _pages(conn, table) for s in starts)
        store.delete_document(case_id, SHA)
        held = _pages(conn, table)
        assert not any(s in held for s in starts)


def _pages(conn, table: str) -> bytes:
    """A table's pages and its TOAST table's, dead rows included (pageinspect)."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    toast = conn.execute(f"SELECT reltoastrelid::regclass::text FROM pg_class "
                         f"WHERE oid = '{table}'::regclass").fetchone()[0]
    found = b""
    for relation in (table, toast):
        pages = conn.execute(f"SELECT pg_relation_size('{relation}') / 8192").fetchone()[0]
        found += b"".join(bytes(conn.execute("SELECT get_raw_page(%s::text, %s::int)",
                                             (relation, page)).fetchone()[0])
                          for page in range(pages))
    return found
