"""The paged rebuild folds cases from the log and ends where catching up does."""

import pytest

from services import read_models
from services.read_models import CaseListView
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


def _rows(view: CaseListView) -> list[dict]:
    return view.list_cases(limit=1000)[0]


@pytest.mark.parametrize("folded_cases", [2, 20_000])
def test_a_paged_rebuild_gives_the_rows_catching_up_gives(cases, settings, folded_cases,
                                                          monkeypatch):
    """Events of many cases interleaved, across page boundaries; with an LRU of two
    cases most folds fall back to reading the stream, and still agree."""
    monkeypatch.setattr(read_models, "FOLDED_CASES", folded_cases)
    ids = [cases.open_case(**OPEN_CASE, **ACTOR) for _ in range(7)]
    for case_id in ids[::2]:
        cases.pause_deadline(case_id, deadline="diagnosis", reason="waiting", **ACTOR)
    cases.assess_risk(ids[1], kind="inherent", impact="high", likelihood="high",
                      reason="finances", **ACTOR)
    for case_id in ids[::2]:
        cases.resume_deadline(case_id, deadline="diagnosis", reason="resumed", **ACTOR)
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
