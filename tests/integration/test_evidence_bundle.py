"""Exports carry the evidence, over real HTTP on both stores: the JSON Lines export shows
each document's hash to a reader who may see it and withholds a Chatham House one with
its commitments; the bundle holds the reader's history, the documents they may see and
a manifest; a stored file changed at rest refuses the bundle, naming the document; and
`casework verify` accepts the bundle as made."""

import hashlib
import io
import json
import subprocess
import sys
import zipfile

import psycopg

from services.audit.exports import verify_export
from services.bootstrap import Services
from services.documents.blobs import FileBlobStore
from tests.helpers import OPEN_CASE
from tests.integration.conftest import bearer

CORA = dict(actor_id="cora", actor_role="coordinator")
LETTER = b"%PDF-1.7 Ofsted's letter: children's services judged inadequate\n"
NOTE = b"The chief executive's note, shared under Chatham House\n"


def attach(services: Services, cases, case_id, content: bytes, *, title: str,
           filename: str = "letter.txt", confidentiality: str = "normal") -> None:
    blob = services.documents.put(case_id, [content])  # kept before the event, as uploads do
    cases.attach_document(
        case_id, title=title, kind="letter", step="the case as a whole", step_ref="",
        confidentiality=confidentiality, stored=dict(
            sha256=blob.sha256, size=blob.size, media_type="text/plain", filename=filename),
        **CORA)


def a_case_with_evidence(services: Services, cases):
    """A case in cora's region with a letter and a Chatham House note attached."""
    case_id = cases.open_case(**dict(OPEN_CASE, region="East Midlands"), **CORA)
    attach(services, cases, case_id, LETTER, title="Ofsted inspection letter",
           filename="Ofsted: letter?.txt")
    attach(services, cases, case_id, NOTE, title="Chief executive's note",
           confidentiality="Chatham House")
    return case_id


def export(api, tokens, who: str, case_id, format: str):
    answer = api.get(f"/cases/{case_id}/export", params={"format": format},
                     headers=bearer(tokens[who]))
    assert answer.status_code == 200, answer.text
    return answer


def test_the_export_shows_each_documents_hash_to_whom_may_see_it(api, tokens, services, cases):
    case_id = a_case_with_evidence(services, cases)
    coordinator = export(api, tokens, "cora", case_id, "jsonl").text.splitlines()
    shown = [json.loads(line)["data"] for line in coordinator[1:3]]
    assert [(d["sha256"], d["size"], d["media_type"]) for d in shown] == [
        (sha(c), len(c), "text/plain") for c in (LETTER, NOTE)]

    inspector = export(api, tokens, "ines", case_id, "jsonl").text.splitlines()
    assert verify_export(inspector).ok
    note = json.loads(inspector[2])
    assert set(note["withheld"]) == {"title", "filename", "sha256", "size", "media_type"}
    assert all(w["commitment"] for w in note["withheld"].values())
    assert "Chief executive" not in "".join(inspector)
    assert sha(NOTE) not in "".join(inspector)


def test_an_inspectors_bundle_holds_their_history_what_they_may_see_and_a_manifest(
        api, tokens, services, cases, tmp_path):
    case_id = a_case_with_evidence(services, cases)
    answer = export(api, tokens, "ines", case_id, "bundle")
    assert answer.headers["content-type"] == "application/zip"
    assert "attachment" in answer.headers["content-disposition"]
    bundle = zipfile.ZipFile(io.BytesIO(answer.content))

    history = export(api, tokens, "ines", case_id, "jsonl").text
    assert bundle.read("history.jsonl").decode() == history
    [letter] = [n for n in bundle.namelist() if n.startswith("documents/")]
    assert letter == "documents/document-1-Ofsted_ letter_.txt"  # the name made safe
    assert bundle.read(letter) == LETTER
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["case_id"] == str(case_id)
    assert manifest["made_for"]["role"] == "inspector"
    assert manifest["documents"] == [
        {"document_id": "document-1", "version": 2, "path": letter,
         "sha256": sha(LETTER), "size": len(LETTER),
         "media_type": "text/plain"},
        {"document_id": "document-2", "version": 3, "withheld": "withheld (Chatham House)"}]
    assert b"Chief executive" not in answer.content and NOTE not in answer.content

    path = tmp_path / "bundle.zip"
    path.write_bytes(answer.content)
    checked = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert (report["documents_checked"], report["documents_withheld"]) == (1, 1)


def test_a_coordinator_s_bundle_holds_the_chatham_house_document_too(api, tokens, services, cases):
    case_id = a_case_with_evidence(services, cases)
    bundle = zipfile.ZipFile(io.BytesIO(export(api, tokens, "cora", case_id, "bundle").content))
    documents = sorted(n for n in bundle.namelist() if n.startswith("documents/"))
    assert [bundle.read(n) for n in documents] == [LETTER, NOTE]


def test_a_stored_file_changed_at_rest_refuses_the_bundle_naming_the_document(
        api, tokens, services, cases, settings):
    case_id = a_case_with_evidence(services, cases)
    change_at_rest(services, settings, case_id, sha(LETTER))
    answer = api.get(f"/cases/{case_id}/export", params={"format": "bundle"},
                     headers=bearer(tokens["ines"]))
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["rule"] == "document_tampered" and problem["document_id"] == "document-1"
    assert '"Ofsted inspection letter"' in problem["detail"]
    assert answer.headers["content-type"] == "application/problem+json"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def change_at_rest(services: Services, settings, case_id, sha256: str) -> None:
    """One byte of a stored file changed where it is kept, as someone with the disk or
    the database could: its sealed chunk no longer opens."""
    if isinstance(services.documents, FileBlobStore):
        path = services.documents.folder / str(case_id) / sha256
        data = bytearray(path.read_bytes())
        data[-1] ^= 1
        path.write_bytes(bytes(data))
        return
    options = f"-c search_path={settings.postgres_schema}" if settings.postgres_schema else None
    with psycopg.connect(settings.postgres_url, options=options) as conn:
        conn.execute("UPDATE case_document_chunks SET data = "  # one bit flipped, never a no-op
                     "set_byte(data, 0, get_byte(data, 0) # 1) "
                     "WHERE case_id = %s AND blob = %s AND seq = 0", (str(case_id), sha256))
