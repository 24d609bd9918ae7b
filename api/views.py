"""What each reader is shown: Chatham House sources withheld from all but coordinators.

The rule itself lives in domain/ (`may_see_confidential_sources`, and the
redaction helpers of domain/confidentiality.py); this module only applies it
to the case, its history, its as-of views and its exports.
"""

from typing import Any

from domain.confidentiality import redact_case, redact_event
from domain.identity import Principal, Role, may_see_confidential_sources

_PEER_FIELDS = ("id", "version", "authority", "region", "stage", "status")


def case_for(who: Principal, case: dict[str, Any]) -> dict[str, Any]:
    """The case as this person may see it."""
    if who.role is Role.PEER:
        own = {k: d for k, d in (case.get("deployments") or {}).items()
               if d.get("peer_id") == who.id}
        return {**{k: case[k] for k in _PEER_FIELDS if k in case}, "deployments": own,
                "summary": case.get("summary", ""), "source": "", "issue_type":
                case.get("issue_type", ""), "raised_at": case.get("raised_at"),
                "deadlines": {}}
    return case if may_see_confidential_sources(who) else redact_case(case)


def event_for(who: Principal, event: dict[str, Any]) -> dict[str, Any]:
    return event if may_see_confidential_sources(who) else redact_event(event)


def redactor_for(who: Principal):
    """The export's redaction step for this reader (None: nothing withheld)."""
    return None if may_see_confidential_sources(who) else redact_event
