"""Redaction against the real stores: another process's cached case no longer holds the
erased text, carrying a redaction out again does nothing twice, and a document's file
stays while another case records it unredacted."""

import asyncio
import hashlib

import pytest

from domain.documents import StoredFile
from domain.errors import DomainError, InvalidField
from services.audit.exports import verify_export
from services.bootstrap import Services
from services.cases.handler import Actor, CaseCommandHandler
from services.cases.idempotency import IdempotencyStore
from services.cases.service import CaseService
from tests.document_files import PDF
from tests.e2e.conftest import register_authorities
from tests.helpers import OPEN_CASE
from tests.integration.test_history_integrity import key, run_sql

CORA = dict(actor_id="cora", actor_role="coordinator")
ADA = dict(actor_id="ada", actor_role="admin")
SUMMARY = "Zebulon Quartermaine told us the children's services are failing"


def _attach(cases: CaseService, case_id, sha256: str) -> None:
    cases.attach_document(case_id, title="A letter", kind="letter",
                          step="the case as a whole", step_ref="", confidentiality="normal",
                          stored=StoredFile(sha256, len(PDF), "application/pdf",
                                            "letter.pdf").as_fields(), **CORA)


def test_another_process_that_cached_the_case_reads_the_note_not_the_erased_text(
        settings, services: Services):
    register_authorities(settings)
    case_id = services.cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, **CORA)
    other = CaseService(settings.eventsourcing_env())  # another process, say the worker
    try:
        assert other.get_case(case_id)["summary"] == SUMMARY  # now in its cache
        services.cases.redact_event_field(case_id, version=1, field="summary",
                                          reason="A data subject's request", **ADA)
        assert services.redactor.apply(case_id) == 1
        assert services.redactor.apply(case_id) == 0  # carried out once
        note = other.get_case(case_id)["summary"]
        assert note.startswith("redacted on ") and "Quartermaine" not in note
        assert other.verify(case_id).ok
        recorded = [r for r in services.cases.key_store.redactions()  # type: ignore[union-attr]
                    if r["stream_id"] == str(case_id)]
        assert [(r["version"], r["field"], r["by"]) for r in recorded] == [(1, "summary", "ada")]
    finally:
        other.close()


def test_a_redacted_document_s_copy_goes_and_every_other_copy_of_the_file_stays(
        settings, services: Services):
    """Each case keeps its own copy of a file, sealed under its own key: a redaction takes
    the case's copy, unless the case records the same file in another document it has
    not redacted; another case's copy is never touched."""
    register_authorities(settings)
    cases, blobs = services.cases, services.documents
    wrong, right = (cases.open_case(**OPEN_CASE, **CORA) for _ in range(2))
    for case_id in (wrong, right, right):
        sha256 = blobs.put(case_id, [PDF]).sha256
        _attach(cases, case_id, sha256)
    assert sha256 == hashlib.sha256(PDF).hexdigest()

    cases.redact_document(wrong, document_id="document-1",
                          reason="Attached to the wrong case", **ADA)
    services.redactor.apply(wrong)
    assert not blobs.exists(wrong, sha256) and blobs.exists(right, sha256)
    cases.redact_document(right, document_id="document-1", reason="Asked to remove it", **ADA)
    services.redactor.apply(right)
    assert blobs.exists(right, sha256)  # its document-2 is the same file, not redacted
    cases.redact_document(right, document_id="document-2", reason="Asked to remove it", **ADA)
    services.redactor.apply(right)
    assert not blobs.exists(right, sha256)
    assert cases.get_case(right)["documents"][0]["sha256"] == sha256  # its hash stays


def test_an_entry_from_before_fields_were_committed_alone_is_refused_and_nothing_recorded(
        settings, services: Services):
    """A case begun by an older release holds `hc1` events, whose fields are not committed
    one by one: a field of one cannot be erased alone, so its redaction is refused before
    it is recorded, and the case's later entries can still be redacted."""
    register_authorities(settings)
    cases = services.cases
    cases.events.scheme = "hc1"  # as an older release wrote its events
    case_id = cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, **CORA)
    cases.events.scheme = "hc2"
    cases.add_intelligence(case_id, content="A call from Zebulon Quartermaine",
                           source="A neighbour", confidentiality="normal", **CORA)
    handler = CaseCommandHandler(cases, IdempotencyStore(cases), gateway=lambda: None,
                                 redactor=services.redactor)
    ada = Actor("ada", "admin")

    with pytest.raises(InvalidField) as refused:
        asyncio.run(handler.redact(case_id, "redact_event_field", {
            "version": 1, "field": "summary", "reason": "A data subject's request"}, ada,
            expected_version=None))
    assert (refused.value.field, refused.value.rule) == ("version", "event_not_redactable")
    assert [e["type"] for e in cases.history(case_id)] == ["ConcernRaised",
                                                           "IntelligenceAdded"]
    asyncio.run(handler.redact(case_id, "redact_event_field", {
        "version": 2, "field": "content", "reason": "A data subject's request"}, ada,
        expected_version=None))
    content = cases.get_case(case_id)["intelligence"][0]["content"]
    assert content.startswith("redacted on ") and "Quartermaine" not in content
    assert cases.verify(case_id).ok


