"""Documents as a page shows them: each beside the step it belongs to, named by what it is.

The case records a document's step as a word and a ref ("a plan action", "action-2");
a person reads "Plan action: Stabilise finances" or "Joint local meeting on 3 March
2027", its size and type as "PDF, 240 KB", and who attached it by name. A Chatham House
document is left out altogether for those a Chatham House source is withheld from: a
line saying something is withheld would still tell them evidence exists and where.
"""

from dataclasses import dataclass
from typing import Any

from api.views import cleared
from api.web.people import Directory
from api.web.words import day
from domain.confidentiality import is_chatham_house
from domain.documents import ACCEPTED, DocumentKind, DocumentStep
from domain.identity import Principal

STEP_SEPARATOR = "|"
"""Between a step and its ref in a select's value: "a plan action|action-2"."""

KINDS = {DocumentKind.INSPECTION_REPORT.value: "Inspection report",
         DocumentKind.MINUTES.value: "Minutes of a meeting",
         DocumentKind.PEER_FINDINGS.value: "Peer team's findings",
         DocumentKind.LETTER.value: "Letter", DocumentKind.PLAN.value: "Plan",
         DocumentKind.OTHER.value: "Something else"}
"""Each kind of document as the form's radios say it."""
_KIND_LISTED = {**KINDS, DocumentKind.OTHER.value: "Document"}

_SINGLE = {DocumentStep.CASE.value: "The case as a whole",
           DocumentStep.INTELLIGENCE.value: "The concern's intelligence",
           DocumentStep.DIAGNOSIS.value: "The diagnosis",
           DocumentStep.CLOSURE.value: "The closure"}


@dataclass(frozen=True)
class StepChoice:
    """One step a document may be attached to: the value a form posts, and its name."""

    value: str
    label: str


def step_value(step: str, ref: str) -> str:
    return f"{step}{STEP_SEPARATOR}{ref}"


def step_of(value: str) -> tuple[str, str]:
    """The step and ref a posted choice names (a value no choice has is the domain's to
    refuse, naming the step)."""
    step, _, ref = value.partition(STEP_SEPARATOR)
    return step, ref


