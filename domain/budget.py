"""The RIEP's support budget: what may be spent on struggling authorities.

Seed 003: the annual business plan's element for supporting struggling and
weak councils "should not be more than 5% of the total annual budget". Money
is committed per case before it is spent, and nothing may be committed beyond
the allocation; each refusal shows the figures so the coordinator can see why.
Amounts are whole pounds.
"""

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidField, RuleViolation
from domain.registers import Region, one_of, pounds, register_id, required_text, whole_number

ALLOCATION_CAP_PERCENT = 5


def financial_year(day: date) -> str:
    """The UK public-sector financial year (April to March) holding `day`, e.g. '2026/27'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def check_financial_year(value: Any) -> str:
    text = required_text(value, "financial_year")
    parts = text.split("/")
    if (len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4
            or parts[1] != f"{(int(parts[0]) + 1) % 100:02d}"):
        raise InvalidField(f"financial_year must read like '2026/27'; got {value!r}",
                           field="financial_year")
    return text


def check_allocation_cap(total: int, allocation: int) -> None:
    """The allocation for struggling authorities is at most 5% of the total budget."""
    cap = total * ALLOCATION_CAP_PERCENT // 100
    if allocation > cap:
        raise RuleViolation(
            f"the allocation for supporting struggling authorities, {pounds(allocation)}, is "
            f"over {ALLOCATION_CAP_PERCENT}% of the total annual budget of {pounds(total)} "
            f"(at most {pounds(cap)})", rule="allocation_over_5_percent", field="allocation")


class SupportBudget(Aggregate):
    """One region's RIEP budget for one financial year."""

    @staticmethod
    def create_id(region: str, financial_year: str) -> UUID:
        return register_id("budget", f"{region}|{financial_year}")

    @classmethod
    def set(cls, *, region: str, financial_year: str, total: int, allocation: int,
            actor_id: str) -> "SupportBudget":
        total = whole_number(total, "total", minimum=1)
        allocation = whole_number(allocation, "allocation")
        check_allocation_cap(total, allocation)
        return cls(region=one_of(region, Region, "region"),
                   financial_year=check_financial_year(financial_year), total=total,
                   allocation=allocation, actor_id=required_text(actor_id, "actor_id"))

    @event("Set")
    def __init__(self, *, region: str, financial_year: str, total: int, allocation: int,
                 actor_id: str) -> None:
        self.region = region
        self.financial_year = financial_year
        self.total = total
        self.allocation = allocation
        self.commitments: dict[str, dict[str, Any]] = {}

    # -- figures ---------------------------------------------------------------

    @property
    def committed(self) -> int:
        return sum(c["amount"] for c in self.commitments.values())

    @property
    def spent(self) -> int:
        return sum(c["spent"] for c in self.commitments.values())

    @property
    def uncommitted(self) -> int:
        return self.allocation - self.committed

    def committed_for(self, case_id: str) -> int:
        return sum(c["amount"] for c in self.commitments.values() if c["case_id"] == case_id)

    # -- commands --------------------------------------------------------------

    def revise(self, *, total: int, allocation: int, actor_id: str) -> None:
        """Change the figures; never below what is already committed."""
        total = whole_number(total, "total", minimum=1)
        allocation = whole_number(allocation, "allocation")
        check_allocation_cap(total, allocation)
        if allocation < self.committed:
            raise RuleViolation(
                f"{pounds(self.committed)} is already committed; the allocation cannot fall "
                f"to {pounds(allocation)}", rule="allocation_below_commitments",
                field="allocation")
        self._revised(total=total, allocation=allocation, actor_id=actor_id)

    @event("Revised")
    def _revised(self, *, total: int, allocation: int, actor_id: str) -> None:
        self.total = total
        self.allocation = allocation

    def commit(self, *, commitment_id: str, case_id: str, authority: str, amount: int,
               purpose: str, actor_id: str) -> None:
        """Set money aside for one case; refused, with the figures, if it would overspend."""
        amount = whole_number(amount, "amount", minimum=1)
        if amount > self.uncommitted:
            raise RuleViolation(
                f"committing {pounds(amount)} would overspend the {self.region} "
                f"{self.financial_year} allocation: {pounds(self.committed)} of "
                f"{pounds(self.allocation)} is already committed, {pounds(self.uncommitted)} "
                f"left", rule="budget_overspend", field="amount")
        self._committed(commitment_id=commitment_id, case_id=required_text(case_id, "case_id"),
                        authority=required_text(authority, "authority"), amount=amount,
                        purpose=required_text(purpose, "purpose", max_length=500),
                        actor_id=actor_id)

    @event("Committed")
    def _committed(self, *, commitment_id: str, case_id: str, authority: str, amount: int,
                   purpose: str, actor_id: str) -> None:
        self.commitments[commitment_id] = {"case_id": case_id, "authority": authority,
                                           "amount": amount, "spent": 0, "purpose": purpose}

    def record_spend(self, *, commitment_id: str, amount: int, actor_id: str) -> None:
        """Money actually paid out against a commitment, never more than it set aside."""
        commitment = self._commitment(commitment_id)
        amount = whole_number(amount, "amount", minimum=1)
        left = commitment["amount"] - commitment["spent"]
        if amount > left:
            raise RuleViolation(
                f"spending {pounds(amount)} would exceed the commitment: "
                f"{pounds(commitment['spent'])} of {pounds(commitment['amount'])} is already "
                f"spent, {pounds(left)} left", rule="spend_over_commitment", field="amount")
        self._spent(commitment_id=commitment_id, amount=amount, actor_id=actor_id)

    @event("Spent")
    def _spent(self, *, commitment_id: str, amount: int, actor_id: str) -> None:
        self.commitments[commitment_id]["spent"] += amount

    def release(self, *, commitment_id: str, actor_id: str) -> int:
        """Return what a commitment has not spent to the allocation; the amount released."""
        commitment = self._commitment(commitment_id)
        unspent = int(commitment["amount"] - commitment["spent"])
        if unspent:
            self._released(commitment_id=commitment_id, amount=unspent, actor_id=actor_id)
        return unspent

    @event("Released")
    def _released(self, *, commitment_id: str, amount: int, actor_id: str) -> None:
        self.commitments[commitment_id]["amount"] -= amount

    def _commitment(self, commitment_id: str) -> dict[str, Any]:
        if commitment_id not in self.commitments:
            raise InvalidField(f"no commitment {commitment_id} in this budget",
                               field="commitment_id")
        return self.commitments[commitment_id]
