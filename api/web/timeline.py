"""A case's history in plain English: who did what, and why.

The record keeps each event as the domain raised it (`SupportPlanAgreed`, by `lia`);
an inspector may still read that, one click away. A page leads with a sentence a
person reads: "Lia Liaison, council liaison, Northshire County Council, agreed the
support plan", then "Why: ..." and the details that matter, in words (dates, money,
people by name).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.web.document_words import in_a_sentence, step_label
from api.web.people import Directory, role_words
from api.web.words import day, money, phrase, say, say_all, when
from domain.confidentiality import WITHHELD

Data = dict[str, Any]
Said = Callable[[Data, Directory, Data], str]  # the event's data, the directory, the case


def _deployment(data: Data, people: Directory, case: Data) -> str:
    """The peer a deployment names, by name, from the case as it stands."""
    deployment = (case.get("deployments") or {}).get(data.get("deployment_id") or "") or {}
    return people.peer_name(deployment.get("peer_user") or deployment.get("peer_id"))


def _document(data: Data, people: Directory, case: Data) -> str:
    """"attached “Ofsted inspection letter” (inspection report) to the concern's
    intelligence"; a document withheld under Chatham House by its kind alone."""
    step = step_label(case, str(data.get("step")), str(data.get("step_ref") or ""), people)
    title = data.get("title")
    named = f"\u201c{title}\u201d" if title and title != WITHHELD else "a document"
    return f"attached {named} ({phrase(data.get('kind'))}) to {in_a_sentence(step)}"


def _provider(data: Data, case: Data) -> str:
    for commission in case.get("commissions") or []:
        if commission.get("commission_id") == data.get("commission_id"):
            return f" from {commission.get('provider')}"
    return ""


def _stages(data: Data) -> str:
    return (f"from the {phrase(data.get('from_stage'))} stage to the "
            f"{phrase(data.get('to_stage'))} stage")


def _owner(username: Any, people: Directory) -> str:
    return people.name_of(username) if username else "no owner"


REDACTED_FIELD_WORDS = {
    "summary": "the summary", "reason": "the reason given", "content": "what was learned",
    "source": "the source", "notes": "the notes", "note": "the note",
    "description": "the description", "exit_note": "the exit note",
    "title": "a document's title", "filename": "a document's file name",
    "management_solution": "the risk management solution"}
"""Each field a redaction may take (domain/case/redaction.py WRITTEN_WORDS), in words."""


def _redacted_document(data: Data, case: Data) -> str:
    title = next((d.get("title") for d in case.get("documents") or []
                  if d.get("document_id") == data.get("document_id")), None)
    named = f"\u201c{title}\u201d" if title and title != WITHHELD else "a document"
    return f"redacted {named}: its file is deleted, its fingerprint kept"


_STEP_WORDS = {"remind": "send a reminder", "escalate": "escalate the case",
               "propose": "propose an escalation"}

