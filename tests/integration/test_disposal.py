"""Disposing of a closed case when the retention schedule allows: what it refuses, what it
removes, and the record an inspector can still check, on both stores."""

import contextlib
import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deploy.cli import main as casework
from domain.errors import DomainError
from domain.identity import Principal, Role
from services.audit.checkpoints import CheckpointLedger
from services.audit.signing import SigningKey
from services.bootstrap import Services, build_services
from services.cases.service import CaseDisposed, CaseNotFound, CaseService
from services.ops.backup import backup, restore
from services.records.disposal import Disposals
from services.records.verify import check_record
from services.registers.service import AlreadyRegistered
from tests.document_files import PDF
from tests.helpers import EXIT_STRATEGY, OPEN_CASE

ACTOR = dict(actor_id="cora", actor_role="coordinator")
ADMIN = Principal("ada", Role.ADMIN, name="Ada Admin")
COORDINATOR = Principal("cora", Role.COORDINATOR, region="North West")
SECRET = "Zanzibarquartz governance collapse"  # a summary no other text holds


@pytest.fixture
def key(tmp_path: Path) -> SigningKey:
    return SigningKey.create(tmp_path / "keys" / "checkpoint.pem")


@pytest.fixture
def disposals(services: Services, key: SigningKey):
    ledger = CheckpointLedger(services.settings, key=key)
    yield Disposals(services.cases, services.case_list, services.retention, services.documents,
                    ledger, services.settings.retention_schedule())
    ledger.close()


def services_sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def closed_case(services: Services, summary: str = SECRET, *, documents: tuple = ()):
    cases = services.cases
    with contextlib.suppress(AlreadyRegistered):
        services.registers.register_authority(name=OPEN_CASE["authority"], actor_id="test",
                                              authority_type="county",
                                              region=OPEN_CASE["region"])
    case_id = cases.open_case(**{**OPEN_CASE, "summary": summary}, **ACTOR)
    for document in documents:
        blob = services.documents.put(case_id, [document])
        cases.attach_document(case_id, title="Inspection letter", kind="inspection report",
                              step="the case as a whole", step_ref="", confidentiality="normal",
                              stored={"sha256": blob.sha256, "size": blob.size,
                                      "media_type": "application/pdf",
                                      "filename": "letter.pdf"}, **ACTOR)
    cases.close_case(case_id, outcome="improved and handed back",
                     exit_strategy=EXIT_STRATEGY, **ACTOR)
    services.case_list.catch_up(cases)
    return case_id


SIX_YEARS_ON = datetime.now(UTC) + timedelta(days=366 * 6 + 2)


def test_disposal_is_refused_before_the_schedule_by_a_non_admin_and_of_an_open_case(
        services: Services, disposals: Disposals):
    case_id = closed_case(services)
    open_id = services.cases.open_case(**OPEN_CASE, **ACTOR)  # registered by closed_case
    refusals = [
        (dict(case_id=case_id, who=ADMIN, reason="Time is up"), "retention_not_over",
         "closed_at"),
        (dict(case_id=case_id, who=COORDINATOR, reason="Time is up", now=SIX_YEARS_ON),
         "only_an_administrator_disposes", "role"),
        (dict(case_id=open_id, who=ADMIN, reason="Time is up", now=SIX_YEARS_ON),
         "case_still_open", "status"),
        (dict(case_id=case_id, who=ADMIN, reason="  ", now=SIX_YEARS_ON), "reason_needed",
         "reason"),
    ]
    for asked, rule, field in refusals:
        with pytest.raises(DomainError) as refused:
            disposals.dispose(asked.pop("case_id"), **asked)
        assert (refused.value.rule, refused.value.field) == (rule, field)
    assert "6 years after closure" in str(disposals_refusal(disposals, case_id))
    # nothing changed: the case reads, verifies and is listed as before
    assert services.cases.get_case(case_id)["summary"] == SECRET
    assert services.cases.verify(case_id).ok
    assert services.cases.key_store.disposal(case_id) is None
    assert services.case_list.list_cases(status="closed")[0][0]["case_id"] == str(case_id)


