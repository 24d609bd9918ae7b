"""Matching a diagnosis against the support matrix and the peers: pure domain logic."""

from datetime import date

import pytest

from domain.errors import InvalidField, RuleViolation
from domain.matching import Need, match_support
from domain.offers import SupportOffer
from domain.peers import Peer

NEED = Need.of(authority="Eastshire County Council", region="East Midlands",
               problem_natures=["financial", "capability"], service_areas=["finance"], days=5,
               on=date(2026, 11, 23))
TODAY = NEED.on


def offer(title, *, natures=("financial",), areas=("finance",), region="East Midlands",
          days=50, cost=0, lead=10, provider_council=None, assesses=(),
          provider_type="RIEP"):
    return SupportOffer.publish(
        title=title, provider=f"{title} provider", provider_type=provider_type, region=region,
        problem_natures=natures, service_areas=areas, days_per_year=days, cost_per_day=cost,
        lead_time_days=lead, provider_council=provider_council, assesses=assesses,
        actor_id="coordinator")


def peer(name, *, council="Westshire County Council", natures=("financial",),
         areas=("finance",), days=10):
    return Peer.accredit(name=name, role="officer", organisation=council,
                         problem_natures=natures, service_areas=areas, days_per_quarter=days,
                         actor_id="coordinator", registered=lambda named: named)


def names(matches):
    return [m.name.split(" (")[0] for m in matches]


def test_a_peer_is_never_matched_to_their_own_council():
    own = peer("Pat Own", council="Eastshire County Council")
    other = peer("Sam Other")
    found = match_support(NEED, [], [own, other])
    assert names(found.peers) == ["Sam Other"]
    [excluded] = found.excluded
    assert excluded.name == "Pat Own" and "own council" in excluded.reason


def test_own_council_is_recognised_whatever_the_case_or_spacing():
    own = peer("Pat Own", council="eastshire  county council")
    assert match_support(NEED, [], [own]).peers == []


def test_an_excellent_councils_own_team_is_never_matched_to_that_council():
    team = offer("Finance recovery team", provider_type="excellent council team",
                 provider_council="Eastshire County Council")
    found = match_support(NEED, [team], [])
    assert found.offers == [] and "own team" in found.excluded[0].reason


def test_a_regional_body_that_assesses_the_council_is_excluded():
    assessor = offer("Sub-regional diagnostic", provider_type="sub-regional partnership",
                     assesses=["Eastshire County Council", "Northby District Council"])
    clean = offer("Regional finance support")
    found = match_support(NEED, [assessor, clean], [])
    assert names(found.offers) == ["Regional finance support"]
    assert "conflict of interest" in found.excluded[0].reason
    assert "assesses" in found.excluded[0].reason


def test_offers_and_peers_without_the_days_needed_are_excluded():
    full = offer("Busy offer", days=4)
    tired = peer("Tired Peer", days=4)
    found = match_support(NEED, [full], [tired])
    assert found.offers == [] and found.peers == []
    assert sorted(e.reason for e in found.excluded) == [
        "no capacity: 4 days left, 5 needed"] * 2


def test_reserved_days_count_against_capacity():
    busy = peer("Busy Peer", days=10)
    busy.deploy(deployment_id="d1", case_id="case-1", authority="Southby Borough Council",
                days=6, on=TODAY, actor_id="coordinator")
    assert match_support(NEED, [], [busy]).peers == []
    busy.end_deployment(deployment_id="d1", actor_id="coordinator")
    assert names(match_support(NEED, [], [busy]).peers) == ["Busy Peer"]


def test_offers_rank_by_problems_addressed_then_areas_then_cost_then_lead_time():
    both = offer("Both natures", natures=("financial", "capability"), areas=("housing",),
                 cost=900)
    one_area = offer("One nature with area", cost=500)
    one_free = offer("One nature free, no area", areas=("housing",))
    one_paid_slow = offer("One nature, area, slow", cost=500, lead=40)
    found = match_support(NEED, [one_free, one_paid_slow, one_area, both], [])
    assert names(found.offers) == ["Both natures", "One nature with area",
                                   "One nature, area, slow", "One nature free, no area"]


def test_free_support_ranks_above_paid_support_of_equal_fit():
    paid = offer("Paid", cost=750)
    free = offer("Free")
    assert names(match_support(NEED, [paid, free], []).offers) == ["Free", "Paid"]


def test_peers_rank_by_fit_then_by_days_left():
    expert = peer("Expert", natures=("financial", "capability"), days=3 + 5)
    roomy = peer("Roomy", days=40)
    narrow = peer("Narrow", days=12)
    assert names(match_support(NEED, [], [narrow, roomy, expert]).peers) == [
        "Expert", "Roomy", "Narrow"]


def test_each_match_gives_its_reasons():
    paid = offer("Paid", cost=750, lead=15)
    [match] = match_support(NEED, [paid], []).offers
    assert match.reasons == ("addresses financial problems", "expertise in finance",
                             "50 days left this year",
                             "costs £750 a day (£3,750 for 5 days)", "lead time 15 days")
    free = peer("Free Peer")
    [peer_match] = match_support(NEED, [], [free]).peers
    assert "officer peer from Westshire County Council" in peer_match.reasons


