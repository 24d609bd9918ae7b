"""Closing a case: the exit strategy, and the follow-up review a year on.

Seed 004's Liverpool study ends sector support with an exit strategy: the
council transfers "responsibility for improvement into its own continuous
budget and performance improvement cycle and framework", led by its chief
executive, "who will also have overall ownership of the improvement agenda".
A case closed as improved says the same two things: how the council's own
improvement cycle takes over, and who in the council leads it from now on.
Seed 001 asks for the work to be "reviewed again in 12 months' time"; a case
closed as improved therefore gets a follow-up review, with its own deadline.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.errors import InvalidField, RuleViolation


def _part(given: Mapping[str, Any], name: str) -> str:
    value = given.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RuleViolation(
            f"the exit strategy must say {ExitStrategy.PARTS[name]}",
            rule="exit_strategy_needed", field=f"exit_strategy.{name}")
    return value.strip()


@dataclass(frozen=True)
class ExitStrategy:
    """How the council's own improvement cycle takes over when sector support ends."""

    handover: str
    """Into which of the council's own cycles or frameworks improvement passes, and how."""
    led_by: str
    """Who in the council leads and owns the improvement agenda from now on."""

    PARTS: ClassVar[dict[str, str]] = {
        "handover": "how the council's own improvement cycle takes over",
        "led_by": "who in the council leads the improvement agenda from now on"}

    @classmethod
    def from_input(cls, given: Any) -> "ExitStrategy":
        """Refuses an exit strategy missing either part, naming it (`exit_strategy.<part>`)."""
        if not isinstance(given, Mapping):
            raise InvalidField("exit_strategy must say how the council's own improvement "
                               "cycle takes over (handover) and who leads it (led_by)",
                               field="exit_strategy")
        return cls(handover=_part(given, "handover"), led_by=_part(given, "led_by"))

    def as_fields(self) -> dict[str, str]:
        """Primitives for the stored event."""
        return {"handover": self.handover, "led_by": self.led_by}
