"""What the case page shows of documents, and to whom it offers attaching one.

Each document is listed beside the step it belongs to (api/web/document_words.py says
them in words); the steps a person may attach to are the case's steps now
(`CaseService.document_steps`, the domain's rule) that the role rules let them use: a
peer only their own deployment's visits.
"""

from typing import Any
from uuid import UUID

from fastapi import Request

from api.deps import relations_of
from api.threads import in_thread
from api.web.document_words import (
    StepChoice,
    in_a_sentence,
    listed,
    placed,
    step_choices,
    step_of,
    step_value,
    visible,
)
from api.web.people import directory
from domain.documents import DocumentStep
from domain.identity import Principal, may, may_attach_document_to


def _may_attach_to(who: Principal, case: dict[str, Any], choice: StepChoice) -> bool:
    step, ref = step_of(choice.value)
    deployment = (case.get("deployments") or {}).get(ref) if step == \
        DocumentStep.PEER_VISIT else None
    return may_attach_document_to(who, step, deployment)


async def attachable_steps(request: Request, who: Principal, case: dict[str, Any]
                           ) -> list[StepChoice]:
    """The steps this person may attach a document to on this case now, by name."""
    people = await directory(request)
    steps = await in_thread(request.app.state.cases.document_steps, UUID(str(case["id"])))
    return [c for c in step_choices(case, steps, people) if _may_attach_to(who, case, c)]


async def documents_on_page(request: Request, who: Principal, shown: dict[str, Any],
                            known: dict[str, Any], *, now: bool) -> dict[str, Any]:
    """The case page's documents, by step, and (reading the case now) the steps this
    person may attach to, each a link beside its step."""
    people = await directory(request)
    offered = (now and not known.get("history_broken")  # nothing is recorded on a broken one
               and may(who, "attach document", relations_of(known)))
    steps = await attachable_steps(request, who, known) if offered else []
    documents = listed(shown, visible(who, shown, known), people)
    shown_beside = placed(shown)
    return {"documents": documents,
            "unplaced": [d for key, docs in documents.items() if key not in shown_beside
                         for d in docs],
            "elsewhere": [d for key, docs in documents.items() if key in shown_beside
                          and key != step_value(DocumentStep.CASE, "") for d in docs],
            "attach_steps": {step_of(s.value)[0] for s in steps},
            "attach_to": {s.value: in_a_sentence(s.label) for s in steps},
            "step_words": {s.name: s.value for s in DocumentStep}}
