"""The case list and the search index forget a case's text when it is disposed of, and
hold only what its history now says after a field is redacted: gone from the list,
the search and the counts, and on SQLite from the database file's bytes and its
write-ahead log, even while other cases are being written."""

import threading
import time

import pytest

from services.caselist.projection import CaseListView
from services.caselist.search import Query
from services.caselist.worklist import CaseFilter
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE

CORA = dict(actor_id="cora", actor_role="coordinator")
SECRET = "Zanzibar lighthouse overspend reported by Ms Quillfeather"
WORDS = (b"Zanzibar", b"zanzibar", b"Quillfeather", b"quillfeather", b"lighthouse")
NOTE = "redacted on 5 December 2026: a data subject's request"


@pytest.fixture
def view(settings: Settings):
    listed = CaseListView(settings)
    yield listed
    listed.close()


def on_disk(settings: Settings) -> bytes:
    """The raw bytes of the database file and its write-ahead log, as a thief of the disk
    would read them."""
    files = (settings.sqlite_path, settings.sqlite_path.with_name("casework.sqlite-wal"))
    return b"".join(path.read_bytes() for path in files if path.exists())


def found(view: CaseListView, words: str) -> list[str]:
    rows, _ = view.search(Query.of(words), CaseFilter())
    return [row["case_id"] for row in rows]


def test_a_forgotten_case_leaves_the_list_the_search_and_the_counts(settings, cases, view):
    kept = cases.open_case(**OPEN_CASE, **CORA)
    forgotten = cases.open_case(**dict(OPEN_CASE, summary=SECRET), **CORA)
    view.catch_up(cases)
    counts = view.worklist_counts(CaseFilter(region=OPEN_CASE["region"]), soon=_soon())
    assert found(view, "Zanzibar lighthouse") == [str(forgotten)]

    assert view.forget_case(forgotten) is True
    assert view.forget_case(forgotten) is False  # forgotten already

    listed, _ = view.list_cases()
    assert [row["case_id"] for row in listed] == [str(kept)]
    assert found(view, "Zanzibar lighthouse") == []
    assert found(view, OPEN_CASE["authority"]) == [str(kept)]
    after = view.worklist_counts(CaseFilter(region=OPEN_CASE["region"]), soon=_soon())
    assert after.cases == counts.cases - 1 == 1
    view.catch_up(cases)  # nothing new: the case does not come back
    assert found(view, "Zanzibar") == []


def test_a_forgotten_case_s_text_is_gone_from_the_sqlite_file_and_its_log(settings, cases,
                                                                         view):
    if settings.store != "sqlite":
        pytest.skip("the SQLite file's own bytes")
    forgotten = cases.open_case(**dict(OPEN_CASE, summary=SECRET), **CORA)
    view.catch_up(cases)
    assert all(word in on_disk(settings) for word in (b"Zanzibar", b"zanzibar"))

    view.forget_case(forgotten)

    assert not [word for word in WORDS if word in on_disk(settings)]


def test_the_text_is_gone_even_while_other_cases_are_written(settings, cases, view):
    if settings.store != "sqlite":
        pytest.skip("the SQLite file's own bytes")
    forgotten = cases.open_case(**dict(OPEN_CASE, summary=SECRET), **CORA)
    for n in range(30):  # its rows amid others', on pages others will keep writing to
        cases.open_case(**dict(OPEN_CASE, summary=f"Budget gap number {n}"), **CORA)
    view.catch_up(cases)
    assert b"zanzibar" in on_disk(settings)
    stop, written = threading.Event(), []

    def keep_writing() -> None:
        other = CaseListView(settings)  # another projector, as another API process runs
        try:
            while not stop.is_set():
                written.append(cases.open_case(**dict(OPEN_CASE, summary="Another budget gap"),
                                               **CORA))
                other.catch_up(cases)
        finally:
            other.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        time.sleep(0.5)
        view.forget_case(forgotten)
        assert not [word for word in WORDS if word in on_disk(settings)]
        time.sleep(0.5)
    finally:
        stop.set()
        writer.join()
    assert len(written) > 5, "the other writer wrote while the case was forgotten"
    assert not [word for word in WORDS if word in on_disk(settings)]
    assert found(view, "Another budget gap")


def test_a_redacted_field_is_projected_again_from_the_history_as_it_now_stands(
        settings, cases, view):
    case_id = cases.open_case(**dict(OPEN_CASE, summary=SECRET), **CORA)
    view.catch_up(cases)
    assert found(view, "Quillfeather") == [str(case_id)]

    cases.redact_field(case_id, 1, "summary", NOTE)
    view.refresh_case(case_id, cases)

    assert found(view, "Quillfeather") == []
    assert found(view, "data subject") == [str(case_id)]
    listed, _ = view.list_cases()
    assert [(row["case_id"], row["version"]) for row in listed] == [(str(case_id), 1)]
    if settings.store == "sqlite":
        assert not [word for word in WORDS if word in on_disk(settings)]


def _soon():
    from datetime import UTC, datetime, timedelta
    return datetime.now(UTC) + timedelta(days=7)
