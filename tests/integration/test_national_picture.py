"""The national picture's counts, on both stores: each region's open cases by stage and
risk band, overdue and red-flagged, from one grouped query over the case list."""

from datetime import UTC, datetime, timedelta

from domain.national_picture import national_picture
from services.caselist.projection import CaseListView
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
WATCHERS = [{"kind": "government office", "name": "Locality manager"},
            {"kind": "audit body", "name": "Audit Commission relationship manager"}]


def test_the_regions_are_counted_side_by_side(cases, settings):
    soon = datetime.now(UTC) + timedelta(seconds=1)
    later = {"diagnosis_due": soon + timedelta(days=30)}
    opened = [cases.open_case(**{**OPEN_CASE, **later, **spec}, **ACTOR) for spec in (
        {"region": "North West", "diagnosis_due": soon}, {"region": "North West"},
        {"region": "North West"}, {"region": "London", "authority": "Camden"},
        {"region": "London", "authority": "Camden"})]
    _, assessed, flagged, _, _ = opened
    cases.assess_risk(assessed, kind="inherent", impact="low", likelihood="low",
                      reason="Stable leadership", **ACTOR)
    cases.hold_joint_local_meeting(flagged, outcome="regulator not satisfied",
                                   reason="The regulator is not satisfied",
                                   attendees=WATCHERS, **ACTOR)
    view = CaseListView(settings)
    try:
        view.catch_up(cases)
        counts = view.national_counts(now=soon + timedelta(days=1))
    finally:
        view.close()
    regions = {r["region"]: r for r in national_picture(counts, {})}
    north_west, london = regions["North West"], regions["London"]
    assert (north_west["open"], north_west["overdue"], north_west["red_flags"]) == (3, 1, 1)
    assert north_west["by_stage"]["local"] == 3
    assert north_west["by_risk"]["no action"] == 1
    assert north_west["by_risk"]["not assessed"] == 2
    assert (london["open"], london["overdue"], london["red_flags"]) == (2, 0, 0)
    assert regions["South West"]["open"] == 0
    assert (regions["England"]["open"], regions["England"]["overdue"]) == (5, 1)
    assert list(regions)[:2] == ["North East", "North West"] and len(regions) == 10
