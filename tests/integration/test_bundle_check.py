"""`casework verify` on an evidence bundle, offline: it accepts the bundle as made and
names the first file changed, removed or added, never trusting the manifest and never
writing an entry of the zip anywhere."""

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from domain.confidentiality import redact_event
from services.audit.bundle import MANIFEST, NotKept, write_bundle
from services.audit.bundle_check import verify_bundle
from services.documents.blobs import BlobMissing, FileBlobStore
from services.eventstore.keys import open_key_store
from tests.helpers import OPEN_CASE

CORA = dict(actor_id="cora", actor_role="coordinator")
FILES = {"minutes.txt": b"Minutes of the joint local meeting\n",
         "plan.txt": b"The council's own improvement plan\n",
         "note.txt": b"A note shared under Chatham House\n"}


@pytest.fixture
def bundle(cases, tmp_path) -> Path:
    return made_bundle(cases, tmp_path)


def blob_store(cases, tmp_path: Path) -> FileBlobStore:
    """Documents kept as the service keeps them, sealed under each case's key."""
    return FileBlobStore(tmp_path / "blobs", open_key_store(cases.key_store.location,
                                                            cases.key_store.master_file))


def made_bundle(cases, tmp_path: Path) -> Path:
    """An inspector's bundle of a case with two documents shown and one withheld."""
    blobs = blob_store(cases, tmp_path)
    case_id = cases.open_case(**OPEN_CASE, **CORA)
    for name, content in FILES.items():
        blob = blobs.put(case_id, [content])
        cases.attach_document(
            case_id, title=name, kind="minutes", step="the case as a whole", step_ref="",
            confidentiality="Chatham House" if name == "note.txt" else "normal",
            stored=dict(sha256=blob.sha256, size=blob.size, media_type="text/plain",
                        filename=name), **CORA)
    path = tmp_path / "bundle.zip"
    with path.open("wb") as file:
        write_bundle(file, cases.export_history(case_id, redact=redact_event),
                     _reader(blobs, case_id), {"case_id": str(case_id)})
    blobs.close()
    return path


def _reader(blobs: FileBlobStore, case_id):
    def read(sha256: str):
        try:
            yield from blobs.open(case_id, sha256)
        except BlobMissing:
            raise NotKept(sha256) from None
    return read


def verify(path: Path, cwd: Path | None = None) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={"PYTHONPATH": str(Path.cwd())})
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}


def rewritten(path: Path, target: Path, change) -> Path:
    """The bundle copied entry by entry, each passed through `change(name, data)`, which
    gives (name, data) to keep or None to drop; extra entries may be appended after."""
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            kept = change(info.filename, old.read(info))
            if kept is not None:
                new.writestr(kept[0], kept[1])
    return target


def test_the_bundle_as_made_verifies_and_the_withheld_document_is_not_needed(bundle):
    names = zipfile.ZipFile(bundle).namelist()
    assert names == ["history.jsonl", "documents/document-1-minutes.txt",
                     "documents/document-2-plan.txt", "manifest.json"]
    code, report = verify(bundle)
    assert code == 0, report
    assert (report["documents_checked"], report["documents_withheld"]) == (2, 1)
    assert report["history"]["ok"] and report["history"]["events_checked"] == 4


def test_a_changed_byte_in_one_file_is_caught_and_named(bundle, tmp_path):
    def flip(name, data):
        return name, (b"X" + data[1:] if name.endswith("plan.txt") else data)
    code, report = verify(rewritten(bundle, tmp_path / "changed.zip", flip))
    assert code == 1 and not report["ok"]
    assert report["file"] == "documents/document-2-plan.txt"
    assert "do not match the SHA-256" in report["problem"]


def test_the_first_file_that_does_not_match_is_the_one_named(bundle, tmp_path):
    def flip_both(name, data):
        return name, (data + b"!" if name.startswith("documents/") else data)
    code, report = verify(rewritten(bundle, tmp_path / "both.zip", flip_both))
    assert code == 1 and report["file"] == "documents/document-1-minutes.txt"