def _nth(items: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    """The item a ref such as "action-2" names (its place, counted from 1), or {}."""
    number = ref.rpartition("-")[2]
    index = int(number) - 1 if number.isdigit() else -1
    return items[index] if 0 <= index < len(items) else {}


def step_label(case: dict[str, Any], step: str, ref: str, people: Directory) -> str:
    """A step by name, as a caseworker knows it."""
    if step in _SINGLE:
        return _SINGLE[step]
    if step == DocumentStep.PLAN_ACTION:
        action = _nth((case.get("plan") or {}).get("actions") or [], ref)
        return f"Plan action: {action.get('description') or 'an earlier action'}"
    if step == DocumentStep.PEER_VISIT:
        deployment = (case.get("deployments") or {}).get(ref) or {}
        peer = people.peer_name(deployment.get("peer_id"))
        return f"Peer visits: {peer[:1].upper()}{peer[1:]}"
    if step == DocumentStep.JOINT_MEETING:
        held = _nth(case.get("joint_meetings") or [], ref).get("held_at")
        return f"Joint local meeting on {day(held)}" if held else "Joint local meeting"
    if step == DocumentStep.GOVERNMENT_MEETING:
        held = _nth(case.get("government_meetings") or [], ref).get("meeting_at")
        return f"Government meeting on {day(held)}" if held else "Government meeting"
    if step == DocumentStep.PROGRESS_REVIEW:
        held = _nth(case.get("reviews") or [], ref).get("reviewed_at")
        return f"Progress review on {day(held)}" if held else "Progress review"
    return step[:1].upper() + step[1:]


_LED = {"Plan action: ": "the plan action \u201c{}\u201d", "Peer visits: ": "the visits of {}"}


def in_a_sentence(label: str) -> str:
    """A step's name inside a sentence ("attached … to the joint local meeting on 3
    March 2027", "Attach a document to the visits of Pete Peer")."""
    for lead, said in _LED.items():
        if label.startswith(lead):
            return said.format(label[len(lead):])
    lowered = label[:1].lower() + label[1:]
    return lowered if lowered.startswith("the ") else f"the {lowered}"


def step_choices(case: dict[str, Any], steps: dict[str, list[str]],
                 people: Directory) -> list[StepChoice]:
    """The steps the case has now (`CaseService.document_steps`), each by name."""
    return [StepChoice(step_value(step, ref), step_label(case, step, ref, people))
            for step, refs in steps.items() for ref in refs]


def size_words(size: int) -> str:
    """"240 KB", "1.2 MB", "812 bytes": as GOV.UK describes an attachment."""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def type_words(media_type: str) -> str:
    known = ACCEPTED.get(media_type)
    name = known.name if known else "file"
    return name[:1].upper() + name[1:]


def visible(who: Principal, shown: dict[str, Any], known: dict[str, Any]
            ) -> list[dict[str, Any]]:
    """The documents of `shown` (the case as this person may see it) they are shown at
    all: none under Chatham House unless they are cleared on the case (`known`, as it
    stands now)."""
    documents = shown.get("documents") or []
    return documents if cleared(who, known) else [
        d for d in documents if not is_chatham_house(d)]


_SECTIONS = {DocumentStep.INTELLIGENCE.value: "intelligence",
             DocumentStep.DIAGNOSIS.value: "diagnosis",
             DocumentStep.PLAN_ACTION.value: "plan", DocumentStep.PROGRESS_REVIEW.value: "plan",
             DocumentStep.PEER_VISIT.value: "people",
             DocumentStep.JOINT_MEETING.value: "meetings",
             DocumentStep.GOVERNMENT_MEETING.value: "meetings",
             DocumentStep.CLOSURE.value: "closure"}
"""The case page's section (its id) each step's documents are listed in."""


def listed(case: dict[str, Any], documents: list[dict[str, Any]], people: Directory
           ) -> dict[str, list[dict[str, Any]]]:
    """The documents by the step they belong to (its select value), each as a page says
    it: title, kind, type and size, who attached it and when, its download."""
    by_step: dict[str, list[dict[str, Any]]] = {}
    for d in documents:
        by_step.setdefault(step_value(d["step"], d.get("step_ref") or ""), []).append({
            "title": d.get("title") or "Untitled document",
            "kind": _KIND_LISTED.get(str(d.get("kind")), "Document"),
            "described": f"{type_words(str(d.get('media_type')))}, "
                         f"{size_words(int(d.get('size') or 0))}",
            "by": people.name_of(d.get("attached_by")), "on": day(d.get("attached_at")),
            "href": f"/case/{case['id']}/documents/{d['document_id']}",
            "step": step_label(case, d["step"], d.get("step_ref") or "", people),
            "section": _SECTIONS.get(str(d["step"]), "documents"),
            "under": in_a_sentence(step_label(case, d["step"], d.get("step_ref") or "",
                                              people)),
            "chatham_house": is_chatham_house(d),
            "redacted": (d.get("redacted") or {}).get("note")})
    return by_step


def placed(case: dict[str, Any]) -> set[str]:
    """The steps the case page lists documents beside (the sections it shows this case):
    a document of any other step (an action of an earlier plan, say) is listed with the
    case's own documents, so none goes unseen."""
    counted = {DocumentStep.PLAN_ACTION: ((case.get("plan") or {}).get("actions"), "action"),
               DocumentStep.PROGRESS_REVIEW: (case.get("reviews") if case.get("plan")
                                              else None, "review"),
               DocumentStep.JOINT_MEETING: (case.get("joint_meetings"), "joint-meeting"),
               DocumentStep.GOVERNMENT_MEETING: (case.get("government_meetings"),
                                                 "government-meeting")}
    keys = {step_value(DocumentStep.CASE, ""), step_value(DocumentStep.INTELLIGENCE, "")}
    keys |= {step_value(DocumentStep.DIAGNOSIS, "")} if case.get("diagnosis") else set()
    keys |= {step_value(DocumentStep.CLOSURE, "")} if case.get("closure") else set()
    keys |= {step_value(DocumentStep.PEER_VISIT, d) for d in case.get("deployments") or {}}
    for step, (items, word) in counted.items():
        keys |= {step_value(step, f"{word}-{n}") for n in range(1, len(items or []) + 1)}
    return keys
