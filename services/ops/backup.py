"""Back up, restore, and move casework's data, while the service runs.

    casework backup DIR            a consistent copy of the store
    casework restore DIR           into an empty data directory or database
        [--public-key FILE ...] [--unchecked]
    casework copy-to-postgres URL [--schema NAME]
                                                    every stream from SQLite to PostgreSQL

A backup holds the event streams (cases, registers, policies, users and their
idempotency keys) and the tables beside them, in a folder only the service's
user may read (0700, files 0600: it holds confidential sources in clear). It
leaves out what is rebuilt: Temporal's state (the worker's reconciler starts
every open case's workflow again, and each workflow re-reads its timetable). On
SQLite each database file is copied with SQLite's online backup API, which gives
a consistent snapshot while writers carry on; on PostgreSQL `pg_dump` reads the
whole schema in one snapshot, documents' chunked rows included. Documents kept
in files are copied after the database, as they are kept: sealed under their
case's data key, in a folder per case under `documents/`, each named by its
SHA-256 (a document's file is kept before its event is recorded, so every
document the copy records is there); restore unseals each under its case's key,
checks it against its name and keeps it again, and leaves out those of a case
whose key was destroyed after the backup was taken.
`backup.json`, written last, records the SHA-256
and size of every file and the public keys of the keys that signed the store's
checkpoints (public keys are safe to keep anywhere).

Restore trusts nothing it has not checked, and checks everything before it
touches the target: the target must hold no casework data (a restore never
mixes two histories); every file must match its SHA-256; every database must
open; the keys that signed its checkpoints must be known to this host; and every
case's hash chain, and its head against the latest signed checkpoint, must hold.
The checks run on a staging copy (SQLite: a folder in the data directory whose
files are then renamed into place; PostgreSQL: a scratch SQLite store read from
the dump), and PostgreSQL is then restored in one transaction, so a refused or
failed restore leaves the target as it was. Exit codes: 0 restored; 1 refused
(the target holds data, the wrong store, a tool failed); 2 a command-line
mistake; 3 the backup is damaged (the message names the file or the case);
4 a public key needed to verify the checkpoints is missing.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent

from services.audit.checkpoint_keys import (
    how_to_supply,
    known_public_keys,
    sqlite_key_ids,
    store_key_ids,
)
from services.audit.checkpoints import CheckpointLedger, verify_against_checkpoint
from services.audit.signing import public_pem
from services.caselist.migrations import current_version, migrate
from services.caselist.projection import CaseListView
from services.cases.redaction import reapply
from services.cases.service import CaseService
from services.documents.blobs import (
    BlobError,
    BlobMissing,
    BlobStore,
    KeyDestroyed,
    build_blob_store,
    file_chunks,
)
from services.eventstore.chain import Verification
from services.eventstore.keys import KEY_TABLES, open_key_store, release_key_store
from services.eventstore.store import EventStoreApplication
from services.identity.service import IdentityService
from services.platform.settings import Settings, private_directory, private_sqlite_file
from services.policy.service import PolicyService
from services.records.disposal import reapply_disposals
from services.registers.service import RegisterService

SQLITE_FILES = ("casework.sqlite", "access.sqlite")
PG_DUMP_FILE = "casework.pgdump"
MANIFEST = "backup.json"
KEYS_FOLDER = "checkpoint-keys"
DOCUMENTS_FOLDER = "documents"
"""Documents' files (when they live in files): a folder for each case, its copies sealed
under the case's key, each named by its SHA-256."""
_BLOB_NAME = re.compile("^[0-9a-f]{64}$")
_CASE_FOLDER = re.compile("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FORMAT = 2
"""Format 1 (before checksums) listed the files only; restore takes it with --unchecked."""
CASE_TOPIC = "domain.case:"
STAGING_PREFIX = ".restoring-"

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """No progress wanted (tests, library callers)."""


class BackupError(Exception):
    """Refused: the message says why and what to do; `exit_code` tells scripts which kind."""

    exit_code = 1


class BackupDamaged(BackupError):
    """The backup itself does not hold: a file altered, cut short, unreadable, or a case
    whose history does not verify."""

    exit_code = 3


class KeysMissing(BackupError):
    """The checkpoints cannot be verified on this host without another public key."""

    exit_code = 4


# -- backup --------------------------------------------------------------------------


def backup(settings: Settings, target: Path, progress: Progress = _quiet) -> dict[str, Any]:
    """Write a consistent backup into `target` (a new or empty directory), 0700 and 0600."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; back up into a new directory")
    private_directory(target)
    if settings.store == "sqlite":
        files = [_sqlite_online_copy(settings.data_dir / name, target / name, progress)
                 for name in SQLITE_FILES if (settings.data_dir / name).exists()]
        key_ids = sqlite_key_ids(target / "casework.sqlite")
    else:
        progress(f"dumping the PostgreSQL store with pg_dump into {PG_DUMP_FILE}")
        _private_file(target / PG_DUMP_FILE)  # pg_dump truncates it and keeps the mode
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              *_schema_args(settings), "--file", str(target / PG_DUMP_FILE),
              "--dbname", settings.postgres_url])
        files, key_ids = [PG_DUMP_FILE], store_key_ids(settings)
    files += _copy_documents(settings, target, progress)
    keys = _keep_public_keys(settings, target, key_ids, progress)
    files += [path for path in keys.values() if path]
    progress(f"computing the SHA-256 of {len(files)} files")
    manifest = {"format": FORMAT, "store": settings.store,
                "made_at": datetime.now(UTC).isoformat(),
                "schema_version": current_version(settings), "files": files,
                "sha256": {name: _sha256(target / name) for name in files},
                "bytes": {name: (target / name).stat().st_size for name in files},
                "checkpoint_keys": keys,
                "postgres_schema": settings.postgres_schema or None}
    _write_private(target / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _sqlite_online_copy(source: Path, target: Path, progress: Progress) -> str:
    """SQLite's backup API: a snapshot consistent at one commit, while others write."""
    private_sqlite_file(target)  # 0600 before SQLite writes a byte (and its journal too)
    tenths = _Tenths(f"{target.name}: copied", "pages", progress)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024, progress=lambda _s, left, total: tenths(total - left, total))
    finally:
        dst.close()
        src.close()
    return target.name