SENTENCES: dict[str, Said] = {
    "ConcernRaised": lambda d, p, c: f"raised a concern about {d.get('authority')}",
    "IntelligenceAdded": lambda d, p, c: "added intelligence" + (
        " under the Chatham House rule" if phrase(d.get("confidentiality")) == "Chatham House"
        else ""),
    "CouncilAcknowledgedNeed": lambda d, p, c: "acknowledged that the council needs support",
    "CouncilDeclinedSupport": lambda d, p, c: "declined support for the council",
    "ReferenceGiven": lambda d, p, c: f"gave the case its reference, {d.get('reference')}",
    "RiskAssessed": lambda d, p, c: (
        f"assessed the {phrase(d.get('kind'))} as {phrase(d.get('band'))} (impact "
        f"{phrase(d.get('impact'))}, likelihood {phrase(d.get('likelihood'))}, score "
        f"{d.get('score')})"),
    "DiagnosisRecorded": lambda d, p, c: "recorded the diagnosis",
    "LGAAskedToBroker": lambda d, p, c: (
        "asked the LGA to broker discussions with the council's politicians"),
    "SupportPlanDrafted": lambda d, p, c: "drafted the support plan",
    "SupportPlanReviewed": lambda d, p, c: "reviewed the support plan",
    "SupportPlanAgreed": lambda d, p, c: "agreed the support plan",
    "PlanAgreementRequested": lambda d, p, c: "asked the council to agree the support plan",
    "SupportPlanRevised": lambda d, p, c: "revised the support plan",
    "ProgressReviewed": lambda d, p, c: (
        f"reviewed progress and found it {phrase(d.get('judgement'))}"),
    "SupportCommissioned": lambda d, p, c: (
        f"commissioned support from {d.get('provider')} costing {money(d.get('cost'))}"),
    "SupportCommissionEnded": lambda d, p, c: f"ended the commissioned support{_provider(d, c)}",
    "PeerDeployed": lambda d, p, c: (
        f"deployed {p.peer_name(d.get('peer_id'))}, {phrase(d.get('role'))} from "
        f"{d.get('peer_council')}"),
    "PeerVisitRecorded": lambda d, p, c: (
        f"recorded a visit by {_deployment(d, p, c)} on {day(d.get('visited_at'))}"),
    "PeerDeploymentEnded": lambda d, p, c: f"ended the deployment of {_deployment(d, p, c)}",
    "StageChanged": lambda d, p, c: f"moved the case {_stages(d)}",
    "EscalationProposed": lambda d, p, c: f"proposed moving the case {_stages(d)}",
    "EscalationConfirmed": lambda d, p, c: "confirmed the proposed escalation",
    "EscalationDeclined": lambda d, p, c: "declined the proposed escalation",
    "JointMeetingProposed": lambda d, p, c: "proposed a joint local meeting",
    "JointMeetingProposalDeclined": lambda d, p, c: "declined the proposed joint local meeting",
    "JointLocalMeetingHeld": lambda d, p, c: (
        f"recorded a joint local meeting that found: {phrase(d.get('outcome'))}"),
    "RedFlagRaised": lambda d, p, c: (
        "raised a red flag: the regulator is not satisfied with the council's plan"),
    "JointMeetingSummaryRecorded": lambda d, p, c: "recorded the joint local meeting's summary",
    "GovernmentMeetingConvened": lambda d, p, c: (
        f"convened the government meeting for {when(d.get('meeting_at'))}"),
    "GovernmentMeetingConcluded": lambda d, p, c: (
        f"concluded the government meeting: {phrase(d.get('outcome'))}"),
    "DeadlinePaused": lambda d, p, c: f"paused the {phrase(d.get('deadline'))} deadline",
    "DeadlineResumed": lambda d, p, c: (
        f"resumed the {phrase(d.get('deadline'))} deadline, now due {day(d.get('due'))}"),
    "ReminderIssued": lambda d, p, c: (
        f"reminded {p.name_of(d.get('recipient'))} that the {phrase(d.get('deadline'))} "
        f"deadline falls on {day(d.get('due'))}"),
    "AutomatedStepFailed": lambda d, p, c: (
        f"could not {_STEP_WORDS.get(str(d.get('action')), 'take an automatic step')} for "
        f"the {phrase(d.get('deadline'))} deadline"),
    "NoticeDelivered": lambda d, p, c: f"sent a notice by {d.get('channel')}",
    "NoticeFailed": lambda d, p, c: f"could not send a notice by {d.get('channel')}",
    "CaseClosed": lambda d, p, c: f"closed the case as {phrase(d.get('outcome'))}",
    "FollowUpReviewed": lambda d, p, c: (
        f"recorded the follow-up review: {phrase(d.get('judgement'))}"),
    "CaseReopened": lambda d, p, c: "reopened the case",
    "DocumentAttached": lambda d, p, c: _document(d, p, c),
    "FieldRedacted": lambda d, p, c: (
        f"redacted {REDACTED_FIELD_WORDS.get(str(d.get('field')), 'a field')} of an earlier "
        "entry in this history"),
    "DocumentRedacted": lambda d, p, c: _redacted_document(d, c),
    "CaseReassigned": lambda d, p, c: (
        f"passed the case from {_owner(d.get('from_owner'), p)} to "
        f"{_owner(d.get('to_owner'), p)}"),
    "ConfidentialAccessGranted": lambda d, p, c: (
        f"gave {p.name_of(d.get('grantee'))} access to the confidential sources"),
    "ConfidentialAccessRevoked": lambda d, p, c: (
        f"withdrew {p.name_of(d.get('grantee'))}'s access to the confidential sources"),
}


