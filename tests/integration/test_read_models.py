"""The case list and regional picture, on both stores, across crashes and rebuilds."""

import threading
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from deploy.cli import main as read_models_cli
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


@pytest.fixture
def views(settings):
    """Builds views for the test and closes every one of their connections after it."""
    made: list[CaseListView] = []

    def make() -> CaseListView:
        made.append(CaseListView(settings))
        return made[-1]

    yield make
    for view in made:
        view.close()


def open_cases(cases: CaseService, specs: list[dict]) -> list:
    return [cases.open_case(**dict(OPEN_CASE, **spec), **ACTOR) for spec in specs]


def test_the_case_list_filters_and_pages_with_a_cursor(cases, settings, views):
    ids = open_cases(cases, [{"region": "North West"}] * 5 + [{"region": "London"}] * 2)
    view = views()
    view.catch_up(cases)
    first, cursor = view.list_cases(region="North West", limit=3)
    second, end = view.list_cases(region="North West", limit=3, cursor=cursor)
    assert end is None
    assert [r["case_id"] for r in first + second] == [str(i) for i in ids[:5]]
    assert {r["region"] for r in view.list_cases(region="London")[0]} == {"London"}


def test_overdue_cases_are_those_past_their_next_deadline(cases, settings, views):
    soon = datetime.now(UTC) + timedelta(seconds=1)
    late, fine = open_cases(cases, [{"diagnosis_due": soon}, {"diagnosis_due": soon + timedelta(days=30)}])
    view = views()
    view.catch_up(cases)
    later = soon + timedelta(days=1)
    overdue, _ = view.list_cases(overdue=True, now=later)
    assert [r["case_id"] for r in overdue] == [str(late)]
    assert view.regional_picture(now=later)["overdue_cases"] == 1


def test_the_regional_picture_shows_stages_hot_spots_and_coasting(cases, settings, views):
    open_cases(cases, [{"authority": "Eastvale"}, {"authority": "Eastvale"},
                       {"authority": "Westmarch", "issue_type": "coasting"}])
    view = views()
    view.catch_up(cases)
    picture = view.regional_picture(region="North West")
    assert picture["open_cases_by_stage_and_risk"] == {"local": {"not assessed": 3}}
    assert picture["hot_spots"] == [{"authority": "Eastvale", "open_cases": 2}]
    assert picture["coasting_authorities"] == ["Westmarch"]


def test_a_crash_mid_batch_applies_nothing_and_the_next_run_applies_each_event_once(
    cases, settings, views, monkeypatch
):
    [case_id] = open_cases(cases, [{}])
    view = views()
    original = view._upsert_rows

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(view, "_upsert_rows", crash)  # while writing the batch's rows
    with pytest.raises(RuntimeError):
        view.catch_up(cases)
    assert view.position() == 0 and view.list_cases()[0] == []

    monkeypatch.setattr(view, "_upsert_rows", original)
    assert view.catch_up(cases) == 2  # the concern, and its region's reference counter
    assert view.catch_up(cases) == 0
    cases.issue_reminder(case_id, deadline="diagnosis", recipient="o", reminder_key="k")
    assert view.catch_up(cases) == 1
    assert view.position() == cases.recorder.max_notification_id()
    assert view.list_cases()[0][0]["version"] == 2


def test_concurrent_projectors_apply_each_event_exactly_once(cases, settings, views):
    open_cases(cases, [{"authority": f"Council {n}"} for n in range(30)])
    projectors = [views() for _ in range(3)]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda v=v: counts.append(v.catch_up(cases, batch_size=7)))
               for v in projectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 60  # each concern, and a number taken of the reference counter
    assert len(projectors[0].list_cases(limit=100)[0]) == 30


def test_a_rebuild_from_scratch_gives_the_same_rows(cases, settings, views, monkeypatch, capsys):
    open_cases(cases, [{"authority": f"Council {n}"} for n in range(4)])
    view = views()
    view.catch_up(cases)
    before = view.list_cases()[0]
    for key, value in settings.model_dump().items():
        if value is not None:
            monkeypatch.setenv(f"CASEWORK_{key.upper()}", str(value))
    assert read_models_cli(["rebuild"]) == 0
    assert "rebuilt the case list from 8 events" in capsys.readouterr().out
    assert view.list_cases()[0] == before