def _copy_documents(settings: Settings, target: Path, progress: Progress) -> list[str]:
    """The documents' files, when they live in files (in PostgreSQL, pg_dump took their
    tables): each case's sealed copies as they are (`documents/<case>/<sha256>`, which
    only the case's data key opens, and that key is never in a backup), and any legacy
    copy not yet sealed (`documents/<sha256>`). Copied after the database, so every
    document it records is here: a document's file is kept before its event is
    recorded."""
    folder = settings.documents_dir
    if settings.document_store_kind() != "files" or not folder.is_dir():
        return []
    names = [f"{case.name}/{p.name}" for case in sorted(folder.iterdir())
             if _CASE_FOLDER.match(case.name) and case.is_dir()
             for p in sorted(case.iterdir()) if _BLOB_NAME.match(p.name)]
    names += [p.name for p in sorted(folder.iterdir()) if _BLOB_NAME.match(p.name)]
    tenths, copied = _Tenths("copied", "documents", progress), []
    for done, name in enumerate(names, 1):
        private_directory((target / DOCUMENTS_FOLDER / name).parent)
        try:
            _private_copy(folder / name, target / DOCUMENTS_FOLDER / name)
            copied.append(f"{DOCUMENTS_FOLDER}/{name}")
        except FileNotFoundError:  # removed meanwhile (a redaction, a disposal, the sweep)
            pass
        tenths(done, len(names))
    return copied


def _restore_documents(settings: Settings, source: Path, manifest: dict[str, Any],
                       progress: Progress) -> None:
    """The backup's documents into this host's document store, each unsealed under its
    case's data key and checked against the hash it is named by as it is kept (sealed
    anew). A case whose key this host's key store has destroyed since (disposed of
    after the backup) gets none of its documents back."""
    names = [n for n in manifest["files"] if n.startswith(f"{DOCUMENTS_FOLDER}/")]
    if not names:
        return
    store = build_blob_store(settings)
    tenths = _Tenths("restored", "documents", progress)
    disposed: set[str] = set()
    clear = sum(1 for name in names if len(Path(name).parts) == 2)
    try:
        for done, name in enumerate(names, 1):
            try:
                _restore_document(store, source, name)
            except KeyDestroyed:
                disposed.add(Path(name).parent.name)
            except (BlobError, OSError) as error:
                raise BackupDamaged(f"{name} does not match its name ({error}); "
                                    "restore from another backup") from None
            tenths(done, len(names))
    finally:
        store.close()
    if disposed:
        progress(f"the documents of {len(disposed)} case(s) disposed of after this backup "
                 "was taken were not restored")
    if clear:
        progress(f"{clear} documents were kept in the clear by an earlier release: run "
                 "casework encrypt-store to seal them")


