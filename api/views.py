"""What each reader is shown: Chatham House sources withheld from all but coordinators
and, on one case, the members of the confidential group granted access to it.

The rule itself lives in domain/ (`may_see_confidential_sources`, and the
redaction helpers of domain/confidentiality.py); this module only applies it
to the case, its history, its as-of views and its exports.
"""

from typing import Any

from domain.confidentiality import redact_case, redact_event
from domain.identity import Principal, Role, may_see_confidential_sources

_PEER_FIELDS = ("id", "version", "authority", "region", "stage", "status")


def case_for(who: Principal, case: dict[str, Any],
             current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The case as this person may see it (`current`: the case now, for an as-of view)."""
    if who.role is Role.PEER:
        own = {k: d for k, d in (case.get("deployments") or {}).items()
               if d.get("peer_id") == who.id}
        return {**{k: case[k] for k in _PEER_FIELDS if k in case}, "deployments": own,
                "summary": case.get("summary", ""), "source": "", "issue_type":
                case.get("issue_type", ""), "raised_at": case.get("raised_at"),
                "deadlines": {}}
    return case if cleared(who, current or case) else redact_case(case)


def cleared(who: Principal, case: dict[str, Any]) -> bool:
    """Whether this person may read the case's confidential material: by role, or by a
    grant recorded on the case as it stands now (an as-of view is judged by today's grants)."""
    return may_see_confidential_sources(who, case.get("confidential_access") or ())


def event_for(who: Principal, event: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """One event of `case` as this person may see it."""
    return event if cleared(who, case) else redact_event(event)


def redactor_for(who: Principal, case: dict[str, Any]):
    """The export's redaction step for this reader of `case` (None: nothing withheld)."""
    return None if cleared(who, case) else redact_event