def test_a_file_removed_from_the_bundle_is_caught(bundle, tmp_path):
    def drop(name, data):
        return None if name.endswith("minutes.txt") else (name, data)
    code, report = verify(rewritten(bundle, tmp_path / "cut.zip", drop))
    assert code == 1 and "document-1" in report["problem"] and "missing" in report["problem"]


def test_the_manifest_is_not_trusted_a_rehashed_one_changes_nothing(bundle, tmp_path):
    """A file replaced and the manifest rewritten to its new hash: the history's hash wins."""
    forged = b"Minutes that say something else\n"

    def replace(name, data):
        if name.endswith("minutes.txt"):
            return name, forged
        if name == MANIFEST:
            manifest = json.loads(data)
            manifest["documents"][0].update(sha256=hashlib.sha256(forged).hexdigest(),
                                            size=len(forged))
            return name, json.dumps(manifest).encode()
        return name, data
    code, report = verify(rewritten(bundle, tmp_path / "forged.zip", replace))
    assert code == 1 and report["file"] == "documents/document-1-minutes.txt"


def test_a_file_added_to_the_documents_folder_is_caught(bundle, tmp_path):
    target = rewritten(bundle, tmp_path / "added.zip", lambda name, data: (name, data))
    with zipfile.ZipFile(target, "a") as zipped:
        zipped.writestr("documents/document-9-planted.txt", b"planted")
    code, report = verify(target)
    assert code == 1 and report["file"] == "documents/document-9-planted.txt"


def test_an_entry_named_to_escape_the_folder_is_never_written_anywhere(bundle, tmp_path):
    target = rewritten(bundle, tmp_path / "escape.zip", lambda name, data: (name, data))
    with zipfile.ZipFile(target, "a") as zipped:
        zipped.writestr("../escaped", b"written outside")
        zipped.writestr("documents/../../escaped-too", b"written outside")
    work = tmp_path / "work"
    work.mkdir()
    code, report = verify(target, cwd=work)
    assert code == 1 and report["file"] == "../escaped"
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "escaped-too").exists()
    assert list(work.iterdir()) == []
    with zipfile.ZipFile(target) as zipped:  # the function alike, on the open zip
        assert not verify_bundle(zipped).ok


def test_a_changed_history_line_is_named_as_the_history(bundle, tmp_path):
    def edit(name, data):
        return name, data.replace(b'"minutes.txt"', b'"minutez.txt"', 1) \
            if name == "history.jsonl" else data
    code, report = verify(rewritten(bundle, tmp_path / "history.zip", edit))
    assert code == 1 and report["file"] == "history.jsonl"
    assert report["history"]["first_broken_version"] == 2


def test_a_file_that_is_not_a_zip_nor_a_history_is_unreadable(tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip \xff\xfe")
    assert verify(broken)[0] == 2


def test_verify_help_explains_the_bundle():
    done = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert "evidence bundle" in done.stdout and "names the first" in done.stdout


def test_a_large_bundle_reports_progress_on_stderr_and_its_report_on_stdout(cases, tmp_path):
    blobs = blob_store(cases, tmp_path)
    case_id = cases.open_case(**OPEN_CASE, **CORA)
    large = bytes(range(256)) * (11 * 4096)  # 11.5 MB
    blob = blobs.put(case_id, [large])
    cases.attach_document(case_id, title="The diagnostic report", kind="other",
                          step="the case as a whole", step_ref="", confidentiality="normal",
                          stored=dict(sha256=blob.sha256, size=blob.size,
                                      media_type="text/plain", filename="report.txt"), **CORA)
    path = tmp_path / "large.zip"
    with path.open("wb") as file:
        write_bundle(file, cases.export_history(case_id), _reader(blobs, case_id), {})
    done = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)],
                          capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(Path.cwd())})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checking documents/document-1-report.txt (1 of 1" in done.stderr
    assert json.loads(done.stdout)["documents_checked"] == 1
