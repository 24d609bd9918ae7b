"""Checking an evidence bundle offline: its history, then every document against it.

The history (`history.jsonl`) is checked exactly as an exported history is
(services/audit/exports.py: its chain, its closing line and, with a public key,
its checkpoint). Then each document the history shows is found in the zip (the
manifest only says where), read as a stream and hashed, and compared with the
SHA-256 and size recorded in the history's own DocumentAttached event: the chain
covers those, not the manifest. A document the history shows but the zip lacks,
a file in `documents/` that the history does not account for, or an entry named
outside the bundle's folders (`../x`) fails the check, naming the first such file;
so does a zip not laid out as casework writes one (services/audit/zip_layout.py:
a name twice, bytes hidden from its directory, an encrypted or bomb-sized entry),
and an entry that cannot be decompressed is named, never a traceback.
Nothing is extracted: every entry is read from the zip in memory, chunk by chunk.
"""

import argparse
import hashlib
import io
import json
import sys
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from services.audit import exports
from services.audit.bundle import DOCUMENTS, HISTORY, MANIFEST, BundledDocument, documents_in
from services.audit.zip_layout import layout_problem

CHUNK = 1024 * 1024
UNREADABLE = (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError,
              RuntimeError, UnicodeDecodeError)
"""What reading a forged entry can raise (a bad deflate stream, an unknown method, a
password asked for): each becomes a named failure."""
PROGRESS_FROM = 10 * 1024 * 1024
"""Bundles whose documents hold at least this many bytes report progress on stderr."""

Progress = Callable[[str], None]


@dataclass
class BundleVerification:
    """What the check found: the history's verification, how many documents matched and
    how many were withheld; else the first file that did not match, and why."""

    ok: bool
    history: dict[str, Any]
    documents_checked: int = 0
    documents_withheld: int = 0
    file: str | None = None
    problem: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found.pop("extra")
        return found


class _Mismatch(Exception):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(problem)
        self.name, self.problem = name, problem


def _quiet(_message: str) -> None:
    """No progress wanted."""


def verify_bundle(bundle: zipfile.ZipFile, *, checkpoint: Mapping[str, Any] | None = None,
                  public_keys: Mapping[str, Any] | None = None,
                  progress: Progress = _quiet) -> BundleVerification:
    """Check a bundle with nothing but the zip (and the keys and checkpoint you keep)."""
    names = bundle.namelist()
    laid_out = layout_problem(bundle)
    if laid_out is not None:
        return _failed({}, *laid_out)
    unsafe = next((n for n in names if _outside(n)), None)
    if unsafe is not None:
        return _failed({}, unsafe, "no casework bundle holds an entry by this name: "
                                   "it was added (forged)")
    if HISTORY not in names:
        return _failed({}, HISTORY, "the bundle holds no history")
    try:
        lines = io.TextIOWrapper(bundle.open(HISTORY), encoding="utf-8").read().splitlines()
    except UNREADABLE as error:
        return _failed({}, HISTORY, f"the history cannot be read ({error})")
    history = exports.verify_export(lines, checkpoint=checkpoint, public_keys=public_keys)
    if not history.ok:
        return _failed(history.as_dict(), HISTORY, history.problem or "the history is broken")
    documents = documents_in(exports.read_records(lines))
    try:
        checked = _check_documents(bundle, documents, _where(bundle, names), progress)
    except _Mismatch as mismatch:
        return _failed(history.as_dict(), mismatch.name, mismatch.problem)
    return BundleVerification(True, history.as_dict(), checked,
                              sum(d.withheld for d in documents))


def _outside(name: str) -> bool:
    parts = name.split("/")
    return (name.startswith("/") or "\\" in name or ".." in parts or "" in parts[:-1]
            or (len(parts) > 1 and parts[0] + "/" != DOCUMENTS))


def _failed(history: dict[str, Any], name: str, problem: str) -> BundleVerification:
    return BundleVerification(False, history, file=name, problem=problem)