def test_a_long_lag_folds_each_case_instead_of_reading_it_back_page_after_page(
        cases, views, monkeypatch):
    """A list emptied by a migration is projected again from the first event: each case is
    folded as its events pass, never read back from its stream once per page of the log."""
    ids = open_cases(cases, [{}, {}, {}])
    for n in range(6):
        for case_id in ids:
            cases.issue_reminder(case_id, deadline="diagnosis", recipient="o",
                                 reminder_key=f"k{n}")
    read_back: list[object] = []
    for reader in ("aggregate_as_of", "case_as_of"):
        original = getattr(cases, reader)
        monkeypatch.setattr(cases, reader, lambda *a, _o=original, **k:
                            read_back.append(a) or _o(*a, **k))
    view = views()
    assert view.catch_up(cases, batch_size=4) == 24  # with 3 of the reference counter
    assert read_back == []
    assert sorted(r["version"] for r in view.list_cases()[0]) == [7, 7, 7]


GOVERNMENT_OFFICE = {"kind": "government office", "name": "Locality manager"}
AUDIT_BODY = {"kind": "audit body", "name": "Audit Commission relationship manager"}


def proposed_and_flagged(cases: CaseService) -> tuple:
    """Three cases: an escalation proposed; a red flag raised and a joint local meeting
    proposed; nothing waiting."""
    escalating, flagged, quiet = open_cases(cases, [{}, {}, {}])
    assert cases.propose_escalation(escalating, reason="Deadlines missed", proposal_key="p1")
    cases.hold_joint_local_meeting(flagged, outcome="regulator not satisfied",
                                   reason="The regulator is not satisfied",
                                   attendees=[GOVERNMENT_OFFICE, AUDIT_BODY], **ACTOR)
    assert cases.propose_joint_meeting(flagged, reason="Stuck at local", proposal_key="j1")
    return escalating, flagged, quiet


def _waiting(row: dict) -> tuple:
    return (row["escalation_proposed_to"], row["escalation_proposed_at"] is not None,
            row["joint_meeting_proposed_at"] is not None, row["red_flag"])


def test_the_list_carries_proposals_awaiting_a_decision_and_the_red_flag(cases, settings,
                                                                          views):
    from services.caselist.worklist import CaseFilter

    escalating, flagged, quiet = proposed_and_flagged(cases)
    view = views()
    view.catch_up(cases)
    rows = {row["case_id"]: row for row in view.list_cases()[0]}
    assert _waiting(rows[str(escalating)]) == ("RIEP", True, False, False)
    assert _waiting(rows[str(flagged)]) == (None, False, True, True)
    assert _waiting(rows[str(quiet)]) == (None, False, False, False)
    assert [r["case_id"] for r in view.list_cases(red_flag=True)[0]] == [str(flagged)]
    assert {r["case_id"] for r in view.list_cases(red_flag=False)[0]} == {str(escalating),
                                                                         str(quiet)}
    region = CaseFilter(region=OPEN_CASE["region"], status="open")
    assert [r["case_id"] for r in view.awaiting_decision(region)] == [str(escalating),
                                                                      str(flagged)]

    cases.decline_escalation(escalating, reason="Not yet", **ACTOR)
    view.catch_up(cases)
    assert [r["case_id"] for r in view.awaiting_decision(region)] == [str(flagged)]
    assert _waiting(view.list_cases(red_flag=False)[0][0])[:3] == (None, False, False)


