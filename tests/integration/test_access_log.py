"""The access log's chain: altered, removed, reordered or cut records are named, on both
stores; two processes appending at once never break it; pruning keeps it verifiable."""

import multiprocessing
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from deploy.cli import main as cli
from domain.access_log import Door, Seen
from services.audit.access_export import export_lines, verify_access_export
from services.audit.access_log import AccessLogBook, Read, record_hash
from services.audit.checkpoints import CheckpointLedger
from services.audit.signing import SigningKey, public_path
from services.caselist.migrations import migrate
from services.platform.settings import Settings

CASE = "0d5c9a4e-8d0a-4a53-9a1e-0c8f3c9f2b11"


def a_read(n: int = 0, *, who: str = "ines") -> Read:
    return Read(who, "inspector", Seen.HISTORY, Door.API, CASE, "NW-2026-0001",
                request_id=f"r{n}")


@pytest.fixture
def book(settings):
    migrate(settings)
    made = AccessLogBook(settings)
    yield made
    made.close()


def run_sql(settings: Settings, sql: str, params: tuple = ()) -> None:
    """Change the log behind the service's back, as someone with the database would."""
    if settings.store == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute(sql.replace("%s", "?"), params)
        return
    with psycopg.connect(settings.postgres_url, autocommit=True,
                         options=f"-c search_path={settings.postgres_schema}") as conn:
        conn.execute(sql, params)


def test_an_untouched_log_verifies_and_pages_newest_first(book):
    for n in range(5):
        book.append(a_read(n))
    book.append(Read("cora", "coordinator", Seen.SEARCH, Door.PAGE, query="Northshire"))
    assert book.verify() is None
    page = book.of_case(CASE, limit=3)
    assert [r.seq for r in page] == [5, 4, 3]
    assert [r.seq for r in book.of_case(CASE, before=3)] == [2, 1]
    mine = book.of_person("cora")
    assert [(r.what, r.door, r.case_id, r.query) for r in mine] == [
        ("search", "page", None, "Northshire")]


@pytest.mark.parametrize("change, named", [
    ("UPDATE access_log SET username = 'nobody' WHERE seq = 3", "record 3 was altered"),
    ("DELETE FROM access_log WHERE seq = 3", "record 3 is missing"),
    ("UPDATE access_log SET seq = 1000 WHERE seq = 2; UPDATE access_log SET seq = 2 "
     "WHERE seq = 3; UPDATE access_log SET seq = 3 WHERE seq = 1000",
     "record 2 does not follow record 1"),
])
def test_a_changed_removed_or_reordered_record_is_named(book, settings, change, named):
    for n in range(5):
        book.append(a_read(n))
    for statement in change.split("; "):
        run_sql(settings, statement)
    assert named in (book.verify() or "")


def rechain_from(settings, book: AccessLogBook, seq: int) -> None:
    """Alter record `seq` and recompute every later hash: the chain alone holds again."""
    records = [r.as_dict() for r in book.every()]
    previous = records[seq - 2]["hash"] if seq > 1 else records[0]["previous"]
    for record in records[seq - 1:]:
        if record["seq"] == seq:
            record["username"] = "nobody"
        record["previous"] = previous
        record["hash"] = previous = record_hash(record)
        run_sql(settings, "UPDATE access_log SET username = %s, previous = %s, hash = %s "
                          "WHERE seq = %s",
                (record["username"], record["previous"], record["hash"], record["seq"]))


def test_a_rewrite_with_recomputed_hashes_or_a_cut_is_caught_by_the_checkpoint(
        book, settings, tmp_path):
    key = SigningKey.create(tmp_path / "keys" / "cp.pem")
    ledger = CheckpointLedger(settings, key=key)
    try:
        for n in range(4):
            book.append(a_read(n))
        ledger.write(_no_streams(settings))
        signed, problem = ledger.signed_access_head()
        assert problem is None and signed is not None and signed.seq == 4
        assert book.verify(signed) is None
        rechain_from(settings, book, 2)
        assert book.verify() is None  # the chain alone cannot tell
        assert "rewritten" in (book.verify(signed) or "")
        run_sql(settings, "DELETE FROM access_log WHERE seq = 4")
        assert "cut off" in (book.verify(signed) or "")
    finally:
        ledger.close()


def _no_streams(settings):
    """The case store the checkpoint follows (empty here: only the log's head is signed)."""
    from services.cases.service import CaseService  # noqa: PLC0415 - only this test's

    return CaseService(settings.eventsourcing_env())


