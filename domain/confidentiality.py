"""Chatham House: the content of intelligence may be used, its source never revealed.

The event keeps the source (the confidential group needs it, and history must be
complete); these helpers give everyone else a view with the source withheld.
They work on the primitive views the services layer produces, so the same rule
serves the case, its history and its exports.
"""

from collections.abc import Mapping
from typing import Any

from domain.vocabulary import Confidentiality

WITHHELD = "withheld (Chatham House)"
INTELLIGENCE_ADDED = "IntelligenceAdded"


def is_chatham_house(item: Mapping[str, Any]) -> bool:
    return item.get("confidentiality") == Confidentiality.CHATHAM_HOUSE.value


def redact_intelligence(item: Mapping[str, Any]) -> dict[str, Any]:
    """One intelligence item, its source withheld when shared under Chatham House."""
    shown = dict(item)
    if is_chatham_house(item):
        shown["source"] = WITHHELD
    return shown


def redact_event(view: Mapping[str, Any]) -> dict[str, Any]:
    """An event view ({"type", "data", ...}) fit for a reader without clearance.

    Only IntelligenceAdded carries a protected source; the actor who recorded it
    is kept, since the coordinator is not the source.
    """
    shown = dict(view)
    if view.get("type") == INTELLIGENCE_ADDED and "data" in view:
        shown["data"] = redact_intelligence(view["data"])
    return shown


def redact_case(view: Mapping[str, Any]) -> dict[str, Any]:
    """A case view fit for a reader without clearance: every Chatham House source withheld."""
    shown = dict(view)
    if "intelligence" in view:
        shown["intelligence"] = [redact_intelligence(i) for i in view["intelligence"]]
    return shown
