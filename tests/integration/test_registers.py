"""The registers on a real store: every test runs on SQLite and on PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from domain.errors import InvalidField, RuleViolation
from services.platform.settings import Settings
from services.registers.service import (
    AlreadyRegistered,
    ImportRefused,
    NotRegistered,
    RegisterService,
)

WHO = dict(actor_id="coordinator-1")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
EAST = "East Midlands"


@pytest.fixture
def registers(settings: Settings) -> Iterator[RegisterService]:
    service = RegisterService(settings.eventsourcing_env(), clock=lambda: NOW)
    yield service
    service.close()


def council(registers, name, region=EAST, **dates):
    return registers.register_authority(name=name, authority_type="district", region=region,
                                        sub_region="Northshire", **dates, **WHO)


def offer(registers, title, *, cost=0, days=40, natures=("financial",), **extra):
    return registers.publish_offer(
        title=title, provider=extra.pop("provider", f"{title} team"),
        provider_type=extra.pop("provider_type", "RIEP"), region=extra.pop("region", EAST),
        problem_natures=natures, service_areas=["finance"], days_per_year=days,
        cost_per_day=cost, lead_time_days=10, **extra, **WHO)


def peer(registers, name, council_name, days=10):
    return registers.accredit_peer(name=name, role="officer", council=council_name,
                                   problem_natures=["financial"], service_areas=["finance"],
                                   days_per_quarter=days, **WHO)


def test_an_authority_reads_back_after_a_restart(registers, settings):
    council(registers, "Ashby District Council", last_self_evaluation="2026-02-01")
    again = RegisterService(settings.eventsourcing_env())
    try:
        found = again.get_authority("ashby  district council")
        assert found["name"] == "Ashby District Council"
        assert found["last_self_evaluation"] == date(2026, 2, 1)
    finally:
        again.close()


def test_an_authority_cannot_be_registered_twice(registers):
    council(registers, "Ashby District Council")
    with pytest.raises(AlreadyRegistered) as refused:
        council(registers, "ASHBY District Council")
    assert refused.value.field == "name"


GOOD_CSV = """name,authority_type,region,sub_region,mutuality_signed_on,last_self_evaluation,last_peer_challenge
Ashby District Council,district,East Midlands,Northshire,2025-06-01,2026-01-15,2023-03-01
Fenland Borough Council,unitary,East of England,,,,
"""

BAD_CSV = """name,authority_type,region,sub_region,mutuality_signed_on,last_self_evaluation,last_peer_challenge
Ashby District Council,district,East Midlands,Northshire,2025-06-01,2026-01-15,2023-03-01
,parish,Midlands,,,,
Coldby County Council,county,East Midlands,,01/06/2025,,
Ashby District Council,district,East Midlands,,,,
Dunby Metropolitan Borough Council,metropolitan borough,North West,,,,
"""


def test_a_good_csv_imports_every_row(registers):
    report = registers.import_authorities_csv(GOOD_CSV, **WHO)
    assert report["imported"] == 2
    assert [a["name"] for a in registers.list_authorities()] == [
        "Ashby District Council", "Fenland Borough Council"]
    assert registers.get_authority("Fenland Borough Council")["sub_region"] is None


def test_a_csv_with_bad_rows_imports_nothing_and_reports_each_bad_row(registers):
    with pytest.raises(ImportRefused) as refused:
        registers.import_authorities_csv(BAD_CSV, **WHO)
    rows = {(r["line"], r["field"]) for r in refused.value.rows}
    assert rows == {(3, "name"), (3, "authority_type"), (3, "region"),
                    (4, "mutuality_signed_on"), (5, "name")}
    assert "3 of 5 rows refused (lines 3, 4, 5)" in refused.value.message
    assert "line 5: Ashby District Council is also on line 2" in refused.value.message
    assert registers.list_authorities() == []


def test_a_csv_row_already_in_the_register_is_refused(registers):
    council(registers, "Fenland Borough Council", region="East of England")
    with pytest.raises(ImportRefused) as refused:
        registers.import_authorities_csv(GOOD_CSV, **WHO)
    [row] = refused.value.rows
    assert (row["line"], row["rule"]) == (3, "already_registered")
    assert len(registers.list_authorities()) == 1


def test_a_csv_with_unknown_columns_is_refused_whole(registers):
    with pytest.raises(ImportRefused) as refused:
        registers.import_authorities_csv("name,type,region\nA,county,London\n", **WHO)
    assert "unknown: type" in refused.value.message and "missing: authority_type" in (
        refused.value.message)


def test_duties_list_every_authority_soonest_first(registers):
    council(registers, "Ashby District Council", last_self_evaluation="2026-02-01",
            last_peer_challenge="2022-11-01")
    council(registers, "Byford District Council", last_self_evaluation="2026-06-01",
            last_peer_challenge="2025-01-01")
    duties = registers.authority_duties()
    assert [(d["authority"][:6], d["duty"], d["due"], d["status"]) for d in duties] == [
        ("Ashby ", "corporate peer challenge", date(2025, 11, 1), "overdue"),
        ("Ashby ", "self-evaluation", date(2027, 2, 1), "not yet due"),
        ("Byford", "self-evaluation", date(2027, 6, 1), "not yet due"),
        ("Byford", "corporate peer challenge", date(2028, 1, 1), "not yet due"),
    ]
    ashby = registers.get_authority("Ashby District Council")["id"]
    assert {d["authority_id"] for d in duties[:2]} == {str(ashby)}
    registers.record_peer_challenge("Ashby District Council", on="2026-11-20", **WHO)
    assert registers.authority_duties()[0]["authority"] == "Ashby District Council"
    assert registers.authority_duties()[0]["duty"] == "self-evaluation"


def test_a_peer_needs_their_own_council_registered(registers):
    with pytest.raises(InvalidField) as refused:
        peer(registers, "Pat Jones", "Nowhere Council")
    assert (refused.value.field, refused.value.rule) == ("council", "authority_not_registered")


def test_matching_excludes_conflicts_and_commissioning_reserves_capacity(registers):
    council(registers, "Ashby District Council")
    council(registers, "Byford District Council")
    pat = peer(registers, "Pat Jones", "Ashby District Council", days=10)
    sam = peer(registers, "Sam Patel", "Byford District Council", days=10)
    assessor = offer(registers, "Sub-regional review", provider_type="sub-regional partnership",
                     assesses=["Ashby District Council"])
    clean = offer(registers, "Finance diagnostic", days=8)

    found = registers.match(authority="Ashby District Council",
                            problem_natures=["financial"], days=5)
    assert [m["id"] for m in found["offers"]] == [str(clean)]
    assert [m["id"] for m in found["peers"]] == [str(sam)]
    assert {e["id"] for e in found["excluded"]} == {str(pat), str(assessor)}

    registers.commission_offer(clean, case_id="case-1", authority="Ashby District Council",
                               days=5, **WHO)
    deployed = registers.deploy_peer(sam, case_id="case-1", authority="Ashby District Council",
                                     days=6, **WHO)
    found = registers.match(authority="Ashby District Council",
                            problem_natures=["financial"], days=5)
    assert found["offers"] == [] and found["peers"] == []
    assert "no capacity: 3 days left, 5 needed" in {e["reason"] for e in found["excluded"]}

    registers.end_peer_deployment(sam, deployed["deployment_id"], **WHO)
    assert registers.get_peer(sam)["days_left"] == 10


def test_a_conflicted_commission_or_deployment_is_refused_and_writes_nothing(registers):
    council(registers, "Ashby District Council")
    pat = peer(registers, "Pat Jones", "Ashby District Council")
    assessor = offer(registers, "Sub-regional review", assesses=["Ashby District Council"])
    with pytest.raises(RuleViolation) as refused:
        registers.deploy_peer(pat, case_id="c", authority="Ashby District Council", days=1,
                              **WHO)
    assert refused.value.rule == "peer_own_council"
    with pytest.raises(RuleViolation) as refused:
        registers.commission_offer(assessor, case_id="c", authority="Ashby District Council",
                                   days=1, **WHO)
    assert refused.value.rule == "provider_conflict_of_interest"
    assert registers.get_peer(pat)["version"] == 1
    assert registers.get_offer(assessor)["version"] == 1


def test_paid_support_commits_its_cost_and_an_overspend_is_refused_whole(registers):
    council(registers, "Ashby District Council")
    paid = offer(registers, "Interim finance director", cost=1_000, days=100)
    with pytest.raises(RuleViolation) as refused:
        registers.commission_offer(paid, case_id="c", authority="Ashby District Council",
                                   days=1, **WHO)
    assert refused.value.rule == "no_budget"
    registers.set_budget(region=EAST, financial_year="2026/27", total=1_000_000,
                         allocation=50_000, **WHO)
    registers.commission_offer(paid, case_id="c", authority="Ashby District Council",
                               days=30, **WHO)
    with pytest.raises(RuleViolation) as refused:
        registers.commission_offer(paid, case_id="c2", authority="Ashby District Council",
                                   days=21, **WHO)
    assert refused.value.rule == "budget_overspend"
    assert "£30,000 of £50,000 is already committed, £20,000 left" in refused.value.message
    assert registers.get_offer(paid)["days_left"] == 70  # the refused 21 days stay free
    assert registers.get_budget(EAST, "2026/27")["committed"] == 30_000


def test_a_budget_over_5_percent_is_refused_and_nothing_is_written(registers):
    with pytest.raises(RuleViolation) as refused:
        registers.set_budget(region=EAST, financial_year="2026/27", total=1_000_000,
                             allocation=50_001, **WHO)
    assert refused.value.rule == "allocation_over_5_percent"
    with pytest.raises(NotRegistered):
        registers.get_budget(EAST, "2026/27")


def test_the_regional_picture_reflects_support_commissioned_and_money_spent(registers):
    council(registers, "Ashby District Council")
    council(registers, "Byford District Council")
    council(registers, "Camden Town Council", region="London")
    registers.set_budget(region=EAST, financial_year="2026/27", total=2_000_000,
                         allocation=100_000, **WHO)
    paid = offer(registers, "Finance recovery", cost=2_000)
    free = offer(registers, "Leadership mentoring", natures=["political"], region=None,
                 provider_type="leadership centre")
    sam = peer(registers, "Sam Patel", "Byford District Council")
    commission = registers.commission_offer(paid, case_id="case-1",
                                            authority="Ashby District Council", days=10, **WHO)
    registers.commission_offer(free, case_id="case-1", authority="Ashby District Council",
                               days=3, **WHO)
    registers.deploy_peer(sam, case_id="case-1", authority="Ashby District Council", days=4,
                          **WHO)
    registers.record_spend(commission["commission_id"], amount=12_000, actor_id="finance")

    picture = {r["region"]: r for r in registers.regional_picture()}
    east = picture[EAST]
    assert east["authorities"] == 2
    assert sorted((o["offer"], o["days"], o["cost"]) for o in east["offers_in_use"]) == [
        ("Finance recovery", 10, 20_000), ("Leadership mentoring", 3, 0)]
    assert [(p["peer"], p["authority"]) for p in east["peers_deployed"]] == [
        ("Sam Patel", "Ashby District Council")]
    assert east["budget"] == {"financial_year": "2026/27", "total": 2_000_000,
                              "allocation": 100_000, "committed": 20_000, "spent": 12_000,
                              "uncommitted": 80_000}
    assert picture["London"]["authorities"] == 1 and picture["London"]["budget"] is None
    assert len(picture) == 9

    registers.end_commission(paid, commission["commission_id"], **WHO)
    east = {r["region"]: r for r in registers.regional_picture()}[EAST]
    assert [o["offer"] for o in east["offers_in_use"]] == ["Leadership mentoring"]
    assert (east["budget"]["committed"], east["budget"]["spent"]) == (12_000, 12_000)


def test_bad_input_names_the_field(registers):
    with pytest.raises(InvalidField) as refused:
        offer(registers, "Odd offer", natures=["moral"])
    assert refused.value.field == "problem_natures"
    with pytest.raises(NotRegistered) as refused:
        registers.match(authority="Nowhere Council", problem_natures=["financial"])
    assert refused.value.field == "authority"


def test_a_busy_offer_reads_back_the_same_through_its_snapshots(registers, settings):
    council(registers, "Ashby District Council")
    busy = offer(registers, "Busy offer", days=500)
    made = [registers.commission_offer(busy, case_id=f"case-{n}",
                                       authority="Ashby District Council", days=1, **WHO)
            for n in range(60)]
    for commission in made[:30]:
        registers.end_commission(busy, commission["commission_id"], **WHO)
    again = RegisterService(settings.eventsourcing_env())
    try:
        assert again.get_offer(busy)["days_left"] == 470
        assert again.get_offer(busy)["version"] == 91
        assert [s.originator_version for s in again.snapshots.get(busy)] == [50]
    finally:
        again.close()


def test_listing_councils_reads_only_the_log_written_since_the_last_list(
        registers, settings: Settings):
    """The registers share their log with every case: a council list that read it whole
    each time made My work take seconds with 100,000 cases."""
    council(registers, "Ashby Vale District Council")
    inner = registers.recorder.inner
    read = []
    select = inner.select_notifications

    def counted(*args, **kwargs):
        batch = select(*args, **kwargs)
        read.extend(batch)
        return batch

    inner.select_notifications = counted
    assert [a["name"] for a in registers.list_authorities()] == ["Ashby Vale District Council"]
    first = len(read)
    assert first >= 1
    registers.list_authorities()
    assert len(read) == first  # nothing written since: nothing read again
    other = RegisterService(settings.eventsourcing_env())  # another process registers one
    try:
        council(other, "Byford District Council")
    finally:
        other.close()
    assert [a["name"] for a in registers.list_authorities()] == [
        "Ashby Vale District Council", "Byford District Council"]
    assert len(read) == first + 1  # the one event written since, and only that
