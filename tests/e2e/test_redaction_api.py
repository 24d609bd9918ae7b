"""Redaction over HTTP, on both stores: an administrator redacts one field of one event, or
one document, with a reason; everything else is refused naming the field and the rule,
with nothing written; what was redacted is gone from every view and from the SQLite
file's bytes, while the history still verifies, online and offline from an export."""

import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.bootstrap import Services
from services.cases.service import CaseService
from tests.document_files import PDF
from tests.e2e.conftest import bearer
from tests.e2e.document_uploads import CONTENT_TYPE, form
from tests.helpers import OPEN_CASE

CORA = dict(actor_id="cora", actor_role="coordinator")
SECRET = "Zebulon Quartermaine"
SUMMARY = f"{SECRET} told us the children's services are failing"
REASON = "The data subject asked us to erase his name"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(api_without_workflows: str) -> Iterator[httpx.Client]:
    """A client of the API on the test's store (Temporal's `client` is not needed here)."""
    with httpx.Client(base_url=api_without_workflows, timeout=30) as client:
        yield client


@pytest.fixture
def case_id(cases: CaseService, services: Services):
    opened = cases.open_case(**{**OPEN_CASE, "summary": SUMMARY}, **CORA)
    cases.add_intelligence(opened, content=f"A second call from {SECRET}'s neighbour",
                           source="A neighbour", confidentiality="normal", **CORA)
    services.case_list.catch_up(cases)
    return opened


def redact(client: httpx.Client, token: str, case_id, **body) -> httpx.Response:
    return client.post(f"/cases/{case_id}/redactions", json=body, headers=bearer(token))


def history(client: httpx.Client, tokens, case_id) -> list[dict]:
    answer = client.get(f"/cases/{case_id}/history", headers=bearer(tokens["inspector"]))
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("who, body, status, field, rule", [
    ("coordinator", dict(version=1, field="summary", reason=REASON), 403, None, None),
    ("inspector", dict(version=1, field="summary", reason=REASON), 403, None, None),
    ("admin", dict(version=1, field="summary", reason="  "), 422, "reason",
     "redaction_needs_reason"),
    ("admin", dict(version=1, field="summary"), 422, "reason", "redaction_needs_reason"),
    ("admin", dict(version=1, field="summery", reason=REASON), 422, "field",
     "field_must_exist"),
    ("admin", dict(version=1, reason=REASON), 422, "field", "never_a_whole_event"),
    ("admin", dict(version=1, field="raised_at", reason=REASON), 422, "field",
     "text_fields_only"),
    ("admin", dict(version=1, field="authority", reason=REASON), 422, "field",
     "text_fields_only"),
    ("admin", dict(version=9, field="summary", reason=REASON), 422, "version",
     "event_must_exist"),
    ("admin", dict(version=2**63, field="summary", reason=REASON), 422, "version",
     "event_must_exist"),  # past what either store can count to
])
def test_a_redaction_not_allowed_is_refused_naming_the_field_and_rule_and_writes_nothing(
        client, tokens, case_id, who, body, status, field, rule):
    before = history(client, tokens, case_id)
    answer = redact(client, tokens[who], case_id, **body)
    assert answer.status_code == status, answer.text
    if rule is not None:
        problem = answer.json()
        assert (problem["field"], problem["rule"]) == (field, rule)
    if rule == "text_fields_only":
        assert "only text fields" in answer.json()["detail"]
    assert history(client, tokens, case_id) == before


def test_a_redacted_field_reads_as_its_note_everywhere_and_the_case_still_verifies(
        client, tokens, case_id, settings, tmp_path):
    searched = client.get("/cases", params={"q": "failing"},
                          headers=bearer(tokens["coordinator"]))
    assert str(case_id) in searched.text  # found by the words about to be redacted
    answer = redact(client, tokens["admin"], case_id, version=1, field="summary",
                    reason=REASON)
    assert answer.status_code == 200, answer.text
    note = answer.json()["note"]
    assert note.startswith("redacted on ") and note.endswith(f": {REASON}")

    coordinator = bearer(tokens["coordinator"])
    case = client.get(f"/cases/{case_id}", headers=coordinator).json()
    assert case["summary"] == note
    events = history(client, tokens, case_id)
    assert events[0]["data"]["summary"] == note
    assert events[-1]["type"] == "FieldRedacted"
    assert (events[-1]["actor"]["id"], events[-1]["data"]["reason"]) == ("ada", REASON)
    assert "told us the children" not in json.dumps(case) + json.dumps(events)

    verified = client.get(f"/cases/{case_id}/verification", headers=coordinator).json()
    assert verified["ok"], verified
    exported = client.get(f"/cases/{case_id}/export", headers=coordinator)
    assert exported.status_code == 200 and SECRET not in exported.text.split("\n")[0]
    first = json.loads(exported.text.splitlines()[0])
    assert first["withheld"]["summary"]["redacted"] == note
    path = tmp_path / "case.jsonl"
    path.write_text(exported.text)
    checked = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    found = client.get("/cases", params={"q": "failing"}, headers=coordinator)
    assert found.status_code == 200 and str(case_id) not in found.text
    if settings.store == "sqlite":
        for name in ("casework.sqlite", "casework.sqlite-wal"):
            file = Path(settings.sqlite_path).with_name(name)
            if file.exists():
                assert b"told us the children" not in file.read_bytes(), name


