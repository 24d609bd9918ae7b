"""A backup taken before a redaction does not bring the text back, on both stores: the
restore applies again every redaction the key store records, says so, and the case still
verifies."""

import asyncio
from pathlib import Path

import httpx
import psycopg

from api.main import create_app
from domain.documents import StoredFile
from services.bootstrap import Services, build_services
from services.cases.handler import Actor, CaseCommandHandler
from services.cases.idempotency import IdempotencyStore
from services.cases.service import CaseService
from services.identity.service import build_identity_service
from services.platform.settings import Settings
from tests.document_files import PDF
from tests.e2e.conftest import bearer, register_authorities, serve
from tests.helpers import OPEN_CASE
from tests.integration.test_backup import (  # noqa: F401 - fixtures
    _cli,
    postgres_url_or_none,
    restored_settings,
)

WORDS = "told us the children's services are failing"
SUMMARY = f"Zebulon Quartermaine {WORDS}"
REASON = "The data subject asked us to erase his name"


def _redact(services: Services, case_id) -> None:
    handler = CaseCommandHandler(services.cases, IdempotencyStore(services.cases),
                                 gateway=lambda: None, redactor=services.redactor)
    asyncio.run(handler.redact(case_id, "redact_event_field",
                               {"version": 1, "field": "summary", "reason": REASON},
                               Actor("ada", "admin"), expected_version=None))


def _bytes_of(settings: Settings) -> bytes:
    files = [Path(settings.sqlite_path), Path(f"{settings.sqlite_path}-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def _indexed(settings: Settings) -> str:
    """What the restored search index holds for every case."""
    if settings.store == "sqlite":
        return _bytes_of(settings).decode("utf-8", errors="replace")
    with psycopg.connect(settings.postgres_url) as conn:
        conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        return " ".join(r[0] for r in conn.execute("SELECT body FROM case_search").fetchall())


def test_a_restored_backup_from_before_a_redaction_applies_it_again_and_says_so(
        settings, services, restored_settings, tmp_path):  # noqa: F811
    cases = services.cases
    register_authorities(settings)
    case_id = cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, actor_id="cora",
                              actor_role="coordinator")
    services.case_list.catch_up(cases)
    made = _cli(settings, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr

    _redact(services, case_id)
    note = cases.get_case(case_id)["summary"]
    assert note.startswith("redacted on ") and note.endswith(REASON)
    if settings.store == "sqlite":
        assert WORDS.encode() not in _bytes_of(settings)

    restoring = _cli(restored_settings, "restore", str(tmp_path / "backup"))
    assert restoring.returncode == 0, restoring.stderr
    said = restoring.stdout + restoring.stderr
    assert "1 redactions made after this backup was taken are applied again" in said, said
    restored = CaseService(restored_settings.eventsourcing_env())
    try:
        assert restored.get_case(case_id)["summary"] == note
        assert restored.verify(case_id).ok
    finally:
        restored.close()
    assert WORDS not in _indexed(restored_settings)
    if restored_settings.store == "sqlite":
        assert WORDS.encode() not in _bytes_of(restored_settings)


def test_a_document_redacted_after_the_backup_answers_410_with_its_note_once_restored(
        settings, services, restored_settings, tmp_path):  # noqa: F811
    """The restored history does not hold the redaction's own event, but the key store
    (which no restore overwrites) records it: the download answers 410 Gone with the note,
    and the case's copy of the file is gone."""
    cases = services.cases
    register_authorities(settings)
    identity = build_identity_service(settings)
    identity.register_user(username="cora", role="coordinator", region=OPEN_CASE["region"])
    token = identity.issue_token("cora")
    identity.close()
    case_id = cases.open_case(**OPEN_CASE, actor_id="cora", actor_role="coordinator")
    stored = services.documents.put(case_id, [PDF])
    cases.attach_document(case_id, title="A letter", kind="letter",
                          step="the case as a whole", step_ref="", confidentiality="normal",
                          stored=StoredFile(stored.sha256, len(PDF), "application/pdf",
                                            "letter.pdf").as_fields(),
                          actor_id="cora", actor_role="coordinator")
    made = _cli(settings, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    handler = CaseCommandHandler(cases, IdempotencyStore(cases), gateway=lambda: None,
                                 redactor=services.redactor)
    asyncio.run(handler.redact(case_id, "redact_document", {
        "document_id": "document-1", "reason": "Attached to the wrong case"},
        Actor("ada", "admin"), expected_version=None))

    restoring = _cli(restored_settings, "restore", str(tmp_path / "backup"))
    assert restoring.returncode == 0, restoring.stderr
    said = restoring.stdout + restoring.stderr
    assert "1 redactions made after this backup was taken are applied again" in said, said
    restored = build_services(restored_settings)
    server, thread, url = serve(create_app(restored_settings, services=restored))
    try:
        assert not restored.documents.exists(case_id, stored.sha256)
        assert "redacted" not in restored.cases.get_case(case_id)["documents"][0]
        gone = httpx.get(f"{url}/cases/{case_id}/documents/document-1", timeout=30,
                         headers=bearer(token))
        assert gone.status_code == 410, gone.text
        assert gone.json()["detail"].startswith("This document was redacted on ")
        assert gone.json()["detail"].endswith(": Attached to the wrong case")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        restored.close()
