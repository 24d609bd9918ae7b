"""Chatham House: the content of intelligence may be used, its source never revealed.

The event keeps the source (the confidential group needs it, and history must be
complete); these helpers give everyone else a view with the source withheld.
They work on the primitive views the services layer produces, so the same rule
serves the case, its history and its exports.

A document attached under Chatham House is withheld from the same readers: its title
and filename read as withheld, and its hash, size and media type are not shown (a
hash would let a reader who holds a copy confirm which file it is). Its kind, step
and date stay, so the reader knows evidence exists and where it sits.
"""

from collections.abc import Mapping
from typing import Any

from domain.vocabulary import Confidentiality

WITHHELD = "withheld (Chatham House)"
INTELLIGENCE_ADDED = "IntelligenceAdded"
DOCUMENT_ATTACHED = "DocumentAttached"
DOCUMENT_SHOWN_AS_WITHHELD = ("title", "filename")
DOCUMENT_NOT_SHOWN = ("sha256", "size", "media_type")


def is_chatham_house(item: Mapping[str, Any]) -> bool:
    return item.get("confidentiality") == Confidentiality.CHATHAM_HOUSE.value


def redact_intelligence(item: Mapping[str, Any]) -> dict[str, Any]:
    """One intelligence item, its source withheld when shared under Chatham House."""
    shown = dict(item)
    if is_chatham_house(item):
        shown["source"] = WITHHELD
    return shown


def redact_document(item: Mapping[str, Any]) -> dict[str, Any]:
    """One document's facts, withheld when attached under Chatham House."""
    if not is_chatham_house(item):
        return dict(item)
    shown = {k: v for k, v in item.items() if k not in DOCUMENT_NOT_SHOWN}
    shown.update((k, WITHHELD) for k in DOCUMENT_SHOWN_AS_WITHHELD if k in item)
    return shown


def redact_event(view: Mapping[str, Any]) -> dict[str, Any]:
    """An event view ({"type", "data", ...}) fit for a reader without clearance.

    IntelligenceAdded carries a protected source, DocumentAttached a protected file;
    the actor who recorded either is kept, since the coordinator is not the source.
    """
    shown = dict(view)
    if view.get("type") == INTELLIGENCE_ADDED and "data" in view:
        shown["data"] = redact_intelligence(view["data"])
    if view.get("type") == DOCUMENT_ATTACHED and "data" in view:
        shown["data"] = redact_document(view["data"])
    return shown


def redact_case(view: Mapping[str, Any]) -> dict[str, Any]:
    """A case view fit for a reader without clearance: every Chatham House source and
    document withheld."""
    shown = dict(view)
    if "intelligence" in view:
        shown["intelligence"] = [redact_intelligence(i) for i in view["intelligence"]]
    if "documents" in view:
        shown["documents"] = [redact_document(d) for d in view["documents"]]
    return shown