def test_a_redacted_document_answers_410_with_its_note_and_its_bytes_are_deleted(
        client, tokens, case_id, cases, services, tmp_path):
    version = cases.get_case(case_id)["version"]
    attached = client.post(f"/cases/{case_id}/documents", content=form(PDF), headers={
        **bearer(tokens["coordinator"]), "Content-Type": CONTENT_TYPE,
        "If-Match": f'"{version}"'})
    assert attached.status_code == 201, attached.text
    sha256 = hashlib.sha256(PDF).hexdigest()

    refused = client.post(f"/cases/{case_id}/documents/document-9/redaction",
                          json={"reason": REASON}, headers=bearer(tokens["admin"]))
    assert (refused.status_code, refused.json()["rule"]) == (422, "document_must_be_attached")
    answer = client.post(f"/cases/{case_id}/documents/document-1/redaction",
                         json={"reason": "Attached to the wrong case"},
                         headers=bearer(tokens["admin"]))
    assert answer.status_code == 200, answer.text
    gone = client.get(f"/cases/{case_id}/documents/document-1",
                      headers=bearer(tokens["coordinator"]))
    assert gone.status_code == 410
    assert gone.json()["detail"].endswith(": Attached to the wrong case")
    assert gone.json()["detail"].startswith("This document was redacted on ")
    assert not services.documents.exists(case_id, sha256)
    listed = client.get(f"/cases/{case_id}/documents",
                        headers=bearer(tokens["coordinator"])).json()["documents"]
    assert listed[0]["sha256"] == sha256 and listed[0]["redacted"]["reason"] == \
        "Attached to the wrong case"

    bundle = client.get(f"/cases/{case_id}/export", params={"format": "bundle"},
                        headers=bearer(tokens["coordinator"]))
    assert bundle.status_code == 200, bundle.text
    path = tmp_path / "evidence.zip"
    path.write_bytes(bundle.content)
    with zipfile.ZipFile(path) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        assert not [n for n in opened.namelist() if n.startswith("documents/")]
    [entry] = manifest["documents"]
    assert entry["sha256"] == sha256 and entry["redacted"].endswith("Attached to the wrong case")
    checked = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_administrator_finds_every_event_naming_a_person_by_account_or_by_name(
        client, tokens, case_id):
    by_account = client.get("/records-naming", params={"person": "cora"},
                            headers=bearer(tokens["admin"]))
    assert by_account.status_code == 200, by_account.text
    records = by_account.json()["records"]
    assert [r["event_type"] for r in records] == ["ConcernRaised", "IntelligenceAdded"]
    assert all("recorded by them" in r["why"] for r in records)

    by_name = client.get("/records-naming", params={"name": "quartermaine"},
                         headers=bearer(tokens["admin"])).json()["records"]
    assert [(r["version"], r["why"]) for r in by_name] == [(1, ["gives the name"]),
                                                           (2, ["gives the name"])]
    assert by_name[0]["fields"][0] == {"field": "summary", "text": SUMMARY,
                                       "matched": True, "redacted": None}
    assert by_name[0]["reference"] and by_name[0]["authority"] == OPEN_CASE["authority"]

    refused = client.get("/records-naming", params={"name": "quartermaine"},
                         headers=bearer(tokens["coordinator"]))
    assert refused.status_code == 403
    short = client.get("/records-naming", params={"name": "Qu"},
                       headers=bearer(tokens["admin"]))
    assert (short.status_code, short.json()["rule"]) == (422, "name_length")


def test_a_chatham_house_source_is_found_and_redacted_without_the_administrator_reading_it(
        client, tokens, case_id, cases, tmp_path):
    """The source of intelligence shared under Chatham House is known only to the
    confidential group; an administrator is not of it. Finding what names the person
    lists the source as withheld, and it is redacted all the same; an export for a reader
    outside the group, and one for the group, both still verify offline."""
    cases.add_intelligence(case_id, content="The finance team is overstretched",
                           source=f"{SECRET}, the council's deputy treasurer",
                           confidentiality="Chatham House", **CORA)
    found = client.get("/records-naming", params={"name": "quartermaine"},
                       headers=bearer(tokens["admin"]))
    assert found.status_code == 200, found.text
    assert "deputy treasurer" not in found.text
    [source] = [f for r in found.json()["records"] if r["version"] == 3 for f in r["fields"]
                if f["field"] == "source"]
    assert source == {"field": "source", "text": "withheld (Chatham House)", "matched": True,
                      "redacted": None}

    answer = redact(client, tokens["admin"], case_id, version=3, field="source",
                    reason=REASON)
    assert answer.status_code == 200, answer.text
    assert "deputy treasurer" not in answer.text
    for reader in ("inspector", "coordinator"):  # outside the group, and of it
        exported = client.get(f"/cases/{case_id}/export", headers=bearer(tokens[reader]))
        assert exported.status_code == 200 and "deputy treasurer" not in exported.text
        path = tmp_path / f"{reader}.jsonl"
        path.write_text(exported.text)
        checked = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert checked.returncode == 0, checked.stdout + checked.stderr
