"""The national picture's arithmetic: every region in the usual order, England's totals,
and each budget's use against the 5% cap."""

from domain.national_picture import budget_used, national_picture
from domain.registers import Region


def _count(region: str, stage: str, band: str | None, n: int, overdue: int = 0,
           flags: int = 0) -> dict:
    return {"region": region, "stage": stage, "risk_band": band, "open": n,
            "overdue": overdue, "red_flags": flags}


def test_every_region_appears_in_order_with_england_last():
    picture = national_picture([], {})
    assert [r["region"] for r in picture] == [r.value for r in Region] + ["England"]
    assert all(r["open"] == 0 and r["budget"] is None for r in picture)


def test_counts_add_up_by_stage_by_risk_and_for_england():
    picture = {r["region"]: r for r in national_picture([
        _count("London", "local", None, 2, overdue=1),
        _count("London", "RIEP", "key risk", 1, flags=1),
        _count("North East", "local", "key risk", 4)], {})}
    assert picture["London"]["by_stage"] == {"local": 2, "RIEP": 1, "government meeting": 0}
    assert picture["London"]["by_risk"]["not assessed"] == 2
    assert picture["England"]["by_risk"]["key risk"] == 5
    assert (picture["England"]["open"], picture["England"]["overdue"],
            picture["England"]["red_flags"]) == (7, 1, 1)


def test_a_budget_is_read_against_its_cap_and_its_allocation():
    used = budget_used({"total": 2_000_000, "allocation": 80_000, "committed": 20_000,
                        "spent": 5_000})
    assert used == {"total": 2_000_000, "cap": 100_000, "allocation": 80_000,
                    "committed": 20_000, "spent": 5_000, "allocation_of_cap": 80,
                    "committed_of_allocation": 25}
    assert budget_used(None) is None
    assert budget_used({"total": 10, "allocation": 0, "committed": 0,
                        "spent": 0})["committed_of_allocation"] is None


def test_england_adds_up_the_budgets_the_regions_set():
    budget = {"total": 1_000_000, "allocation": 50_000, "committed": 10_000, "spent": 0}
    england = national_picture([], {"London": budget, "South East": budget})[-1]
    assert england["budget"]["cap"] == 100_000 and england["budget"]["allocation_of_cap"] == 100