def _restore_document(store: BlobStore, source: Path, name: str) -> None:
    """One document file of a backup into the store: a case's sealed copy, or a copy kept
    before sealing (left for `casework encrypt-store` to seal)."""
    path, parts = source / name, Path(name).parts
    if len(parts) == 3 and _CASE_FOLDER.match(parts[1]) and _BLOB_NAME.match(parts[2]):
        case_id = UUID(parts[1])
        store.put(case_id, store.open_copy(case_id, path), sha256=parts[2])
    elif len(parts) == 2 and _BLOB_NAME.match(parts[1]):
        store.put_legacy(file_chunks(path), sha256=parts[1])
    else:
        raise BlobMissing("not a document's name")


class _Tenths:
    """Reports progress at each tenth of the way, not at every step."""

    def __init__(self, doing: str, unit: str, progress: Progress) -> None:
        self.doing, self.unit, self.progress, self.last = doing, unit, progress, -1

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // total if total else 10
        if tenth != self.last:
            self.last = tenth
            self.progress(f"{self.doing} {done} of {total} {self.unit}")


def _keep_public_keys(settings: Settings, target: Path, key_ids: Iterable[str],
                      progress: Progress) -> dict[str, str | None]:
    """The public key of each key that signed a checkpoint, saved beside the data; None
    for one this host does not have (restore will then ask for it)."""
    known = known_public_keys(settings)
    kept: dict[str, str | None] = {}
    for key_id in key_ids:
        if key_id not in known:
            progress(f"warning: this host has no public key for checkpoint key {key_id}; "
                     "keep the inspectors' copy of it with this backup")
            kept[key_id] = None
            continue
        name = f"{KEYS_FOLDER}/{key_id}.pub.pem"
        private_directory(target / KEYS_FOLDER)
        _write_private(target / name, public_pem(known[key_id]))
        kept[key_id] = name
    return kept


def _schema_args(settings: Settings) -> list[str]:
    """The store's schema, less the key store's tables: a backup never holds a key."""
    schema = settings.postgres_schema
    keys = [f"--exclude-table={schema or 'public'}.{table}" for table in KEY_TABLES]
    return ([f"--schema={schema}"] if schema else []) + keys


def _run(argv: list[str], *, failed: str = "", error: type[BackupError] = BackupError) -> str:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:  # the message, never the command line (it holds the URL)
        raise error(f"{argv[0]} failed{failed}: {done.stderr.strip()}")
    return done.stdout


def _private_file(path: Path) -> Path:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    return path


def _write_private(path: Path, text: str) -> None:
    """Written 0600 whatever the umask, and tightened if it was there before."""
    with os.fdopen(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "w") as file:
        file.write(text)
    os.chmod(path, 0o600)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- restore: what is checked before anything is written ---------------------------------


def restore(settings: Settings, source: Path, *, public_keys: Iterable[Path] = (),
            unchecked: bool = False, progress: Progress = _quiet) -> dict[str, Any]:
    """Restore a backup into an empty data directory (SQLite) or database (PostgreSQL),
    after checking all of it; a refusal or failure leaves the target as it was."""
    manifest = read_manifest(source, unchecked=unchecked)
    if manifest["store"] != settings.store:
        raise BackupError(f"the backup is of a {manifest['store']} store, but "
                          f"CASEWORK_STORE is {settings.store}")
    if settings.store == "postgres" and \
            manifest.get("postgres_schema") != (settings.postgres_schema or None):
        raise BackupError(f"the backup is of schema {manifest.get('postgres_schema')!r}; "
                          "set CASEWORK_POSTGRES_SCHEMA to match")
    refuse_a_target_with_data(settings)
    if not unchecked:
        check_files(source, manifest, progress)
    extra = list(public_keys)
    if settings.store == "sqlite":
        _restore_sqlite(settings, source, manifest, extra, progress)
    else:
        _restore_postgres(settings, source, manifest, extra, progress)
    reapply_redactions(settings, progress)
    return manifest


