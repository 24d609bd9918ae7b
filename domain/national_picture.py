"""The national picture: the nine regions side by side, for inspectors and administrators.

Per region: its open cases by stage and by risk band, how many are overdue or carry a
red flag, and how much of its support budget is used against the 5% cap. The case
figures come from the case list's counts (one row per region, stage and risk band);
the budgets from the regional picture of the registers (domain/regional_picture.py).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from domain.budget import ALLOCATION_CAP_PERCENT
from domain.registers import Region
from domain.vocabulary import RiskBand, Stage

NOT_ASSESSED = "not assessed"
BANDS = (*(b.value for b in RiskBand), NOT_ASSESSED)
STAGES = tuple(s.value for s in Stage)


def _empty(region: str) -> dict[str, Any]:
    return {"region": region, "open": 0, "by_stage": dict.fromkeys(STAGES, 0),
            "by_risk": dict.fromkeys(BANDS, 0), "overdue": 0, "red_flags": 0, "budget": None}


def budget_used(budget: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A region's budget against the cap: the allocation as a share of the cap (at most
    100%, the rule of domain/budget.py), and what is committed and spent of it."""
    if not budget:
        return None
    total, allocation = int(budget["total"]), int(budget["allocation"])
    cap = total * ALLOCATION_CAP_PERCENT // 100
    return {"total": total, "cap": cap, "allocation": allocation,
            "committed": int(budget["committed"]), "spent": int(budget["spent"]),
            "allocation_of_cap": _percent(allocation, cap),
            "committed_of_allocation": _percent(int(budget["committed"]), allocation)}


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def national_picture(counts: Iterable[Mapping[str, Any]],
                     budgets: Mapping[str, Mapping[str, Any] | None]
                     ) -> list[dict[str, Any]]:
    """One entry per English region, in the usual order, then England's totals.

    `counts`: open cases counted by region, stage and risk band, each with how many of
    them are overdue and how many carry a red flag; `budgets`: each region's budget for
    the year (None: not set)."""
    picture = {r.value: _empty(r.value) for r in Region}
    for row in counts:
        region = picture.setdefault(row["region"], _empty(row["region"]))
        stage, band = row["stage"], row["risk_band"] or NOT_ASSESSED
        region["open"] += row["open"]
        region["by_stage"][stage] = region["by_stage"].get(stage, 0) + row["open"]
        region["by_risk"][band] = region["by_risk"].get(band, 0) + row["open"]
        region["overdue"] += row["overdue"]
        region["red_flags"] += row["red_flags"]
    for name, entry in picture.items():
        entry["budget"] = budget_used(budgets.get(name))
    return [*picture.values(), _england(list(picture.values()))]


def _england(regions: list[dict[str, Any]]) -> dict[str, Any]:
    """The regions' figures added up, their budgets too (of the regions that set one)."""
    total = _empty("England")
    for entry in regions:
        for key in ("open", "overdue", "red_flags"):
            total[key] += entry[key]
        for part in ("by_stage", "by_risk"):
            for name, n in entry[part].items():
                total[part][name] = total[part].get(name, 0) + n
    budgets = [e["budget"] for e in regions if e["budget"]]
    if budgets:
        total["budget"] = budget_used({key: sum(b[key] for b in budgets) for key in (
            "total", "allocation", "committed", "spent")})
    return total
