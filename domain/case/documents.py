"""Documents attached to the case: the evidence, bound into its history by their hash.

A document belongs to the case as a whole or to one of its steps. A step of which a
case may hold several names which one by its `step_ref`, in the order the case
recorded them: "action-2" (the current plan's second action), "deployment-1" (a peer
deployment, by its id), "joint-meeting-1", "government-meeting-1", "review-3".
Pages offer these as choices (`document_steps`), so no one ever types one.

On a closed case only the closure's documents may be attached (the closing letter,
the follow-up review's evidence): the rest of a closed case is read only.
"""

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.state import CaseState, actor, required_text
from domain.documents import DocumentKind, DocumentStep, StoredFile
from domain.errors import InvalidField
from domain.text import text_problem
from domain.vocabulary import CaseStatus, Confidentiality, one_of

TITLE_LIMIT = 200
_NUMBERED = {DocumentStep.PLAN_ACTION: "action", DocumentStep.JOINT_MEETING: "joint-meeting",
             DocumentStep.GOVERNMENT_MEETING: "government-meeting",
             DocumentStep.PROGRESS_REVIEW: "review"}
"""The steps named by their place in the case, with the word their refs start with."""


class DocumentAttached(Aggregate.Event):
    document_id: str
    title: str
    kind: str
    step: str
    step_ref: str
    confidentiality: str
    sha256: str
    size: int
    media_type: str
    filename: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        document = {"document_id": self.document_id, "title": self.title, "kind": self.kind,
                    "step": self.step, "step_ref": self.step_ref,
                    "confidentiality": self.confidentiality, "sha256": self.sha256,
                    "size": self.size, "media_type": self.media_type,
                    "filename": self.filename, "attached_at": self.recorded_at,
                    "attached_by": self.actor_id}
        aggregate.documents = (*aggregate.documents, document)


class DocumentsPart(CaseState):
    """Attaching documents to the case or one of its steps."""

    def document_steps(self) -> dict[str, list[str]]:
        """The steps this case has now, each with the refs that name one of them ("" for
        a step of which there is only one): what a document may be attached to."""
        counts = {DocumentStep.PLAN_ACTION: len((self.plan or {}).get("actions") or []),
                  DocumentStep.JOINT_MEETING: len(self.joint_meetings),
                  DocumentStep.GOVERNMENT_MEETING: len(self.government_meetings),
                  DocumentStep.PROGRESS_REVIEW: len(self.reviews)}
        steps: dict[str, list[str]] = {
            DocumentStep.CASE.value: [""], DocumentStep.INTELLIGENCE.value: [""]}
        if self.diagnosis is not None:
            steps[DocumentStep.DIAGNOSIS.value] = [""]
        for step, count in counts.items():
            if count:
                steps[step.value] = [f"{_NUMBERED[step]}-{n}" for n in range(1, count + 1)]
        if self.deployments:
            steps[DocumentStep.PEER_VISIT.value] = sorted(self.deployments)
        if self.closure is not None:
            steps[DocumentStep.CLOSURE.value] = [""]
        if self.status != CaseStatus.OPEN:
            steps = {k: v for k, v in steps.items() if k == DocumentStep.CLOSURE}
        return steps

    def check_may_attach_document(self, step: str | None = None) -> None:
        """An open case takes documents on any of its steps; a closed one only on its
        closure. Asked with no step (is attaching offered at all?) every case says yes:
        a closed case has its closure."""
        if step is not None and step != DocumentStep.CLOSURE:
            self.check_open()

    def check_step(self, step: str, step_ref: str) -> None:
        """The step named is one this case has; refused naming `step_ref` (or `step`)."""
        refs = self.document_steps().get(step)
        if refs is None and step_ref == "":
            raise InvalidField(f"this case has no {step} to attach a document to",
                               field="step")
        if refs is None or step_ref not in refs:
            named = ", ".join(r for r in refs or [] if r) or "none"
            raise InvalidField(f"step_ref {step_ref!r} names no {step} of this case "
                               f"(it has: {named})", field="step_ref")

    def attach_document(self, *, title: str, kind: str, step: str, step_ref: str,
                        confidentiality: str, stored: StoredFile, recorded_at: datetime,
                        actor_id: str, actor_role: str) -> str:
        """Attach a stored file to the case, or to one of its steps; its id."""
        step = one_of(step, DocumentStep, "step")
        self.check_may_attach_document(step)
        ref = step_ref.strip() if isinstance(step_ref, str) else step_ref
        if not isinstance(ref, str):
            raise InvalidField("step_ref must be text", field="step_ref")
        self.check_step(step, ref)
        text = required_text(title, "title")
        found = text_problem(text, "title", multiline=False)
        if found is not None:
            raise InvalidField(found[1], field="title", rule=found[0])
        if len(text) > TITLE_LIMIT:
            raise InvalidField(f"title must be at most {TITLE_LIMIT} characters",
                               field="title")
        document_id = f"document-{len(self.documents) + 1}"
        self.trigger_event(
            DocumentAttached, document_id=document_id, title=text,
            kind=one_of(kind, DocumentKind, "kind"), step=step, step_ref=ref,
            confidentiality=one_of(confidentiality, Confidentiality, "confidentiality"),
            **stored.as_fields(), recorded_at=recorded_at, **actor(actor_id, actor_role))
        return document_id

    def document(self, document_id: str) -> dict[str, Any] | None:
        """One attached document's facts, by its id (None: no such document)."""
        return next((d for d in self.documents if d["document_id"] == document_id), None)