def reapply_redactions(settings: Settings, progress: Progress = _quiet) -> int:
    """Apply again every redaction the key store records (which a restore never
    overwrites): a backup taken before a redaction holds the text it erased. How many
    were applied again; each case's search entry is rebuilt and scrubbed."""
    keys = open_key_store(settings.key_store_location, settings.master_key_path)
    try:
        recorded = keys.redactions()
    finally:
        release_key_store(keys)
    if not recorded:
        return 0
    progress(f"applying again the {len(recorded)} redactions the key store records")
    cases = CaseService(settings.eventsourcing_env())
    case_list = CaseListView(settings)
    documents = build_blob_store(settings)
    try:
        assert cases.key_store is not None  # a store with redactions is encrypted
        again = reapply(cases, cases.key_store, documents, say=progress,
                        views=[lambda case_id: case_list.refresh_case(case_id, cases)])
    finally:
        documents.close()
        case_list.close()
        cases.close()
    progress(f"{again} redactions made after this backup was taken are applied again; "
             f"{len(recorded) - again} were already in it")
    return again


def read_manifest(source: Path, *, unchecked: bool = False) -> dict[str, Any]:
    """backup.json, refused when missing, unreadable, or (unless told) without checksums."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupDamaged(f"{source} holds no {MANIFEST}: not a casework backup, or one "
                            "that did not finish (the manifest is written last)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupDamaged(f"{MANIFEST} cannot be read ({error}); the backup is damaged") \
            from None
    if not isinstance(manifest, dict) or manifest.get("store") not in ("sqlite", "postgres") \
            or not isinstance(manifest.get("files"), list):
        raise BackupDamaged(f"{MANIFEST} is not a casework backup manifest")
    for name in manifest["files"]:
        if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
            raise BackupDamaged(f"{MANIFEST} names a file outside the backup ({name!r})")
    if not unchecked and not isinstance(manifest.get("sha256"), dict):
        raise BackupDamaged(f"{MANIFEST} records no checksums (a backup made before they were "
                            "added), so its files cannot be checked; restore it with "
                            "--unchecked to rely on the cases' hash chains alone")
    return manifest


def check_files(source: Path, manifest: dict[str, Any], progress: Progress = _quiet) -> None:
    """Every file is there, of its recorded size, with its recorded SHA-256."""
    sizes = manifest.get("bytes") or {}
    for name in manifest["files"]:
        path = source / name
        if not path.is_file():
            raise BackupDamaged(f"{name} is missing from the backup")
        size = path.stat().st_size
        if name in sizes and size != sizes[name]:
            raise BackupDamaged(f"{name} is {size} bytes, but {MANIFEST} says {sizes[name]}: "
                                "cut short or altered; restore from another backup")
        progress(f"checking the SHA-256 of {name} ({size} bytes)")
        if _sha256(path) != manifest["sha256"].get(name):
            raise BackupDamaged(f"{name} does not match its SHA-256 in {MANIFEST}: damaged or "
                                "altered; restore from another backup")


def refuse_a_target_with_data(settings: Settings) -> None:
    """A restore never mixes two histories: the target must hold no casework data."""
    if settings.store == "sqlite":
        present = [n for n in SQLITE_FILES if (settings.data_dir / n).exists()
                   and (settings.data_dir / n).stat().st_size > 0]
        if present:
            raise BackupError(f"{settings.data_dir} already holds {', '.join(present)}; "
                              "restore into an empty data directory")
        return
    schema = settings.postgres_schema or "public"
    try:
        with psycopg.connect(settings.postgres_url, connect_timeout=5) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "ORDER BY table_name", (schema,)) if r[0] not in KEY_TABLES]
    except psycopg.Error as error:
        raise BackupError(f"cannot reach the target PostgreSQL database: {error}") from None
    if tables:
        raise BackupError(f"the target database's schema {schema!r} already holds tables "
                          f"({', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''}); "
                          "restore into an empty database or schema")


def verify_staged(staged: Settings, settings: Settings, manifest: dict[str, Any],
                  source: Path, extra_keys: list[Path], progress: Progress) -> int:
    """Every case of the staged store verifies: its chain, and its head against the latest
    signed checkpoint, with keys this host (or the operator) supplies. How many cases."""
    needed = set(sqlite_key_ids(staged.sqlite_path)) | set(manifest.get("checkpoint_keys") or {})
    keys = known_public_keys(settings, extra_keys)
    missing = needed - set(keys)
    if missing:
        raise KeysMissing(how_to_supply(missing, settings) + _kept_in(source, manifest, missing))
    cases = CaseService(staged.eventsourcing_env())
    ledger = CheckpointLedger(staged, public_keys=keys)
    try:
        disposed = cases.key_store.destroyed_streams() if cases.key_store else set()
        ids = [i for i in _case_ids(cases) if str(i) not in disposed]  # erased after
        tenths = _Tenths("verified", "cases", progress)
        for done, case_id in enumerate(ids, 1):
            result = _verified(cases, ledger, case_id)
            if not result.ok:
                raise BackupDamaged(f"case {case_id} does not verify from version "
                                    f"{result.first_broken_version}: {result.problem}; "
                                    "restore from another backup")
            tenths(done, len(ids))
        return len(ids)
    finally:
        ledger.close()
        cases.close()


def _kept_in(source: Path, manifest: dict[str, Any], missing: set[str]) -> str:
    kept = [manifest["checkpoint_keys"][k] for k in sorted(missing)
            if (manifest.get("checkpoint_keys") or {}).get(k)]
    return f". This backup holds a copy: {', '.join(str(source / k) for k in kept)}" if kept else ""


def _case_ids(cases: CaseService) -> list[UUID]:
    """Every case stream, including one whose first event is gone."""
    seen: dict[UUID, None] = {}
    position = 0
    while batch := cases.recorder.select_notifications(start=position + 1, limit=1000):
        for n in batch:
            if n.topic.startswith(CASE_TOPIC):
                seen.setdefault(UUID(str(n.originator_id)), None)
        position = batch[-1].id
    return list(seen)


def _verified(cases: CaseService, ledger: CheckpointLedger, case_id: UUID) -> Verification:
    try:
        return verify_against_checkpoint(cases, ledger, case_id)
    except Exception as error:  # noqa: BLE001 - any unreadable event is a damaged backup
        return Verification(False, 0, None, f"it cannot be read ({error})")


# -- restore: SQLite, staged in the data directory, then renamed into place --------------


def _restore_sqlite(settings: Settings, source: Path, manifest: dict[str, Any],
                    extra_keys: list[Path], progress: Progress) -> None:
    data = private_directory(settings.data_dir)
    for leftover in data.glob(f"{STAGING_PREFIX}*"):  # from a restore killed half-way
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=data))  # 0700
    names = [n for n in manifest["files"] if n in SQLITE_FILES]
    try:
        for name in names:
            progress(f"copying {name} into {staging.name}")
            _private_copy(source / name, staging / name)
            _readable_sqlite(staging / name)
        staged = settings.model_copy(update={"data_dir": staging, **_live_keys(settings)})
        try:
            migrate(staged)  # a backup from an older release comes up to date
        except sqlite3.DatabaseError as error:
            raise BackupDamaged(f"casework.sqlite cannot be brought up to date ({error})") \
                from None
        count = verify_staged(staged, settings, manifest, source, extra_keys, progress)
        progress(f"all {count} cases verified; moving the files into {data}")
        _settle(staging, names)
        refuse_a_target_with_data(settings)  # nothing arrived meanwhile
        _restore_documents(settings, source, manifest, progress)  # before the events naming them
        for name in names:
            os.replace(staging / name, data / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _reapply_disposals(settings, progress)


def _live_keys(settings: Settings) -> dict[str, Any]:
    """A staging store opens its events with this host's key store and master key: the
    backup holds no keys (services/eventstore/keys.py)."""
    return {"key_store": settings.key_store_location,
            "master_key_file": settings.master_key_path}


def _private_copy(source: Path, target: Path) -> None:
    with source.open("rb") as src, os.fdopen(
            os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600), "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def _readable_sqlite(path: Path) -> None:
    """Opens as SQLite and passes its quick check, or the file is named as damaged."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupDamaged(f"{path.name} is not a readable SQLite database ({error}); "
                            "restore from another backup") from None
    if verdict != "ok":
        raise BackupDamaged(f"{path.name} fails SQLite's check ({verdict}); "
                            "restore from another backup")


