"""Files no case records are swept at start-up; a file a case records never is."""

import contextlib
import hashlib
import os
import subprocess
import sys
import time

import psycopg

from services.bootstrap import Services
from services.cases.document_sweep import forget_if_unrecorded, hold, release, sweep
from services.documents.blobs import FileBlobStore
from services.registers.service import AlreadyRegistered
from tests.helpers import OPEN_CASE

CORA = dict(actor_id="cora", actor_role="coordinator")
RECORDED, ORPHAN, FRESH = b"%PDF-1 recorded", b"%PDF-1 orphan", b"%PDF-1 just kept"


def a_case(services: Services):
    with contextlib.suppress(AlreadyRegistered):
        services.registers.register_authority(name=OPEN_CASE["authority"], actor_id="test",
                                              authority_type="county",
                                              region=OPEN_CASE["region"])
    return services.cases.open_case(**OPEN_CASE, **CORA)


def keep(services: Services, case_id, data: bytes, *, hours_ago: float = 0) -> str:
    store = services.documents
    sha256 = store.put(case_id, [data]).sha256
    if hours_ago:
        then = time.time() - hours_ago * 3600
        if isinstance(store, FileBlobStore):
            os.utime(store.folder / str(case_id) / sha256, (then, then))
        else:
            with psycopg.connect(store.url, options=store.options, autocommit=True) as conn:
                conn.execute("UPDATE case_document_blobs SET stored_at = to_timestamp(%s) "
                             "WHERE case_id = %s AND sha256 = %s", (then, str(case_id), sha256))
    return sha256


def record(services: Services, case_id, sha256: str, size: int) -> None:
    services.cases.attach_document(
        case_id, title="Letter", kind="letter", step="the case as a whole", step_ref="",
        confidentiality="normal", stored=dict(sha256=sha256, size=size,
                                              media_type="application/pdf",
                                              filename="letter.pdf"), **CORA)


def test_an_old_file_no_case_records_is_removed_and_every_other_kept(services):
    case_id = a_case(services)
    recorded = keep(services, case_id, RECORDED, hours_ago=2)
    record(services, case_id, recorded, len(RECORDED))
    orphan = keep(services, case_id, ORPHAN, hours_ago=2)
    fresh = keep(services, case_id, FRESH)  # an upload in flight may record it any moment

    swept = sweep(services.documents, services.cases)

    assert swept.orphans == 1
    assert sorted(services.documents.held()) == sorted([(case_id, recorded), (case_id, fresh)])
    assert (case_id, orphan) not in set(services.documents.held())


def test_a_case_keeps_its_copy_only_of_what_it_records(services):
    """The same bytes kept for two cases are two copies: the sweep takes the copy of the
    case that never recorded them, not the other case's."""
    first, second = a_case(services), a_case(services)
    sha256 = keep(services, first, RECORDED, hours_ago=2)
    keep(services, second, RECORDED, hours_ago=2)
    record(services, first, sha256, len(RECORDED))

    assert sweep(services.documents, services.cases).orphans == 1
    assert list(services.documents.held()) == [(first, sha256)]


HOLD = """import fcntl, sys, time
held = open(sys.argv[1], "rb")
fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as a living upload holds its file
print("held", flush=True)
time.sleep(60)
"""


def test_an_upload_a_killed_process_left_is_removed_and_one_being_received_is_not(services):
    incoming = services.documents.incoming
    abandoned, receiving = incoming / ".upload-dead", incoming / ".upload-alive"
    abandoned.write_bytes(b"half a file")
    receiving.write_bytes(b"half a file")
    long_ago = time.time() - 10
    for path in (abandoned, receiving):
        os.utime(path, (long_ago, long_ago))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(receiving)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert sweep(services.documents, services.cases).partials == 1
    finally:
        holder.kill()
        holder.wait()
    assert [p.name for p in incoming.iterdir()] == [".upload-alive"]


def test_a_refused_commands_file_is_forgotten_unless_its_case_records_it(services):
    store = services.documents
    case_id, other = a_case(services), a_case(services)
    recorded = keep(services, case_id, RECORDED)
    record(services, case_id, recorded, len(RECORDED))
    refused = keep(services, case_id, ORPHAN)
    keep(services, other, RECORDED)  # the same bytes refused on another case

    assert forget_if_unrecorded(store, services.cases, case_id, recorded) is False
    assert forget_if_unrecorded(store, services.cases, case_id, refused) is True
    assert forget_if_unrecorded(store, services.cases, other, recorded) is True
    assert list(store.held()) == [(case_id, recorded)]
    assert hashlib.sha256(b"".join(store.open(case_id, recorded))).hexdigest() == recorded


def test_a_refusal_leaves_the_file_of_another_upload_of_the_same_bytes_on_its_way(services):
    """A double click with a stale form: two uploads keep the same bytes, the second is
    refused while the first is still being recorded; the first's file must stay."""
    store = services.documents
    case_id = a_case(services)
    sha256 = keep(services, case_id, ORPHAN)
    hold(case_id, sha256)  # the first upload, kept and not yet recorded
    hold(case_id, sha256)  # the second, refused
    try:
        assert forget_if_unrecorded(store, services.cases, case_id, sha256) is False
        assert sweep(store, services.cases, older_than=0).orphans == 0
    finally:
        release(case_id, sha256)
    record(services, case_id, sha256, len(ORPHAN))  # the first is recorded, its bytes are there
    release(case_id, sha256)
    assert hashlib.sha256(b"".join(store.open(case_id, sha256))).hexdigest() == sha256


def test_bytes_kept_again_are_spared_by_the_sweep_for_another_hour(services):
    """An hour-old file no case names, uploaded again: kept anew, so the sweep that runs
    before the new upload is recorded does not take it."""
    case_id = a_case(services)
    sha256 = keep(services, case_id, ORPHAN, hours_ago=2)
    keep(services, case_id, ORPHAN)
    assert sweep(services.documents, services.cases).orphans == 0
    assert services.documents.exists(case_id, sha256)


def test_a_case_disposed_of_does_not_stop_the_sweep_and_its_copies_go(services):
    """Its key destroyed, neither its events nor its copies can be read again: the sweep
    passes over its events and takes the copies the disposal may have left."""
    disposed, kept = a_case(services), a_case(services)
    for case_id in (disposed, kept):
        sha256 = keep(services, case_id, RECORDED, hours_ago=2)
        record(services, case_id, sha256, len(RECORDED))
    services.cases.key_store.destroy(disposed)
    assert sweep(services.documents, services.cases).orphans == 1
    assert list(services.documents.held()) == [(kept, sha256)]
