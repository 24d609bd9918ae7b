"""Page labels and hints for the fields of every command's form.

The API's models describe their fields for programs ("ISO 8601 with a time zone",
"The username of ..."); a page asks a person in the sector's words ("Due date",
"How the council will know it is done"). Words are found by the command's request
body and the field's name, then by the field's name alone; a hint left as None keeps
the model's own, which the unit tests check holds no code word.
"""

from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # forms.py asks this module for its words
    from api.web.forms import FormField

Words = tuple[str, str | None]  # label, hint (None: keep the model's hint)

_WHY = "Why: kept in the case's history."
_UK_TIME = "UK time."

BY_FIELD: dict[str, Words] = {
    "authority": ("Council", None),
    "region": ("Region", None),
    "summary": ("Summary", None),
    "source": ("Where the concern came from", None),
    "issue_type": ("Kind of issue", None),
    "diagnosis_due": ("Diagnosis due by",
                      "Leave blank to use the region's time allowed for a diagnosis. UK time."),
    "owner": ("Owner", "The coordinator who will own the case."),
    "content": ("What you learned", None),
    "confidentiality": ("How it may be shared",
                        "Chatham House: the content may be used, but never who said it."),
    "impact": ("Impact", None),
    "likelihood": ("Likelihood", None),
    "reason": ("Reason", _WHY),
    "management_solution": ("How the risk is managed", None),
    "key_controls": ("Key controls", "One on each line."),
    "risk_indicators": ("Risk indicators", "One on each line."),
    "problem_natures": ("Nature of the problems", None),
    "evidence": ("Evidence", None),
    "root_causes": ("Root causes", None),
    "actions": ("Actions", None),
    "description": ("What will be done",
                    "Specific: one thing the council or its partners will do."),
    "provider": ("Who provides it", "Achievable: a named body with the capacity to do it, "
                 "for example the national improvement body."),
    "cost": ("Cost in pounds", "For example, 1200 or 1200.50."),
    "due": ("Due date", "Time-bound: the day it should be done by. For example, 31 3 2027."),
    "measure": ("How the council will know it is done",
                "Measurable: the outcome that shows the action worked."),
    "adviser_id": ("Adviser", "The improvement adviser who oversees the plan."),
    "suggestions": ("Suggestions", "One on each line."),
    "offer_id": ("Offer of support", "An offer from the register of support."),
    "days": ("Days of support", "Whole days, for example 5."),
    "commission_id": ("Commissioned support", None),
    "peer_id": ("Peer", "A peer from the register of peers."),
    "peer_user": ("The peer's casework account",
                  "So the peer can read the case and record their visits."),
    "role": ("Role on this case", "For example, mentor to the council's leader."),
    "deployment_id": ("Peer deployment", None),
    "visited_at": ("Date and time of the visit", _UK_TIME),
    "notes": ("Notes", None),
    "measures": ("Measures", "One on each line: the measure, then = on track or = off track."),
    "judgement": ("Judgement", None),
    "next_review_due": ("Next review due",
                        "Leave blank to use the region's time between reviews. UK time."),
    "to_stage": ("Move the case to", None),
    "outcome": ("Outcome", None),
    "attendees": ("Attendees", "One on each line: their name and organisation."),
    "name": ("Name", None),
    "next_joint_meeting_due": ("Next joint local meeting",
                               "Leave blank to use the region's policy. UK time."),
    "meeting_at": ("Date and time of the meeting", _UK_TIME),
    "deadline": ("Deadline", None),
    "exit_strategy": ("Exit strategy", "Needed when the case is handed back as improved."),
    "handover": ("Handover", None),
    "led_by": ("Who leads it", None),
    "exit_note": ("Exit note", "Needed when the case is closed by government intervention."),
    "grantee": ("Person", "A coordinator, adviser or inspector."),
}

BY_BODY: dict[tuple[str, str], Words] = {
    ("CaseOpen", "owner"): ("Owner", "The coordinator who will own the case. Leave blank to "
                            "own it yourself."),
    ("IntelligenceAdd", "source"): ("Who or what it came from", None),
    ("RiskAssess", "kind"): ("Kind of risk", "Inherent risk is before any support; residual "
                             "risk is what remains with the support in place."),
    ("RiskAssess", "owner"): ("Risk owner", "Who in the council owns the risk."),
    ("PlanAction", "owner"): ("Owner", "Relevant: who in the council answers for it."),
    ("SupportCommission", "problem_natures"): ("Problems the support addresses", None),
    ("MeetingAttendee", "kind"): ("Who they are", None),
    ("JointLocalMeeting", "attendees"): ("Attendees", None),
    ("FollowUpReview", "judgement"): ("What the follow-up review found", None),
    ("CaseReassign", "owner"): ("New owner", "A coordinator of the case's region."),
}


