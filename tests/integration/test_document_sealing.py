"""Documents kept in the clear by an earlier release are sealed, a copy for each case that
records them under that case's key, by the step `casework encrypt-store` runs: resumable,
never sealing for a case disposed of, and keeping (and naming) a copy whose bytes no
longer match their hash."""

import hashlib

import psycopg

from services.caselist.migrations import migrate
from services.cases.service import CaseService
from services.documents.blobs import FileBlobStore, build_blob_store, matches
from services.ops.backup import backup, restore
from services.ops.document_sealing import encrypt_existing_documents
from tests.helpers import OPEN_CASE
from tests.integration.test_backup_documents import empty  # noqa: F401 - a fixture
from tests.integration.test_encryption_at_rest import _encrypt_store

CORA = dict(actor_id="cora", actor_role="coordinator")
LETTER = b"%PDF-1.7 the inspection letter, kept before documents were sealed\n" * 500
PLAN = b"%PDF-1.7 the improvement plan\n"
STRAY = b"%PDF-1.7 a file no case ever recorded\n"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def recorded(cases, case_id, content: bytes, title: str = "A letter") -> None:
    cases.attach_document(case_id, title=title, kind="letter", step="the case as a whole",
                          step_ref="", confidentiality="normal", stored=dict(
                              sha256=sha(content), size=len(content),
                              media_type="application/pdf", filename="letter.pdf"), **CORA)


def damaged(store, settings, content: bytes) -> None:
    """A legacy copy changed at rest: its bytes no longer hash to its name."""
    if isinstance(store, FileBlobStore):
        path = store.folder / sha(content)
        path.write_bytes(b"X" + path.read_bytes()[1:])
        return
    with psycopg.connect(settings.postgres_url,
                         options=f"-c search_path={settings.postgres_schema}",
                         autocommit=True) as conn:
        conn.execute("UPDATE document_blob_chunks SET data = overlay(data placing 'X' from 1) "
                     "WHERE blob = %s", (sha(content),))


def test_each_case_gets_its_own_sealed_copy_and_the_clear_one_goes(settings, services, cases):
    store = services.documents
    first, second, disposed = (cases.open_case(**OPEN_CASE, **CORA) for _ in range(3))
    for content in (LETTER, PLAN, STRAY):
        store.put_legacy([content], sha256=sha(content))
    for case_id in (first, second, disposed):
        recorded(cases, case_id, LETTER)
    recorded(cases, second, PLAN, "The plan")
    damaged(store, settings, PLAN)
    cases.key_store.destroy(disposed)
    said: list[str] = []

    done = encrypt_existing_documents(settings, said.append)

    assert (done.sealed, done.removed) == (2, 2)  # none for the case disposed of
    assert [(held.case_id, held.sha256) for held in done.damaged] == [(second, sha(PLAN))]
    assert sorted(store.held()) == sorted([(first, sha(LETTER)), (second, sha(LETTER))])
    assert list(store.legacy_hashes()) == [sha(PLAN)]  # kept for an operator to look into
    for case_id in (first, second):
        assert b"".join(store.open(case_id, sha(LETTER))) == LETTER
    assert not matches(store, second, sha(PLAN))  # refused as changed at rest, as before
    assert said[-1].startswith("sealed 2 copies") and "1 kept unsealed" in said[-1]


def test_a_run_stopped_half_way_is_picked_up_where_it_stopped(settings, services, cases):
    store = services.documents
    first, second = (cases.open_case(**OPEN_CASE, **CORA) for _ in range(2))
    store.put_legacy([LETTER], sha256=sha(LETTER))
    for case_id in (first, second):
        recorded(cases, case_id, LETTER)
    store.put(first, store.open_legacy(sha(LETTER)), sha256=sha(LETTER))  # sealed, then stopped

    done = encrypt_existing_documents(settings)
    assert (done.sealed, done.already, done.removed) == (1, 1, 1)
    again = encrypt_existing_documents(settings)
    assert (again.sealed, again.already, again.removed) == (0, 0, 0)
    assert matches(store, first, sha(LETTER)) and matches(store, second, sha(LETTER))


def test_a_backup_holding_a_clear_copy_is_restored_for_sealing(settings, services, cases,
                                                               empty, tmp_path):  # noqa: F811
    if settings.document_store_kind() != "files":
        return  # in PostgreSQL the clear copies are rows of the dump, restored as they are
    case_id = cases.open_case(**OPEN_CASE, **CORA)
    services.documents.put_legacy([LETTER], sha256=sha(LETTER))
    recorded(cases, case_id, LETTER)
    manifest = backup(settings, tmp_path / "backup")
    assert f"documents/{sha(LETTER)}" in manifest["files"]

    restore(empty, tmp_path / "backup")
    encrypt_existing_documents(empty)

    restored = build_blob_store(empty)
    try:
        assert list(restored.legacy_hashes()) == []
        assert b"".join(restored.open(case_id, sha(LETTER))) == LETTER
    finally:
        restored.close()


def test_casework_encrypt_store_seals_the_documents_of_a_store_from_before(settings):
    clear = settings.model_copy(update={"encryption": "off"})
    migrate(clear)  # an earlier release's tables, documents' included
    before = CaseService(clear.eventsourcing_env())
    earlier = build_blob_store(clear)
    try:
        case_id = before.open_case(**OPEN_CASE, **CORA)
        earlier.put_legacy([LETTER], sha256=sha(LETTER))
        recorded(before, case_id, LETTER)
    finally:
        earlier.close()
        before.close()

    sealed = _encrypt_store(settings)

    assert sealed.returncode == 0, sealed.stdout + sealed.stderr
    assert "sealed 1 copies" in sealed.stdout and "removed 1 unsealed" in sealed.stdout
    store = build_blob_store(settings)
    try:
        assert list(store.legacy_hashes()) == []
        assert b"".join(store.open(case_id, sha(LETTER))) == LETTER
    finally:
        store.close()
    again = _encrypt_store(settings)
    assert again.returncode == 0 and "no document is kept unsealed" in again.stdout