def _settle(staging: Path, names: list[str]) -> None:
    """Fold each file's write-ahead log into it, so that one rename moves all of it."""
    for name in names:
        conn = sqlite3.connect(staging / name)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()


# -- restore: PostgreSQL, checked in a scratch store, then one transaction ---------------


def _restore_postgres(settings: Settings, source: Path, manifest: dict[str, Any],
                      extra_keys: list[Path], progress: Progress) -> None:
    dump = source / PG_DUMP_FILE
    listing = _run(["pg_restore", "--list", str(dump)], failed=f" to read {PG_DUMP_FILE}",
                   error=BackupDamaged)
    scratch = Path(tempfile.mkdtemp(prefix="casework-restore-"))  # 0700
    try:
        staged = settings.model_copy(update={"store": "sqlite", "data_dir": scratch,
                                             **_live_keys(settings)})
        _load_cases_from_dump(staged, dump, progress)
        count = verify_staged(staged, settings, manifest, source, extra_keys, progress)
        progress(f"all {count} cases verified; restoring into PostgreSQL in one transaction")
        argv = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                "--single-transaction", "--dbname", settings.postgres_url]
        if settings.postgres_schema and _schema_exists(settings):
            entries = scratch / "entries.list"  # all but the CREATE SCHEMA it would trip on
            skip = re.compile(rf"^\d+; \d+ \d+ SCHEMA - {re.escape(settings.postgres_schema)} ")
            entries.write_text("".join(line for line in listing.splitlines(keepends=True)
                                       if not skip.match(line)))
            argv += ["--use-list", str(entries)]
        _run([*argv, str(dump)], failed="; nothing was restored (one transaction)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    migrate(settings)  # a backup from an older release comes up to date
    _restore_documents(settings, source, manifest, progress)  # kept in files, if they were
    _reapply_disposals(settings, progress)


def _reapply_disposals(settings: Settings, progress: Progress) -> None:
    """The cases disposed of after the backup was taken stay disposed of: their events,
    rows and documents go again, as the key store's disposal records say."""
    erased = reapply_disposals(settings)
    if erased:
        progress(f"{erased} {'case' if erased == 1 else 'cases'} disposed of after this "
                 f"backup was taken {'was' if erased == 1 else 'were'} not restored")


def _schema_exists(settings: Settings) -> bool:
    with psycopg.connect(settings.postgres_url, connect_timeout=5) as conn:
        return conn.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                            (settings.postgres_schema,)).fetchone() is not None