def disposals_refusal(disposals: Disposals, case_id) -> str:
    try:
        disposals.dispose(case_id, who=ADMIN, reason="Time is up")
    except DomainError as refused:
        return refused.message
    raise AssertionError("not refused")


def test_a_disposed_case_is_gone_and_its_record_verifies_against_the_checkpoints(
        services: Services, disposals: Disposals, key: SigningKey, tmp_path: Path, capsys):
    other = closed_case(services, "Another council's housing backlog", documents=(PDF,))
    case_id = closed_case(services, documents=(PDF, PDF + b"% only this case's letter\n"))
    shared, letter = (d["sha256"] for d in services.cases.get_case(case_id)["documents"])

    record = disposals.dispose(case_id, who=ADMIN, reason="Kept six years; no inquiry open",
                               now=SIX_YEARS_ON)

    assert record["reference"] and record["authority"] == OPEN_CASE["authority"]
    assert record["confirmed_by"] == "ada" and record["rule"].startswith("kept 6 years")
    assert record["head"]["version"] == 4 and record["head"]["verified"]
    # the case answers as disposed of, and nothing of it is listed, searched or kept
    with pytest.raises(CaseDisposed) as gone:
        services.cases.readable_case(case_id)
    assert "disposed of on" in gone.value.message and "6 years" in gone.value.message
    with pytest.raises(CaseNotFound):
        services.cases.get_case(case_id)
    assert services.cases.key_store.is_destroyed(case_id)
    assert services.cases.stored_events(case_id) == []
    listed = [r["case_id"] for r in services.case_list.list_cases()[0]]
    assert listed == [str(other)]
    # its own copies go; the other case keeps its own copy of the file they shared
    assert not services.documents.exists(case_id, letter)
    assert not services.documents.exists(case_id, shared)
    assert services.documents.exists(other, shared)
    assert disposals.due(SIX_YEARS_ON + timedelta(days=1))[0]["case_id"] == str(other)
    # other cases verify; the record verifies against its checkpoint, and a later one
    assert services.cases.verify(other).ok
    keys = {key.key_id: key.public_key}
    assert check_record(record, keys) == []
    ledger = disposals.checkpoints
    later = ledger.write(services.cases)
    assert check_record(record, keys, {"checkpoint": later.body(),
                                       "inclusion_proof": ledger.proof(later.id, case_id)}) == []
    forged = {**record, "head": {**record["head"], "version": 2}}
    assert check_record(forged, keys) != []
    # what the record says of the case is signed too: none of it can be changed unseen
    for name, value in (("authority", "Southshire District Council"),
                        ("confirmed_by", "cora"), ("reason", "Asked by the council"),
                        ("closed_at", "2019-01-01T00:00:00+00:00"),
                        ("rule", "kept 1 year after closure (every case)")):
        altered = check_record({**record, name: value}, keys)
        assert altered and "signature does not hold" in altered[0], name
    unsigned = {k: v for k, v in record.items() if k not in ("signature", "scheme", "key_id")}
    assert "not signed itself" in check_record(unsigned, keys)[0]
    # and from the command line, as an inspector would, with the public key they keep
    (tmp_path / "record.json").write_text(json.dumps(record))
    public = tmp_path / "keys" / "checkpoint.pub.pem"
    assert casework(["verify-disposal", str(tmp_path / "record.json"),
                     "--public-key", str(public)]) == 0
    assert "verifies" in capsys.readouterr().out
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    assert casework(["verify-disposal", str(tmp_path / "forged.json"),
                     "--public-key", str(public)]) == 1
    capsys.readouterr()
    (tmp_path / "renamed.json").write_text(json.dumps({**record, "authority": "Eastshire"}))
    assert casework(["verify-disposal", str(tmp_path / "renamed.json"),
                     "--public-key", str(public)]) == 1
    assert "altered" in capsys.readouterr().out
    (tmp_path / "torn.json").write_text(json.dumps(record)[:100])  # cut short: unreadable
    assert casework(["verify-disposal", str(tmp_path / "torn.json"),
                     "--public-key", str(public)]) == 2
    (tmp_path / "later.json").write_text(json.dumps({
        "checkpoint": later.body(), "inclusion_proof": ledger.proof(later.id, case_id)}))
    assert casework(["verify-disposal", str(tmp_path / "record.json"), "--public-key",
                     str(public), "--checkpoint", str(tmp_path / "later.json")]) == 0
    assert "unchanged in the later checkpoint" in capsys.readouterr().out
    # a case is disposed of once
    with pytest.raises(CaseDisposed):
        disposals.dispose(case_id, who=ADMIN, reason="Again", now=SIX_YEARS_ON)


