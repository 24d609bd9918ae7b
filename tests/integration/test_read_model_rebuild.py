"""The paged rebuild folds cases from the log and ends where catching up does."""

import pytest

from services.caselist import projection as read_models
from services.caselist.projection import CaseListView
from tests.helpers import OPEN_CASE
from tests.integration.test_history_integrity import key, run_sql
from tests.integration.test_poison_streams import three_cases

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


def _rows(view: CaseListView) -> list[dict]:
    return view.list_cases(limit=1000)[0]


def _interleaved_cases(cases) -> list:
    """Seven cases whose events are spread over the log, as a region's work spreads them."""
    ids = [cases.open_case(**OPEN_CASE, **ACTOR) for _ in range(7)]
    for case_id in ids[::2]:
        cases.pause_deadline(case_id, deadline="diagnosis", reason="waiting", **ACTOR)
    cases.assess_risk(ids[1], kind="inherent", impact="high", likelihood="high",
                      reason="finances", **ACTOR)
    for case_id in ids[::2]:
        cases.resume_deadline(case_id, deadline="diagnosis", reason="resumed", **ACTOR)
    return ids


@pytest.mark.parametrize("folded_cases", [2, 20_000])
def test_a_paged_rebuild_gives_the_rows_catching_up_gives(cases, settings, folded_cases,
                                                          monkeypatch):
    """Events of many cases interleaved, across page boundaries; with an LRU of two
    cases most folds fall back to reading the stream, and still agree."""
    monkeypatch.setattr(read_models, "FOLDED_CASES", folded_cases)
    _interleaved_cases(cases)
    view = CaseListView(settings)
    try:
        view.catch_up(cases)
        expected = _rows(view)
        assert view.rebuild(cases, page_size=3) == cases.recorder.max_notification_id()
        assert _rows(view) == expected
        assert {r["risk_band"] for r in expected} - {None}
        assert view.position() == cases.recorder.max_notification_id()
    finally:
        view.close()


@pytest.mark.parametrize("write_every", [1, 2, 3, 20_000])
def test_rows_written_every_few_cases_are_the_rows_catching_up_gives(cases, settings,
                                                                     write_every):
    """Writes that fall between a case's events, or after the whole log, agree."""
    _interleaved_cases(cases)
    view = CaseListView(settings)
    try:
        view.catch_up(cases)
        expected = _rows(view)
        assert view.rebuild(cases, page_size=2, write_every=write_every) == \
            cases.recorder.max_notification_id()
        assert _rows(view) == expected
        assert view.position() == cases.recorder.max_notification_id()
    finally:
        view.close()


def test_a_rebuild_writes_each_case_once_per_write_not_once_per_page(cases, settings,
                                                                     monkeypatch):
    ids = _interleaved_cases(cases)
    written: list[str] = []
    view = CaseListView(settings)
    upsert_rows = view._upsert_rows
    monkeypatch.setattr(view, "_upsert_rows",
                        lambda cursor, rows: (written.extend(r[0] for r in rows),
                                              upsert_rows(cursor, rows)))
    try:
        view.rebuild(cases, page_size=3)
        assert sorted(written) == sorted(str(i) for i in ids)
    finally:
        view.close()


def test_a_rebuild_writes_after_so_many_events_however_few_cases_changed(cases, settings,
                                                                         monkeypatch):
    """A long log of few cases is still written, and its progress reported, as it goes."""
    monkeypatch.setattr(read_models, "WRITE_EVERY_EVENTS", {"postgres": 4, "sqlite": 4})
    _interleaved_cases(cases)
    last = cases.recorder.max_notification_id()
    reported: list[int] = []
    view = CaseListView(settings)
    try:
        view.rebuild(cases, page_size=2, progress=reported.append)
        assert reported == [*range(4, last, 4), last]
    finally:
        view.close()


def test_a_broken_stream_is_set_aside_once_in_a_write_however_many_pages_it_spans(
        cases, settings):
    """Its later events, on later pages of the same write, are passed over."""
    broken, *others = three_cases(cases)
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version=1",
            (key(broken, settings),))
    view = CaseListView(settings)
    try:
        view.rebuild(cases, page_size=1)
        assert view.set_aside_total == 1
        assert [p["case_id"] for p in view.problems()] == [str(broken)]
        assert [r["case_id"] for r in _rows(view)] == [str(i) for i in others]
    finally:
        view.close()
