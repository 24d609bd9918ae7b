"""Support plan actions: each SMART, with an owner, provider, cost, due date and measure.

An action without an owner, a due date or an outcome measure cannot be held to
account, so the plan is refused by the rule `plan_actions_are_smart`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import InvalidField, RuleViolation
from domain.moments import check_date

SMART_FIELDS = ("owner", "due", "measure")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _due_date(value: Any, field: str) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(value if isinstance(value, str) else "")
        except ValueError:
            raise InvalidField(f"{field} must be a date such as 2026-03-31; got {value!r}",
                               field=field) from None
    return check_date(value, field).isoformat()


def money(value: Any, field: str) -> Decimal:
    """Pounds; 0 means free at the point of delivery."""
    try:
        cost = Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        raise InvalidField(f"{field} must be a sum in pounds; got {value!r}", field=field) from None
    if not cost.is_finite() or cost < 0:
        raise InvalidField(f"{field} must be zero or more pounds; got {value!r}", field=field)
    return cost.quantize(Decimal("0.01"))


def check_smart(action: Mapping[str, Any], field: str) -> None:
    """Every action has an owner, a due date and an outcome measure."""
    for name in SMART_FIELDS:
        value = action.get(name)
        if not (_text(value) or (name == "due" and isinstance(value, date))):
            raise RuleViolation(
                f"every plan action needs an owner, a due date and an outcome measure; "
                f"{field} has no {name}",
                rule="plan_actions_are_smart", field=f"{field}.{name}",
            )


@dataclass(frozen=True)
class PlanAction:
    """One SMART action of a support plan: what, who owns it, who provides it, at what
    cost, due when, and the outcome measure its progress is reviewed against."""

    description: str
    owner: str
    provider: str
    cost: Decimal
    due: date
    measure: str

    @classmethod
    def from_input(cls, action: Any, index: int) -> "PlanAction":
        """Checked and trimmed; refused by `plan_actions_are_smart` when not SMART."""
        field = f"actions[{index}]"
        if not isinstance(action, Mapping):
            raise InvalidField(f"{field} must be an object", field=field)
        check_smart(action, field)
        for name in ("description", "provider"):
            if not _text(action.get(name)):
                raise InvalidField(f"{field}.{name} is required and must not be blank",
                                   field=f"{field}.{name}")
        return cls(description=_text(action["description"]), owner=_text(action["owner"]),
                   provider=_text(action["provider"]),
                   cost=money(action.get("cost"), f"{field}.cost"),
                   due=date.fromisoformat(_due_date(action["due"], f"{field}.due")),
                   measure=_text(action["measure"]))

    def as_fields(self) -> dict[str, Any]:
        """As stored in the plan's events: the due date as ISO text, the cost in pounds."""
        return {"description": self.description, "owner": self.owner,
                "provider": self.provider, "cost": self.cost, "due": self.due.isoformat(),
                "measure": self.measure}


def plan_actions(actions: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """A plan has at least one action, each SMART."""
    checked = [PlanAction.from_input(a, i).as_fields() for i, a in enumerate(actions or [])]
    if not checked:
        raise InvalidField("a support plan needs at least one action", field="actions")
    return checked


def measures(actions: Iterable[Mapping[str, Any]]) -> list[str]:
    """The outcome measures a progress review reports against."""
    return [a["measure"] for a in actions]