def test_the_summary_of_a_disposed_case_is_not_in_the_sqlite_files(
        services: Services, disposals: Disposals):
    if services.settings.store != "sqlite":
        pytest.skip("the bytes of the SQLite files")
    case_id = closed_case(services)
    closed_case(services, "Another council's housing backlog")
    data = services.settings.data_dir
    assert SECRET.encode() in (data / "casework.sqlite").read_bytes() + \
        (data / "casework.sqlite-wal").read_bytes()  # the search index holds it until then
    disposals.dispose(case_id, who=ADMIN, reason="Kept six years", now=SIX_YEARS_ON)
    keys = services.settings.keys_dir
    for path in (data / "casework.sqlite", data / "casework.sqlite-wal",
                 keys / "keys.sqlite", keys / "keys.sqlite-wal"):
        name = path.name
        held = path.read_bytes() if path.exists() else b""
        for word in (SECRET, "Zanzibarquartz", "zanzibarquartz"):
            assert word.encode() not in held, f"{word} is still in {name}"


def test_the_sweep_proposes_a_case_once_when_it_falls_due_and_not_before(
        services: Services, disposals: Disposals):
    case_id = closed_case(services)
    assert disposals.propose_due(datetime.now(UTC)) == []
    proposed = disposals.propose_due(SIX_YEARS_ON)
    assert [p["case_id"] for p in proposed] == [str(case_id)]
    assert disposals.propose_due(SIX_YEARS_ON) == []  # proposed once
    assert [p["case_id"] for p in services.retention.proposed()] == [str(case_id)]
    services.cases.reopen_case(case_id, reason="New concerns", **ACTOR)
    assert disposals.propose_due(SIX_YEARS_ON) == [] and services.retention.proposed() == []