def _load_cases_from_dump(staged: Settings, dump: Path, progress: Progress) -> None:
    """The dump's case events and checkpoints, byte for byte, into a scratch SQLite store."""
    cases = CaseService(staged.eventsourcing_env())
    ledger = CheckpointLedger(staged)
    raw = getattr(cases.recorder, "inner", cases.recorder)  # sealed as dumped: not again
    try:
        batch: list[StoredEvent] = []
        loaded = 0
        for row in _dump_rows(dump, f"{CaseService.name.lower()}_events"):
            batch.append(StoredEvent(
                originator_id=UUID(str(row["originator_id"])),
                originator_version=int(str(row["originator_version"])),
                topic=str(row["topic"]), state=_bytea(row["state"])))
            if len(batch) == 1000:
                raw.insert_events(batch)
                loaded += len(batch)
                batch = []
                progress(f"read {loaded} case events from {PG_DUMP_FILE}")
        if batch:
            raw.insert_events(batch)
        _load_checkpoints(staged, _dump_rows(dump, "checkpoints"))
    except (ValueError, KeyError, TypeError) as error:
        raise BackupDamaged(f"{PG_DUMP_FILE} holds events that cannot be read ({error}); "
                            "restore from another backup") from None
    finally:
        ledger.close()
        cases.close()


def _load_checkpoints(staged: Settings, rows: Iterable[dict[str, str | None]]) -> None:
    """The dump's checkpoints as they are, signature and heads included."""
    conn = sqlite3.connect(staged.sqlite_path)
    try:
        with conn:
            for row in rows:
                names = ", ".join(row)
                conn.execute(f"INSERT INTO checkpoints ({names}) VALUES "
                             f"({', '.join('?' for _ in row)})", tuple(row.values()))
    finally:
        conn.close()


