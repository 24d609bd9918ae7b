"""Backups carry the documents: the files under the data directory, or PostgreSQL's blob
tables; a restored store serves the same bytes, and a document file altered in the
backup is refused by name."""

import uuid
from pathlib import Path

import psycopg
import pytest

from services.documents.blobs import build_blob_store
from services.ops.backup import BackupDamaged, backup, restore
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


def a_case_with_a_document(settings: Settings, cases) -> str:
    blob = build_blob_store(settings).put([LETTER])
    cases.attach_document(
        cases.open_case(**OPEN_CASE, **CORA), title="Ofsted inspection letter",
        kind="inspection report", step="the case as a whole", step_ref="",
        confidentiality="normal", stored=dict(sha256=blob.sha256, size=blob.size,
                                              media_type="application/pdf",
                                              filename="letter.pdf"), **CORA)
    return blob.sha256


def test_a_restored_store_serves_the_same_bytes(settings, services, cases, empty, tmp_path):
    sha256 = a_case_with_a_document(settings, cases)
    manifest = backup(settings, tmp_path / "backup")
    if settings.document_store_kind() == "files":
        assert f"documents/{sha256}" in manifest["files"]
    restore(empty, tmp_path / "backup")
    assert b"".join(build_blob_store(empty).open(sha256)) == LETTER


def test_a_document_altered_in_the_backup_is_refused_by_name(settings, services, cases,
                                                            empty, tmp_path):
    if settings.document_store_kind() != "files":
        pytest.skip("in PostgreSQL the documents are inside the dump, checked as one file")
    sha256 = a_case_with_a_document(settings, cases)
    backup(settings, tmp_path / "backup")
    kept = tmp_path / "backup" / "documents" / sha256
    kept.write_bytes(b"X" + kept.read_bytes()[1:])
    with pytest.raises(BackupDamaged) as refused:
        restore(empty, tmp_path / "backup")
    assert f"documents/{sha256}" in str(refused.value)
    assert not (empty.documents_dir / sha256).exists()