def _where(bundle: zipfile.ZipFile, names: list[str]) -> dict[str, str]:
    """Each document's entry, by the manifest when it names one in the zip, else by the
    document id the entry's name starts with."""
    found: dict[str, str] = {}
    for name in names:
        if name.startswith(DOCUMENTS) and name != DOCUMENTS:
            document_id = "-".join(name[len(DOCUMENTS):].split("-", 2)[:2])
            found.setdefault(document_id, name)
    try:
        manifest = json.loads(bundle.read(MANIFEST)) if MANIFEST in names else {}
        for entry in manifest.get("documents") or []:
            if entry.get("path") in names and str(entry["path"]).startswith(DOCUMENTS):
                found[str(entry["document_id"])] = entry["path"]
    except (ValueError, AttributeError, TypeError, KeyError, *UNREADABLE):
        pass  # an unreadable index: the files are still found by their names
    return found


def _check_documents(bundle: zipfile.ZipFile, documents: list[BundledDocument],
                     where: dict[str, str], progress: Progress) -> int:
    shown = [d for d in documents if d.packed]
    accounted = {where[d.document_id] for d in shown if d.document_id in where}
    stray = next((n for n in bundle.namelist() if n.startswith(DOCUMENTS)
                  and n != DOCUMENTS and n not in accounted), None)
    total = sum(d.size or 0 for d in shown)
    report = progress if total >= PROGRESS_FROM else _quiet
    for number, document in enumerate(shown, start=1):
        name = where.get(document.document_id)
        if name is None:
            raise _Mismatch(document.path or document.document_id,
                            f"{document.document_id}, which the history shows at version "
                            f"{document.version}, is missing from the bundle")
        report(f"checking {name} ({number} of {len(shown)}, {document.size} bytes)")
        _check_one(bundle, name, document)
    if stray is not None:
        raise _Mismatch(stray, "the history shows no document this file could be (added)")
    return len(shown)


def _check_one(bundle: zipfile.ZipFile, name: str, document: BundledDocument) -> None:
    """Hash the entry as it is read, reading at most one byte beyond the recorded size."""
    digest, size, limit = hashlib.sha256(), 0, (document.size or 0) + 1
    try:
        with bundle.open(name) as entry:
            while size < limit and (chunk := entry.read(min(CHUNK, limit - size))):
                digest.update(chunk)
                size += len(chunk)
    except UNREADABLE as error:
        raise _Mismatch(name, f"it cannot be read ({error})") from None
    if size != document.size or digest.hexdigest() != document.sha256:
        raise _Mismatch(name, f"its bytes do not match the SHA-256 the history recorded for "
                              f"{document.document_id} at version {document.version} "
                              "(altered or replaced)")


# -- the command line ----------------------------------------------------------------

EPILOG = """\
An evidence bundle (the zip from GET /cases/{id}/export?format=bundle) is
recognised by its content. Its history.jsonl is checked as above; then every
file in documents/ is hashed and compared with the SHA-256 and size recorded in
the history's own DocumentAttached events (the chain covers those; the bundle's
manifest.json is used only to find the files), and every document the history
shows is required to be there. A document withheld from the bundle's reader
(Chatham House) is neither in the zip nor needed. The report names the first
file that does not match. Nothing is extracted; progress goes to stderr for
large bundles.
"""


def run_verify(args: argparse.Namespace) -> int:
    """`casework verify`: a bundle when the file is a zip, else an exported history."""
    try:
        is_zip = zipfile.is_zipfile(args.file)
    except OSError:
        is_zip = False  # named as unreadable by the history's reader
    if not is_zip:
        return exports.run_verify(args)
    try:
        checkpoint, keys = exports.checkpoint_inputs(args)
        with zipfile.ZipFile(args.file) as bundle:
            result = verify_bundle(bundle, checkpoint=checkpoint, public_keys=keys,
                                   progress=lambda m: print(m, file=sys.stderr, flush=True))
    except (exports.Unreadable, zipfile.BadZipFile, OSError, ValueError) as error:
        print(f"verify: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict(), indent=2))
    return 0 if result.ok else 1