def test_a_redacted_field_put_back_from_an_older_copy_is_named_by_verification(
        settings, services: Services, tmp_path):
    """Someone with the database and a backup from before the redaction, but no key, can
    copy the old sealed row back: it opens (the case's key is not destroyed by a
    redaction), and the value matches the commitment the redaction kept, so the chain
    alone cannot tell. The redaction recorded later in the same chain names it, in the
    store and offline in an export; carrying the redaction out again erases it again."""
    register_authorities(settings)
    cases = services.cases
    case_id = cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, **CORA)
    sealed_before = cases.recorder.inner.select_events(case_id)[0].state  # a backup's row
    cases.redact_event_field(case_id, version=1, field="summary",
                             reason="A data subject's request", **ADA)
    services.redactor.apply(case_id)

    run_sql(settings, "UPDATE {table} SET state=%s WHERE originator_id=%s AND "
                      "originator_version=1", (sealed_before, key(case_id, settings)))
    services.redactor.forget(case_id)
    assert cases.get_case(case_id)["summary"] == SUMMARY  # it reads again...
    result = cases.verify(case_id)  # ...and verification says so
    assert not result.ok and result.first_broken_version == 1, result
    assert "summary of version 1 holds text again" in result.problem
    assert "version 2 redacted it" in result.problem
    exported = verify_export(cases.export_history(case_id))
    assert not exported.ok and exported.first_broken_version == 1
    assert "holds text again" in exported.problem

    assert services.redactor.apply(case_id) == 1  # carried out again
    assert cases.verify(case_id).ok
    assert verify_export(cases.export_history(case_id)).ok


def test_a_redaction_drops_the_case_s_snapshots_which_held_the_erased_text(
        settings, services: Services):
    register_authorities(settings)
    cases = services.cases
    case_id = cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, **CORA)
    for n in range(49):  # a snapshot is taken at the 50th event
        cases.add_intelligence(case_id, content=f"Call {n}", source="A neighbour",
                               confidentiality="normal", **CORA)
    snapshots = cases.snapshots.recorder  # type: ignore[union-attr]
    assert snapshots.select_events(case_id)  # it holds the summary, sealed
    cases.redact_event_field(case_id, version=1, field="summary",
                             reason="A data subject's request", **ADA)
    services.redactor.apply(case_id)
    assert snapshots.select_events(case_id) == []
    assert cases.get_case(case_id)["summary"].startswith("redacted on ")


def test_a_redaction_recorded_but_not_carried_out_is_finished_when_asked_again(
        settings, services: Services):
    """A process stopped between recording a redaction and erasing the text: asking for
    the same redaction again is refused as already redacted, and carries it out."""
    register_authorities(settings)
    cases = services.cases
    case_id = cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, **CORA)
    cases.redact_event_field(case_id, version=1, field="summary",
                             reason="A data subject's request", **ADA)  # then it stopped
    assert not cases.verify(case_id).ok  # named: the redaction was not carried out
    handler = CaseCommandHandler(cases, IdempotencyStore(cases), gateway=lambda: None,
                                 redactor=services.redactor)
    with pytest.raises(DomainError) as refused:
        asyncio.run(handler.redact(case_id, "redact_event_field", {
            "version": 1, "field": "summary", "reason": "Asked again"},
            Actor("ada", "admin"), expected_version=None))
    assert refused.value.rule == "already_redacted"
    assert cases.verify(case_id).ok
    summary = cases.get_case(case_id)["summary"]
    assert summary.endswith("A data subject's request") and "Quartermaine" not in summary


def _stored_pages(settings) -> bytes:
    """Every byte of the events' and snapshots' tables, old row versions included: SQLite's
    files, or PostgreSQL's pages read with pageinspect."""
    if settings.store == "sqlite":
        return b"".join(p.read_bytes() for p in settings.data_dir.glob("casework.sqlite*"))
    import psycopg

    schema, found = settings.postgres_schema, b""
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        for name in ("casework_events", "casework_snapshots"):
            table = f'"{schema}".{name}'
            toast = conn.execute(f"SELECT reltoastrelid::regclass::text FROM pg_class "
                                 f"WHERE oid = '{table}'::regclass").fetchone()[0]
            for relation in (table, toast):  # a large row lives in the TOAST table
                pages = conn.execute(f"SELECT pg_relation_size('{relation}') / 8192")\
                    .fetchone()[0]
                found += b"".join(bytes(conn.execute("SELECT get_raw_page(%s, %s)",
                                                     (relation, page)).fetchone()[0])
                                  for page in range(pages))
    return found


def test_the_redacted_event_s_old_row_is_not_left_in_the_store_s_pages(
        settings, services: Services):
    """A redaction leaves the case's key in place, so the event's old sealed row would
    still open: it must not linger in the table's pages (PostgreSQL keeps an updated
    row's old version until a vacuum; SQLite's free pages and write-ahead log)."""
    register_authorities(settings)
    cases = services.cases
    case_id = cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, **CORA)
    for n in range(49):  # and a snapshot, which holds the summary too
        cases.add_intelligence(case_id, content=f"Call {n}", source="A neighbour",
                               confidentiality="normal", **CORA)
    old_event = cases.recorder.inner.select_events(case_id)[0].state
    old_snapshot = cases.snapshots.recorder.inner.select_events(case_id)[0].state  # type: ignore[union-attr]
    old_snapshot = old_snapshot[:64]  # a snapshot spills over pages: its start will do
    assert old_event in _stored_pages(settings) and old_snapshot in _stored_pages(settings)
    cases.redact_event_field(case_id, version=1, field="summary",
                             reason="A data subject's request", **ADA)
    services.redactor.apply(case_id)
    held = _stored_pages(settings)
    assert old_event not in held and old_snapshot not in held
