"""Backups carry the documents: the files under the data directory, or PostgreSQL's blob
tables; a restored store serves the same bytes, and a document file altered in the
backup is refused by name."""

import uuid
from pathlib import Path

import psycopg
import pytest

from services.documents.blobs import BlobMissing, build_blob_store
from services.ops.backup import BackupDamaged, _restore_documents, backup, restore
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE

CORA = dict(actor_id="cora", actor_role="coordinator")
LETTER = b"%PDF-1.7 the inspection letter\n" * 1000


@pytest.fixture
def empty(settings: Settings, tmp_path: Path):
    """An empty store of the same kind: a fresh data directory, or a fresh database."""
    fresh = settings.model_copy(update={  # this host's key store: a backup holds no keys
        "data_dir": tmp_path / "restored", "key_store": settings.key_store_location,
        "master_key_file": settings.master_key_path})
    if settings.store == "sqlite":
        yield fresh
        return
    database = f"casework_docs_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    yield fresh.model_copy(update={
        "postgres_url": settings.postgres_url.rsplit("/", 1)[0] + f"/{database}"})
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')


def a_case_with_a_document(settings: Settings, cases, content: bytes = LETTER):
    """A case with a letter attached, kept as the upload keeps it; the case and the
    letter's hash."""
    case_id = cases.open_case(**OPEN_CASE, **CORA)
    store = build_blob_store(settings)
    blob = store.put(case_id, [content])
    store.close()
    cases.attach_document(
        case_id, title="Ofsted inspection letter",
        kind="inspection report", step="the case as a whole", step_ref="",
        confidentiality="normal", stored=dict(sha256=blob.sha256, size=blob.size,
                                              media_type="application/pdf",
                                              filename="letter.pdf"), **CORA)
    return case_id, blob.sha256


def read_back(settings: Settings, case_id, sha256: str) -> bytes:
    store = build_blob_store(settings)
    try:
        return b"".join(store.open(case_id, sha256))
    finally:
        store.close()


def test_a_restored_store_serves_the_same_bytes(settings, services, cases, empty, tmp_path):
    case_id, sha256 = a_case_with_a_document(settings, cases)
    manifest = backup(settings, tmp_path / "backup")
    if settings.document_store_kind() == "files":
        assert f"documents/{case_id}/{sha256}" in manifest["files"]
        assert b"inspection letter" not in \
            (tmp_path / "backup" / "documents" / str(case_id) / sha256).read_bytes()
    restore(empty, tmp_path / "backup")
    assert read_back(empty, case_id, sha256) == LETTER


def test_a_document_altered_in_the_backup_is_refused_by_name(settings, services, cases,
                                                            empty, tmp_path):
    if settings.document_store_kind() != "files":
        pytest.skip("in PostgreSQL the documents are inside the dump, checked as one file")
    case_id, sha256 = a_case_with_a_document(settings, cases)
    backup(settings, tmp_path / "backup")
    kept = tmp_path / "backup" / "documents" / str(case_id) / sha256
    sealed = kept.read_bytes()
    kept.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with pytest.raises(BackupDamaged) as refused:
        restore(empty, tmp_path / "backup", unchecked=True)  # past the manifest's checksums
    assert f"documents/{case_id}/{sha256}" in str(refused.value)
    assert not (empty.documents_dir / str(case_id) / sha256).exists()


def test_a_case_disposed_of_after_the_backup_gets_no_document_back(settings, services, cases,
                                                                   empty, tmp_path):
    """The restore's step for documents, on its own: the disposal's own restore step
    leaves the case's events out (its key is gone, so they cannot be read)."""
    if settings.document_store_kind() != "files":
        pytest.skip("in PostgreSQL the documents are inside the dump, with the events")
    disposed, sha256 = a_case_with_a_document(settings, cases)
    kept, other = a_case_with_a_document(settings, cases, b"%PDF-1.7 the plan\n")
    manifest = backup(settings, tmp_path / "backup")
    cases.key_store.destroy(disposed)  # the disposal destroys the case's key
    said: list[str] = []
    _restore_documents(empty, tmp_path / "backup", manifest, said.append)
    assert read_back(empty, kept, other) == b"%PDF-1.7 the plan\n"
    assert not (empty.documents_dir / str(disposed)).exists()
    with pytest.raises(BlobMissing):
        read_back(empty, disposed, sha256)
    assert "the documents of 1 case(s) disposed of after this backup was taken were not " \
           "restored" in said