def who_did(actor: Data, people: Directory) -> str:
    """"Lia Liaison, council liaison, Northshire County Council"; "casework" for what the
    system recorded itself."""
    username, role = actor.get("id"), actor.get("role")
    if not username or username == "automation" or role == "automation":
        return "casework"
    if people.person(username) is not None:
        return people.describe(username)
    return ", ".join(p for p in (username, role_words(role)) if p)


def _unknown(kind: str) -> str:
    """An event this page has no sentence for yet: its name in words, never its class."""
    spaced = "".join(f" {ch.lower()}" if ch.isupper() else ch for ch in kind).strip()
    return f"recorded: {spaced}"


def did(event: Data, people: Directory, case: Data | None = None) -> str:
    """What the event's actor did: "agreed the support plan"."""
    said = SENTENCES.get(str(event.get("type")))
    data = event.get("data") or {}
    return said(data, people, case or {}) if said else _unknown(str(event.get("type")))


def sentence(event: Data, people: Directory, case: Data | None = None) -> str:
    """The timeline title: who, their role and organisation, and what they did."""
    who = who_did(event.get("actor") or {}, people)
    return f"{say(who)}{'' if who == 'casework' else ','} {did(event, people, case)}"


def short_sentence(event: Data, people: Directory, case: Data | None = None) -> str:
    """Who by name and what they did: "Lia Liaison agreed the support plan"."""
    actor = event.get("actor") or {}
    who = "casework" if who_did(actor, people) == "casework" else people.name_of(actor.get("id"))
    return f"{say(who)} {did(event, people, case)}"


def _lines(value: Any) -> str:
    return "; ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


def _names(people: Directory) -> Callable[[Any], str]:
    return lambda v: "; ".join(people.name_of(x) for x in (v if isinstance(v, list) else [v]))


def _attendees(value: Any) -> str:
    return "; ".join(f"{a.get('name')} ({phrase(a.get('kind'))})" if isinstance(a, dict)
                     else str(a) for a in value or [])


def _measures(value: Any) -> str:
    return "; ".join(f"{name}: {phrase(status)}" for name, status in (value or {}).items())


def _exit(value: Any) -> str:
    parts = value if isinstance(value, dict) else {}
    return "; ".join(f"{label}: {parts[key]}" for key, label in
                     (("handover", "handover"), ("led_by", "led by")) if parts.get(key))


def _detail_words(people: Directory) -> dict[str, tuple[str, Callable[[Any], str]]]:
    name = _names(people)
    return {
        "summary": ("Summary", str), "content": ("What was learned", str),
        "source": ("Source", say), "issue_type": ("Issue type", say),
        "notes": ("Notes", str), "description": ("Support", str),
        "problem_natures": ("Problems addressed", say_all),
        "evidence": ("Evidence", _lines), "root_causes": ("Root causes", _lines),
        "suggestions": ("Suggestions", _lines), "key_controls": ("Key controls", _lines),
        "risk_indicators": ("Risk indicators", _lines),
        "management_solution": ("Risk management solution", str), "owner": ("Owner", name),
        "adviser_id": ("Adviser", name), "days": ("Days of support", str),
        "actions": ("Actions", lambda v: "; ".join(a.get("description", "") for a in v)),
        "measures": ("Measures", _measures), "attendees": ("Attendees", _attendees),
        "exit_note": ("Exit note", str), "exit_strategy": ("Exit strategy", _exit),
        "diagnosis_due": ("Diagnosis due", day),
        "plan_due": ("Support plan due to be agreed", day), "review_due": ("Next review", day),
        "next_review_due": ("Next review", day), "summary_due": ("Summary due", day),
        "next_meeting_due": ("Next joint local meeting", day),
        "follow_up_due": ("Follow-up review due", day), "address": ("Sent to", str),
    }


@dataclass(frozen=True)
class Entry:
    """One timeline item as the page shows it."""

    title: str
    why: str
    details: tuple[tuple[str, str], ...]


def entry(event: Data, people: Directory, case: Data | None = None) -> Entry:
    """The sentence, the reason and the details that matter, in words."""
    data = event.get("data") or {}
    shown = _detail_words(people)
    details = tuple((shown[k][0], shown[k][1](v)) for k, v in data.items()
                    if k in shown and v not in (None, "", [], {}))
    return Entry(sentence(event, people, case), str(data.get("reason") or ""), details)
