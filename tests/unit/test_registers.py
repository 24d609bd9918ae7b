"""Authorities' duties and the support budget's rules: pure domain, no store."""

from datetime import date

import pytest

from domain.authorities import Authority, authority_duties
from domain.budget import SupportBudget, financial_year
from domain.errors import InvalidField, RuleViolation

TODAY = date(2026, 11, 23)


def duties_by_name(**dates):
    duties = authority_duties("Eastshire County Council", "East Midlands",
                              dates.get("self_evaluation"), dates.get("peer_challenge"), TODAY,
                              known_since=dates.get("known_since", TODAY))
    return {d.duty: d for d in duties}


def test_a_self_evaluation_falls_due_a_year_after_the_last():
    duty = duties_by_name(self_evaluation=date(2026, 3, 1))["self-evaluation"]
    assert (duty.due, duty.status) == (date(2027, 3, 1), "not yet due")
    late = duties_by_name(self_evaluation=date(2025, 6, 30))["self-evaluation"]
    assert (late.due, late.status) == (date(2026, 6, 30), "overdue")


def test_a_corporate_peer_challenge_is_due_from_three_years_and_overdue_after_four():
    recent = duties_by_name(peer_challenge=date(2024, 5, 1))["corporate peer challenge"]
    window = duties_by_name(peer_challenge=date(2023, 1, 10))["corporate peer challenge"]
    late = duties_by_name(peer_challenge=date(2022, 11, 22))["corporate peer challenge"]
    assert recent.status == "not yet due" and recent.due == date(2027, 5, 1)
    assert window.status == "due" and window.latest == date(2027, 1, 10)
    assert late.status == "overdue"


def test_a_duty_never_done_is_due_from_the_day_the_register_knew_the_authority():
    duties = duties_by_name()
    assert {d.status for d in duties.values()} == {"due"}
    assert {d.due for d in duties.values()} == {TODAY}
    weeks_ago = duties_by_name(known_since=date(2026, 11, 2))
    assert {(d.due, d.status) for d in weeks_ago.values()} == {(date(2026, 11, 2), "overdue")}


def test_a_leap_day_anniversary_falls_on_28_february():
    duty = duties_by_name(self_evaluation=date(2024, 2, 29))["self-evaluation"]
    assert duty.due == date(2025, 2, 28)


def authority(**overrides):
    fields = dict(name="Eastshire County Council", authority_type="county",
                  region="East Midlands", sub_region="Eastshire", actor_id="coordinator")
    return Authority.register(**{**fields, **overrides})


def test_an_authority_refuses_an_unknown_type_or_region_naming_the_field():
    with pytest.raises(InvalidField) as refused:
        authority(authority_type="parish")
    assert refused.value.field == "authority_type" and "'London borough'" in refused.value.message
    with pytest.raises(InvalidField) as refused:
        authority(region="Midlands")
    assert refused.value.field == "region"


def test_recording_a_self_evaluation_moves_the_duty_on_but_never_backwards():
    council = authority(last_self_evaluation="2025-01-15")
    council.record_self_evaluation(on="2026-01-20", actor_id="coordinator")
    assert council.duties(TODAY)[0].due == date(2027, 1, 20)
    with pytest.raises(InvalidField) as refused:
        council.record_self_evaluation(on="2025-12-01", actor_id="coordinator")
    assert refused.value.field == "on"


def test_the_financial_year_runs_april_to_march():
    assert financial_year(date(2026, 4, 1)) == "2026/27"
    assert financial_year(date(2027, 3, 31)) == "2026/27"
    assert financial_year(date(2099, 12, 1)) == "2099/00"


def budget(total=4_000_000, allocation=200_000):
    return SupportBudget.set(region="East Midlands", financial_year="2026/27", total=total,
                             allocation=allocation, actor_id="coordinator")


def test_the_allocation_for_struggling_authorities_may_be_5_percent_of_the_total():
    assert budget(total=4_000_000, allocation=200_000).allocation == 200_000


def test_an_allocation_over_5_percent_is_refused_with_the_figures():
    with pytest.raises(RuleViolation) as refused:
        budget(total=4_000_000, allocation=200_001)
    assert refused.value.rule == "allocation_over_5_percent"
    assert refused.value.field == "allocation"
    assert "£200,001" in refused.value.message and "£4,000,000" in refused.value.message
    assert "at most £200,000" in refused.value.message
    with pytest.raises(RuleViolation):
        budget().revise(total=3_000_000, allocation=200_000, actor_id="coordinator")


def test_a_commitment_that_would_overspend_is_refused_with_the_figures():
    plan = budget(allocation=100_000)
    plan.commit(commitment_id="c1", case_id="case-1", authority="Eastshire County Council",
                amount=80_000, purpose="interim finance director", actor_id="coordinator")
    with pytest.raises(RuleViolation) as refused:
        plan.commit(commitment_id="c2", case_id="case-2", authority="Northby District Council",
                    amount=20_001, purpose="peer review", actor_id="coordinator")
    assert refused.value.rule == "budget_overspend"
    assert refused.value.message == (
        "committing £20,001 would overspend the East Midlands 2026/27 allocation: £80,000 of "
        "£100,000 is already committed, £20,000 left")
    assert plan.committed == 80_000
    plan.commit(commitment_id="c2", case_id="case-2", authority="Northby District Council",
                amount=20_000, purpose="peer review", actor_id="coordinator")
    assert plan.uncommitted == 0


def test_spend_is_recorded_against_a_commitment_and_never_beyond_it():
    plan = budget()
    plan.commit(commitment_id="c1", case_id="case-1", authority="Eastshire County Council",
                amount=10_000, purpose="diagnostic", actor_id="coordinator")
    plan.record_spend(commitment_id="c1", amount=6_000, actor_id="finance")
    with pytest.raises(RuleViolation) as refused:
        plan.record_spend(commitment_id="c1", amount=4_001, actor_id="finance")
    assert refused.value.rule == "spend_over_commitment" and "£4,000 left" in refused.value.message
    assert plan.release(commitment_id="c1", actor_id="coordinator") == 4_000
    assert (plan.committed, plan.spent, plan.committed_for("case-1")) == (6_000, 6_000, 6_000)


def test_an_allocation_cannot_fall_below_what_is_committed():
    plan = budget()
    plan.commit(commitment_id="c1", case_id="case-1", authority="Eastshire County Council",
                amount=150_000, purpose="recovery programme", actor_id="coordinator")
    with pytest.raises(RuleViolation) as refused:
        plan.revise(total=4_000_000, allocation=100_000, actor_id="coordinator")
    assert refused.value.rule == "allocation_below_commitments"


def test_a_financial_year_must_read_like_2026_27():
    with pytest.raises(InvalidField) as refused:
        SupportBudget.set(region="East Midlands", financial_year="2026-2027", total=1,
                          allocation=0, actor_id="coordinator")
    assert refused.value.field == "financial_year"
