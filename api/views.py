"""What each reader is shown: Chatham House sources withheld from all but coordinators
and, on one case, the members of the confidential group granted access to it. A peer
sees their own deployments and the documents attached to those visits.

The rule itself lives in domain/ (`may_see_confidential_sources`, and the
redaction helpers of domain/confidentiality.py); this module only applies it
to the case, its history, its as-of views and its exports.
"""

from typing import Any

from domain.confidentiality import redact_case, redact_document, redact_event
from domain.documents import DocumentStep
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
                "deadlines": {}, "documents": [
                    redact_document(d) for d in case.get("documents") or ()
                    if d.get("step") == DocumentStep.PEER_VISIT and d.get("step_ref") in own]}
    return case if cleared(who, current or case) else redact_case(case)


def document_for(who: Principal, case: dict[str, Any], document_id: str, *,
                 downloadable: bool = False) -> dict[str, Any] | None:
    """One document of the case as this person sees it; None when they may not see it
    at all (a peer, another deployment's) or, `downloadable`, may not have its bytes (a
    Chatham House document withheld from them): the download answers 404 alike."""
    shown = next((d for d in case_for(who, case).get("documents") or ()
                  if d.get("document_id") == document_id), None)
    if shown is None or (downloadable and "sha256" not in shown):
        return None
    return shown


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