def _dump_rows(dump: Path, table: str) -> Iterator[dict[str, str | None]]:
    """One table's rows from a custom-format dump, as pg_restore writes them for COPY."""
    reader = subprocess.Popen(["pg_restore", "--data-only", f"--table={table}", "--file=-",
                               str(dump)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace")
    assert reader.stdout is not None
    columns: list[str] | None = None
    for line in reader.stdout:
        line = line.rstrip("\n")
        if columns is None:
            found = re.match(r"COPY \S+ \((.*)\) FROM stdin;$", line)
            columns = [c.strip().strip('"') for c in found.group(1).split(",")] if found else None
        elif line == "\\.":
            columns = None
        else:
            yield dict(zip(columns, map(_copy_field, line.split("\t")), strict=True))
    problem = reader.stderr.read() if reader.stderr else ""
    if reader.wait() != 0:
        raise BackupDamaged(f"{PG_DUMP_FILE} cannot be read by pg_restore ({problem.strip()}); "
                            "restore from another backup")


_ESCAPED = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)")
_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _copy_field(text: str) -> str | None:
    """A field of COPY's text format: `\\N` is NULL; backslash escapes as PostgreSQL's."""
    if text == "\\N":
        return None
    return _ESCAPED.sub(_unescape, text)


def _unescape(found: re.Match[str]) -> str:
    code = found.group(1)
    if code[0] == "x" and len(code) > 1:
        return chr(int(code[1:], 16))
    if code[0] in "01234567":
        return chr(int(code, 8))
    return _SIMPLE.get(code, code)


def _bytea(text: str | None) -> bytes:
    if text is None or not text.startswith("\\x"):
        raise ValueError("a state that is not bytea in hex")
    return bytes.fromhex(text[2:])


# -- SQLite to PostgreSQL ---------------------------------------------------------------

def _route(topic: str) -> str:
    """Which PostgreSQL application an event from casework.sqlite belongs to.

    On SQLite the cases, policies and registers share one events table; on
    PostgreSQL each has its own, so the copy sorts them by aggregate module.
    """
    if topic.startswith("domain.case:"):
        return CaseService.name
    if topic.startswith("domain.policy:"):
        return PolicyService.name
    return RegisterService.name


def copy_to_postgres(source: Settings, target: Settings, *, page: int = 1000) -> dict[str, int]:
    """Copy every stored event, byte for byte and in log order, into an empty
    PostgreSQL store; hash chains hold because nothing is re-encoded."""
    if source.store != "sqlite" or target.store != "postgres":
        raise BackupError("copy-to-postgres copies a SQLite store into PostgreSQL")
    targets: dict[str, EventStoreApplication] = {}
    try:
        for app_class in (CaseService, PolicyService, RegisterService, IdentityService):
            targets[app_class.name] = app_class(target.eventsourcing_env())
            if targets[app_class.name].recorder.max_notification_id():
                raise BackupError(f"the PostgreSQL store already holds {app_class.name} "
                                  "events; copy into an empty schema")
        copied = dict.fromkeys(targets, 0)
        access = {**source.eventsourcing_env(),
                  "SQLITE_DBNAME": str(source.data_dir / "access.sqlite")}
        for env, route in ((source.eventsourcing_env(), _route),
                           (access, lambda _topic: IdentityService.name)):
            reader = EventStoreApplication(env)
            try:
                for name, count in _copy_log(reader, targets, route, page).items():
                    copied[name] += count
            finally:
                reader.close()
    finally:
        for app in targets.values():
            app.close()
    migrate(target)
    return copied


def _copy_log(old: EventStoreApplication, targets: dict[str, EventStoreApplication],
              route: Callable[[str], str], page: int) -> dict[str, int]:
    position, counts = 0, dict.fromkeys(targets, 0)
    while batch := old.recorder.select_notifications(start=position + 1, limit=page):
        sorted_out: dict[str, list[StoredEvent]] = {}
        for n in batch:
            sorted_out.setdefault(route(n.topic), []).append(StoredEvent(
                originator_id=n.originator_id, originator_version=n.originator_version,
                topic=n.topic, state=n.state))
        for name, events in sorted_out.items():
            targets[name].recorder.insert_events(events)
            counts[name] += len(events)
        position = batch[-1].id
    return counts


# -- command line -----------------------------------------------------------------------