def test_an_export_verifies_offline_and_a_changed_line_does_not(book, settings, tmp_path):
    key_path = tmp_path / "keys" / "cp.pem"
    ledger = CheckpointLedger(settings, key=SigningKey.create(key_path))
    try:
        for n in range(3):
            book.append(a_read(n))
        ledger.write(_no_streams(settings))
        book.append(a_read(3))  # after the checkpoint: still in the chain
        lines = list(export_lines(book, ledger))
    finally:
        ledger.close()
    export, pem = tmp_path / "log.jsonl", str(public_path(key_path))
    export.write_text("".join(lines))
    assert cli(["verify-access-log", str(export), "--public-key", pem]) == 0
    assert verify_access_export(lines[:2] + lines[3:]) is not None  # a record dropped
    export.write_text("".join(lines).replace('"username": "ines"', '"username": "ivan"', 1))
    assert cli(["verify-access-log", str(export), "--public-key", pem]) == 1


def _append_from_a_process(settings_json: str, who: str, count: int) -> None:
    settings = Settings.model_validate_json(settings_json)
    book = AccessLogBook(settings)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda n: book.append(a_read(n, who=who)), range(count)))
    finally:
        book.close()


def test_two_processes_appending_at_once_never_break_the_chain(book, settings):
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_append_from_a_process,
                               args=(settings.model_dump_json(), who, 60))
                 for who in ("ines", "ivy")]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    records = list(book.every())
    assert [r.seq for r in records] == list(range(1, 121))
    assert book.verify() is None
    assert {r.username for r in records} == {"ines", "ivy"}


def test_pruning_leaves_a_marker_and_the_rest_still_verifies(book, settings):
    for n in range(3):
        book.append(a_read(n))
    cut = book.prune(datetime.now(UTC) + timedelta(seconds=1))
    assert cut is not None and cut.seq == 3
    book.append(a_read(4))
    assert [r.seq for r in book.every()] == [4]
    assert book.verify() is None
    run_sql(settings, "UPDATE access_log_pruned SET head = 'x'")
    assert "record 4 does not follow record 3" in (book.verify() or "")


def test_the_prune_command_keeps_the_retention_policy(book, settings, monkeypatch):
    for n in range(2):
        book.append(a_read(n))
    monkeypatch.setenv("CASEWORK_STORE", settings.store)
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CASEWORK_POSTGRES_URL", settings.postgres_url)
    monkeypatch.setenv("CASEWORK_POSTGRES_SCHEMA", settings.postgres_schema)
    assert cli(["access-log", "prune"]) == 0  # "case", the default: nothing goes
    assert len(list(book.every())) == 2
    monkeypatch.setenv("CASEWORK_ACCESS_LOG_RETENTION", "1")
    assert cli(["access-log", "prune"]) == 0  # a day: these reads are younger
    assert len(list(book.every())) == 2
    run_sql(settings, "UPDATE access_log SET at = '2020-01-01T00:00:00+00:00' WHERE seq = 1")
    assert cli(["access-log", "prune"]) == 0
    assert [r.seq for r in book.every()] == [2]
    assert book.pruned() is not None and book.verify() is None


@pytest.mark.parametrize("change", [
    lambda lines: ["[1]\n", *lines[1:]],                                   # not an object
    lambda lines: [lines[0], '"a read"\n', *lines[1:]],
    lambda lines: [lines[0].replace('"seq": 0', '"seq": 1e400'), *lines[1:]],  # too big
    lambda lines: [*lines[:-1], '{"end": true, "head": "the last"}\n'],    # wrong shape
    lambda lines: [*lines[:-1], lines[-1].replace('"path": [', '"path": [7, ')],
])
def test_a_malformed_export_is_refused_with_its_reason_never_a_traceback(
        book, settings, tmp_path, capsys, change):
    key_path = tmp_path / "keys" / "cp.pem"
    ledger = CheckpointLedger(settings, key=SigningKey.create(key_path))
    try:
        book.append(a_read(0))
        ledger.write(_no_streams(settings))
        lines = list(export_lines(book, ledger))
    finally:
        ledger.close()
    export = tmp_path / "log.jsonl"
    export.write_text("".join(change(lines)))
    assert cli(["verify-access-log", str(export), "--public-key",
                str(public_path(key_path))]) in (1, 2)
    said = capsys.readouterr()
    assert "NOT intact" in said.out or "cannot read the export" in said.err