def words_for(body: str, name: str) -> Words | None:
    """The label and hint for a field of a request body, if the pages have words for it."""
    leaf = name.rsplit(".", 1)[-1]
    return BY_BODY.get((body, leaf)) or BY_FIELD.get(leaf)


def _model_in(annotation: Any) -> Any:
    """The model inside `list[X]`, `X | None` or `Annotated[X, ...]`, if any."""
    if hasattr(annotation, "model_fields"):
        return annotation
    for inner in getattr(annotation, "__args__", ()):
        found = _model_in(inner)
        if found is not None:
            return found
    return None


def worded(schema: Any, field: "FormField") -> "FormField":
    """The field with the pages' label and hint (and its parts', for a list of parts)."""
    body = getattr(schema, "__name__", "")
    words = words_for(body, field.name)
    label, hint = words if words else (field.label, None)
    parts = _model_in_field(schema, field)
    rows = tuple(replace(g, fields=tuple(worded(parts, f) for f in g.fields))
                 for g in field.rows)
    return replace(field, label=label, hint=field.hint if hint is None else hint, rows=rows)


def _model_in_field(schema: Any, field: "FormField") -> Any:
    info = schema.model_fields.get(field.name.rsplit(".", 1)[-1]) if schema else None
    return _model_in(info.annotation) if info and field.rows else None


INTROS: dict[str, str] = {
    "risk-assessments": "Score the risk by its impact and likelihood. The other columns of the "
                        "risk table are optional: anything left blank keeps what the last "
                        "assessment said.",
    "plan/agreement-request": "The council's liaisons are emailed, and the plan waits at the "
                              "top of their My work until they agree it. You can ask once for "
                              "each version of the plan.",
    "support": "Commission support from the support matrix for this council. The registers "
               "check the offer's region, days left and conflicts of interest, and commit a "
               "paid offer's cost to the region's budget.",
    "commission-ends": "The support has been delivered or stopped. Its unused days go back to "
                       "the offer, and what was not spent goes back to the region's budget.",
    "peer-deployments": "Deploy an accredited peer from the register. Their organisation, days "
                        "and conflicts of interest come from the register; a peer with a "
                        "casework account can then read the case and record their visits.",
    "joint-local-meetings": "The meeting of the council (or its partnership), the government "
                            "office and the audit body. A referral to the RIEP counts as the "
                            "council's agreement only if the council attended; a regulator not "
                            "satisfied raises the red flag. The summary is due within five "
                            "working days.",
    "joint-local-meetings/summary": "The summary of the last joint local meeting, due within "
                                    "five working days of it.",
    "joint-local-meetings/proposal": "Propose a joint local meeting of the council, the "
                                     "government office and the audit body. Reminders to hold "
                                     "or decline it follow.",
    "joint-local-meetings/proposal/decline": "Say why the proposed joint local meeting is not "
                                             "needed; its reminders stop.",
    "closure": "A case closes once no peer is deployed, no commissioned support is running and "
               "every meeting has its conclusion and summary. A case handed back as improved "
               "needs an exit strategy and gets a follow-up review twelve months later; a case "
               "closed by government intervention needs an exit note.",
    "follow-up-review": "Twelve months after the case closed as improved: has the improvement "
                        "lasted? Choosing reopen reopens the case, with your notes as the reason.",
    "owner": "Hand the case to another coordinator of its region, who is reminded of its "
             "deadlines from then on.",
    "confidential-access": "Let an adviser or inspector of the Chatham House group read this "
                           "case's confidential material, such as sources shared under Chatham "
                           "House terms, until you withdraw it.",
    "confidential-access/revocation": "Withdraw this person's access to the case's confidential "
                                      "material. They keep what they have already read.",
}
"""What a command's page says under its heading, in words: the API's descriptions of the
same commands name fields and routes, which are for programs."""


def intro(path: str) -> str:
    return INTROS.get(path, "")