def _empty_but_the_key_store(settings) -> None:
    """The store lost, as a restore needs its target: everything but the key store."""
    if settings.store == "sqlite":
        for path in settings.data_dir.iterdir():
            if path.name not in ("keys.sqlite", "keys.sqlite-wal", "keys.sqlite-shm",
                                 "master.key"):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        return
    import psycopg

    from services.eventstore.keys import KEY_TABLES
    with psycopg.connect(settings.postgres_url, autocommit=True,
                         options=f"-c search_path={settings.postgres_schema}") as conn:
        schema = settings.postgres_schema
        for (table,) in conn.execute("SELECT table_name FROM information_schema.tables "
                                     "WHERE table_schema = %s", (schema,)).fetchall():
            if table not in KEY_TABLES:
                conn.execute(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE')
        for (routine,) in conn.execute("SELECT routine_name FROM information_schema.routines "
                                       "WHERE routine_schema = %s", (schema,)).fetchall():
            conn.execute(f'DROP FUNCTION IF EXISTS "{schema}"."{routine}" CASCADE')
        for (sequence,) in conn.execute("SELECT sequence_name FROM information_schema.sequences"
                                        " WHERE sequence_schema = %s", (schema,)).fetchall():
            conn.execute(f'DROP SEQUENCE IF EXISTS "{schema}"."{sequence}" CASCADE')
        for (kind,) in conn.execute(
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "LEFT JOIN pg_class c ON c.oid = t.typrelid WHERE n.nspname = %s AND "
                "t.typtype = 'c' AND (c.relkind IS NULL OR c.relkind = 'c')",
                (schema,)).fetchall():
            conn.execute(f'DROP TYPE IF EXISTS "{schema}"."{kind}" CASCADE')


def test_a_backup_taken_before_a_disposal_does_not_bring_the_case_back(
        settings, services: Services, disposals: Disposals, tmp_path: Path):
    kept = closed_case(services, "Another council's housing backlog", documents=(PDF,))
    case_id = closed_case(services, documents=(PDF + b"% only this case's letter\n",))
    letter = services.cases.get_case(case_id)["documents"][0]["sha256"]
    said: list[str] = []
    backup(settings, tmp_path / "backup", said.append)
    disposals.dispose(case_id, who=ADMIN, reason="Kept six years", now=SIX_YEARS_ON)
    services.close()
    _empty_but_the_key_store(settings)

    restore(settings, tmp_path / "backup", progress=said.append)

    assert "1 case disposed of after this backup was taken was not restored" in said
    again = build_services(settings)
    try:
        with pytest.raises(CaseDisposed):
            again.cases.readable_case(case_id)
        assert again.cases.stored_events(case_id) == []
        again.case_list.catch_up(again.cases)
        assert [r["case_id"] for r in again.case_list.list_cases()[0]] == [str(kept)]
        assert again.cases.verify(kept).ok
        assert not again.documents.exists(case_id, letter)
        assert again.documents.exists(kept, services_sha(PDF))
        if settings.store == "sqlite":
            for name in ("casework.sqlite", "casework.sqlite-wal"):
                path = settings.data_dir / name
                assert not path.exists() or b"Zanzibarquartz" not in path.read_bytes()
    finally:
        again.close()


def test_a_process_that_still_holds_a_disposed_case_cannot_record_on_it(
        services: Services, disposals: Disposals):
    case_id = closed_case(services)
    elsewhere = CaseService(services.settings.eventsourcing_env())  # another API process
    try:
        elsewhere.get_case(case_id)  # now in its cache, with its data key
        disposals.dispose(case_id, who=ADMIN, reason="Kept six years; no inquiry open",
                          now=SIX_YEARS_ON)
        with pytest.raises(CaseDisposed):
            elsewhere.reopen_case(case_id, reason="new concern", **ACTOR)
        assert elsewhere.stored_events(case_id) == []  # nothing written after the erasure
    finally:
        elsewhere.close()


def test_a_disposal_cut_short_after_its_record_is_finished_by_the_next_sweep(
        services: Services, disposals: Disposals):
    """A crash between writing the disposal record and erasing the case: the next sweep
    destroys the key, erases the events, the rows and the documents' copies."""
    case_id = closed_case(services, documents=(PDF,))
    [sha256] = [d["sha256"] for d in services.cases.get_case(case_id)["documents"]]
    services.cases.key_store.record_disposal(case_id, {"case_id": str(case_id)})  # then a crash
    assert services.cases.stored_events(case_id) != []

    disposals.propose_due(datetime.now(UTC))  # the sweep's next run
    assert services.cases.key_store.is_destroyed(case_id)
    assert services.cases.stored_events(case_id) == []
    assert services.case_list.list_cases()[0] == []
    assert not services.documents.exists(case_id, sha256)


def test_a_case_closed_again_is_proposed_again_once_its_new_closure_is_due(
        services: Services, disposals: Disposals):
    case_id = closed_case(services)
    assert [p["case_id"] for p in disposals.propose_due(SIX_YEARS_ON)] == [str(case_id)]
    services.cases.reopen_case(case_id, reason="New concerns", **ACTOR)
    services.cases.close_case(case_id, outcome="improved and handed back",
                              exit_strategy=EXIT_STRATEGY, **ACTOR)
    assert disposals.propose_due(datetime.now(UTC)) == []  # kept six years from now
    assert [p["case_id"] for p in disposals.propose_due(SIX_YEARS_ON)] == [str(case_id)]
    assert disposals.propose_due(SIX_YEARS_ON) == []  # once for this closure


def _key_store_bytes(settings) -> bytes:
    """Every byte the key store holds: SQLite's files, or the key table's pages on
    PostgreSQL (dead row versions included) read with pageinspect."""
    if settings.store == "sqlite":
        return b"".join(p.read_bytes() for p in settings.keys_dir.glob("keys.sqlite*"))
    import psycopg

    table = f'"{settings.postgres_schema}".casework_data_keys'
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        pages = conn.execute(f"SELECT pg_relation_size('{table}') / 8192").fetchone()[0]
        return b"".join(bytes(conn.execute("SELECT get_raw_page(%s, %s)",
                                           (table, page)).fetchone()[0])
                        for page in range(pages))


def test_a_destroyed_data_key_leaves_no_bytes_in_the_key_store(
        services: Services, disposals: Disposals):
    """Whoever later holds the master key and a copy of the key store's files must not
    find the wrapped key there: on PostgreSQL an overwritten row stays in the table's
    pages until a vacuum."""
    case_id = closed_case(services)
    closed_case(services, "Another council's housing backlog")
    keys = services.cases.key_store
    with keys._cursor() as run:  # noqa: SLF001 - the stored bytes themselves
        wrapped = bytes(run("SELECT wrapped FROM casework_data_keys WHERE stream_id = ?",
                            (str(case_id),)).fetchone()[0])
    assert wrapped in _key_store_bytes(services.settings)
    disposals.dispose(case_id, who=ADMIN, reason="Kept six years", now=SIX_YEARS_ON)
    assert wrapped not in _key_store_bytes(services.settings)


@pytest.mark.parametrize("settings", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_disposal_while_another_session_reads_still_leaves_no_key_behind(
        services: Services, disposals: Disposals):
    """Another request's transaction, begun before the disposal, would keep the old key's
    row in the table's pages through the vacuum: the disposal waits for it to end. (Two
    test processes on one server made this fail one run in a few.)"""
    import threading

    import psycopg

    case_id = closed_case(services)
    keys = services.cases.key_store
    with keys._cursor() as run:  # noqa: SLF001 - the stored bytes themselves
        wrapped = bytes(run("SELECT wrapped FROM casework_data_keys WHERE stream_id = ?",
                            (str(case_id),)).fetchone()[0])
    table = f'"{services.settings.postgres_schema}".casework_data_keys'
    reader = psycopg.connect(services.settings.postgres_url, autocommit=True)
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    reader.execute(f"SELECT count(*) FROM {table}").fetchone()  # its snapshot, held
    ends = threading.Timer(1.0, lambda: reader.execute("COMMIT"))
    ends.start()
    try:
        disposals.dispose(case_id, who=ADMIN, reason="Kept six years", now=SIX_YEARS_ON)
    finally:
        ends.join()
        reader.close()
    assert wrapped not in _key_store_bytes(services.settings)


@pytest.mark.parametrize("settings", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_reads_go_on_while_the_key_store_waits_to_vacuum(services: Services):
    """The key store waits for older sessions before its vacuum on a connection of its
    own: every read and command asks it whether its case was disposed of, and must not
    wait behind that (it held the store's one connection for up to 10 s)."""
    import threading

    import psycopg

    case_id = closed_case(services)
    keys = services.cases.key_store
    reader = psycopg.connect(services.settings.postgres_url, autocommit=True)
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    reader.execute("SELECT 1").fetchone()  # its snapshot, held
    with psycopg.connect(services.settings.postgres_url, autocommit=True) as writer:
        writer.execute("SELECT txid_current()")  # a transaction committed after it
    settling = threading.Thread(target=keys.settle)
    settling.start()
    try:
        settling.join(0.3)
        assert settling.is_alive()  # waiting for the reader's snapshot
        assert not keys.is_destroyed(case_id)
        assert settling.is_alive()  # answered while the vacuum still waited
    finally:
        reader.execute("COMMIT")
        settling.join()
        reader.close()