def test_support_that_addresses_none_of_the_problems_or_another_region_is_not_listed():
    political = offer("Political mentoring", natures=("political",))
    elsewhere = offer("London finance", region="London")
    national = offer("National finance", region=None)
    found = match_support(NEED, [political, elsewhere, national], [])
    assert names(found.offers) == ["National finance"] and found.excluded == []


def test_a_need_names_its_bad_field():
    with pytest.raises(InvalidField) as refused:
        Need.of(authority="X", region="East Midlands", problem_natures=["moral"])
    assert refused.value.field == "problem_natures" and "'financial'" in refused.value.message


def test_commissioning_checks_the_same_conflicts_and_capacity_as_matching():
    assessor = offer("Assessor", assesses=["Eastshire County Council"], days=10)
    with pytest.raises(RuleViolation) as refused:
        assessor.commission(commission_id="c1", case_id="case-1",
                            authority="Eastshire County Council", region="East Midlands",
                            days=1, on=TODAY, actor_id="coordinator")
    assert refused.value.rule == "provider_conflict_of_interest"
    with pytest.raises(RuleViolation) as refused:
        assessor.commission(commission_id="c2", case_id="case-2",
                            authority="Southby Borough Council", region="East Midlands",
                            days=11, on=TODAY, actor_id="coordinator")
    assert refused.value.rule == "offer_capacity" and "10 of 10 days" in refused.value.message
    with pytest.raises(RuleViolation) as refused:
        peer("Pat", council="Southby Borough Council").deploy(
            deployment_id="d", case_id="c", authority="Southby Borough Council", days=1,
            on=TODAY, actor_id="coordinator")
    assert refused.value.rule == "peer_own_council"


def test_a_peers_days_renew_each_quarter():
    """Days used in a past quarter do not count against this one."""
    sam = peer("Sam", days=10)
    sam.deploy(deployment_id="d1", case_id="case-1", authority="Southby Borough Council",
               days=8, on=date(2026, 12, 31), actor_id="coordinator")
    with pytest.raises(RuleViolation) as refused:  # over this quarter's capacity
        sam.deploy(deployment_id="d2", case_id="case-2", authority="Southby Borough Council",
                   days=3, on=date(2026, 12, 31), actor_id="coordinator")
    assert refused.value.rule == "peer_capacity" and refused.value.field == "days"
    assert "2 of 10 days left in 2026 Q4" in refused.value.message
    assert sam.days_left(date(2027, 1, 1)) == 10
    sam.deploy(deployment_id="d2", case_id="case-2", authority="Southby Borough Council",
               days=10, on=date(2027, 1, 1), actor_id="coordinator")  # the next quarter
    assert (sam.days_left(date(2026, 12, 31)), sam.days_left(date(2027, 3, 31))) == (2, 0)


def test_an_offers_days_renew_each_financial_year():
    review = offer("Review", days=10)
    review.commission(commission_id="c1", case_id="case-1", authority="Southby Borough Council",
                      region="East Midlands", days=10, on=date(2027, 3, 31),
                      actor_id="coordinator")
    with pytest.raises(RuleViolation) as refused:
        review.commission(commission_id="c2", case_id="case-2",
                          authority="Southby Borough Council", region="East Midlands",
                          days=1, on=date(2027, 3, 31), actor_id="coordinator")
    assert refused.value.rule == "offer_capacity"
    assert "0 of 10 days left in 2026/27" in refused.value.message
    review.commission(commission_id="c2", case_id="case-2", authority="Southby Borough Council",
                      region="East Midlands", days=10, on=date(2027, 4, 1),
                      actor_id="coordinator")
    assert review.days_left(date(2027, 4, 1)) == 0


def partner_peer(name, *, conflicts=()):
    """A charity's official; the register knows only councils whose names end so."""
    return Peer.accredit(name=name, role="official", organisation="NSPCC",
                         organisation_kind="charity", problem_natures=["financial"],
                         service_areas=["finance"], days_per_quarter=10,
                         conflicts_of_interest=conflicts, actor_id="coordinator",
                         registered=lambda named: named if named.endswith("Council") else None)


def test_a_partner_organisations_peer_is_matched_with_their_organisation_named():
    [match] = match_support(NEED, [], [partner_peer("Nadia Shah")]).peers
    assert "official peer from NSPCC (charity)" in match.reasons


def test_a_recorded_conflict_excludes_a_partner_peer_and_refuses_their_deployment():
    nadia = partner_peer("Nadia Shah", conflicts=["Eastshire County Council"])
    found = match_support(NEED, [], [nadia])
    assert found.peers == [] and "conflict of interest" in found.excluded[0].reason
    with pytest.raises(RuleViolation) as refused:
        nadia.deploy(deployment_id="d1", case_id="c1", authority="Eastshire County Council",
                     days=1, on=TODAY, actor_id="coordinator")
    assert refused.value.rule == "peer_conflict_of_interest"