def test_a_rebuild_and_a_case_read_back_give_the_same_proposal_and_flag_columns(
        cases, settings, views):
    proposed_and_flagged(cases)
    view = views()
    view.catch_up(cases)
    caught_up = view.list_cases()[0]
    view.rebuild(cases)
    assert view.list_cases()[0] == caught_up
    assert view.catch_up(cases) == 0  # nothing left: the rebuild read the log to its end
    with view._transaction(lock=True) as cursor:  # each case read back from its stream
        for row in caught_up:
            cursor.execute("UPDATE case_list SET version = 0 WHERE case_id = ?",
                           (row["case_id"],))
            view._project(cursor, cases, UUID(row["case_id"]), row["version"])
    assert view.list_cases()[0] == caught_up


def test_worklist_counts_follow_the_list_and_the_clock(cases, settings, views):
    """The total follows the list as it moves on; overdue and due soon are counted for the
    moment asked about."""
    from services.caselist.worklist import CaseFilter

    now = datetime.now(UTC)
    open_cases(cases, [{"diagnosis_due": now + timedelta(days=2)}])
    view = views()
    view.catch_up(cases)
    region = CaseFilter(region=OPEN_CASE["region"], status="open")
    soon = now + timedelta(days=7)
    first = view.worklist_counts(region, soon=soon, now=now)
    assert (first.cases, first.overdue, first.due_soon) == (1, 0, 1)
    later = view.worklist_counts(region, soon=soon + timedelta(days=3),
                                 now=now + timedelta(days=3))
    assert (later.cases, later.overdue, later.due_soon) == (1, 1, 0)

    open_cases(cases, [{"diagnosis_due": now + timedelta(days=30)}])
    view.catch_up(cases)
    again = view.worklist_counts(region, soon=soon, now=now)
    assert (again.cases, again.overdue, again.due_soon) == (2, 0, 1)


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_a_long_catch_up_renews_postgresqls_statistics_of_the_list(cases, settings, views,
                                                                  monkeypatch):
    """Planned with an empty table's statistics, PostgreSQL counts a region's overdue cases
    by reading the whole region instead of a range of the due index."""
    import psycopg

    from services.caselist import projection as read_models

    monkeypatch.setattr(read_models, "ANALYSE_AFTER", 3)
    open_cases(cases, [{}] * 3)
    views().catch_up(cases)
    with psycopg.connect(settings.postgres_url) as conn:
        [(tuples,)] = conn.execute(
            "SELECT reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = 'case_list'",
            (settings.postgres_schema,)).fetchall()
    assert tuples == 3


def _counted(view: CaseListView, chosen) -> tuple[int | None, int]:
    """(the tally's total, the list's own count) for a filter."""
    from services.caselist import tally as case_tally

    where, params = chosen.where(datetime.now(UTC))
    with view._read() as db:
        tallied = case_tally.total(db, chosen)
        db.execute("SELECT COUNT(*) FROM case_list c WHERE " + " AND ".join(where or ["1 = 1"]),
                   params)
        return tallied, int(db.fetchone()[0])


def test_the_tally_agrees_with_the_list_as_cases_move_and_after_a_rebuild(cases, settings,
                                                                           views):
    from services.caselist.worklist import CaseFilter

    moved, *_ = open_cases(cases, [{}, {}, {"authority": "Eastvale"}, {"region": "London"}])
    cases.assess_risk(moved, kind="inherent", impact="high", likelihood="high",
                      reason="Director gone", **ACTOR)  # from not assessed to a band
    view = views()
    view.catch_up(cases)
    band = view.list_cases()[0][0]["risk_band"]
    filters = [CaseFilter(), CaseFilter(region="North West", status="open"),
               CaseFilter(stage="local"), CaseFilter(risk_band=band, region="North West"),
               CaseFilter(authority="Eastvale"), CaseFilter(region="London", status="closed")]
    assert [_counted(view, f) for f in filters] == [(4, 4), (3, 3), (4, 4), (1, 1), (1, 1),
                                                    (0, 0)]
    view.rebuild(cases)
    assert [_counted(view, f) for f in filters] == [(4, 4), (3, 3), (4, 4), (1, 1), (1, 1),
                                                    (0, 0)]
    assert _counted(view, CaseFilter(overdue=True))[0] is None  # the clock: counted each time
