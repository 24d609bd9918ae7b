"""Error messages in the GOV.UK style: one per field, saying what to do.

The API names a field and a rule for programs ("actions.0.due", `string_too_long`,
`peer_own_council`); a person reads "The due date must be a real date" or "Choose a
peer from another council". Messages are built from the field's label on the page and
the kind of problem, or, for a rule the domain enforces, from the rule's page words.
A domain message shown as it is loses any API path, id or field name first.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from api.web.forms import FieldError, FormField

REFUSALS: dict[str, str] = {
    # keeping records (domain/retention.py)
    "only_an_administrator_disposes": "Only an administrator can dispose of a case",
    "already_disposed": "This case has already been disposed of",
    "case_still_open": "The case has been reopened: only a closed case can be disposed of",
    "retention_not_over": "The retention schedule still keeps this case",
    "reason_needed": "Enter why the case is being disposed of",
    "reason_too_long": "Enter a reason of 2000 characters or fewer",
    "retention_period_unreadable": "Enter how long cases are kept as a period such as six "
                                   "years",
    "retention_period_zero": "Enter a period longer than no time at all",
    "retention_override_unreadable": "Enter each region's or outcome's period after its name",
    "retention_override_unknown": "Choose a region or outcome casework knows",
    "redaction_needs_reason": "Enter why this is redacted, for example the data subject's "
                              "request",
    "never_a_whole_event": "Choose the one part of the entry to redact: a redaction never "
                           "removes a whole entry",
    "field_must_exist": "Choose a part this entry has",
    "event_must_exist": "Choose an entry this case has recorded",
    "event_not_redactable": "This entry was recorded before casework kept each part of an "
                            "entry on its own: one part of it cannot be redacted alone",
    "redactions_stay_on_the_record": "A redaction stays on the record: it cannot itself be "
                                     "redacted",
    "text_fields_only": "Only the words people wrote can be redacted (a summary, a reason, "
                        "notes, a title): not a date, a number, a choice or a name the case "
                        "is filed under",
    "already_redacted": "This is already redacted",
    "document_must_be_attached": "Choose a document attached to this case",
    "person_or_name_required": "Choose a person or enter a name",
    "name_length": "Enter a name of 3 to 200 characters",
    "person_not_found": "Choose a person from the list",
    "filename_is_a_path": "Choose the file again: its name must not include a folder "
                          "(no / or \\)",
    "view_name_blank": "Enter a name for the view",
    "view_name_too_long": "Enter a name of 60 characters or fewer",
    "view_name_taken": "Choose another name: you already have a view called {name}",
    "view_filter_too_long": "Choose shorter filters: each has at most 200 characters",
    "view_share_coordinators_only": "Only a regional coordinator can share a view with "
                                    "their region",
    "peer_own_council": "Choose a peer from another council: {peer} works for {council}, "
                        "the council this case supports",
    "peer_conflict_of_interest": "Choose another peer: {peer} has a conflict of interest with "
                                 "{council} recorded in the register",
    "peer_capacity": "Ask for fewer days: the peer has fewer days left this quarter",
    "peer_deployment_active": "Choose a deployment that is still active",
    "deployment_not_current": "Choose a deployment that is still active",
    "peer_deployments_end_first": "End the active peer deployments first",
    "commissions_end_first": "End the commissioned support first",
    "commission_active": "Choose commissioned support that has not ended",
    "commission_not_current": "Choose commissioned support that has not ended",
    "provider_conflict_of_interest": "Choose another offer: its provider has a conflict of "
                                     "interest with this council",
    "offer_outside_region": "Choose an offer made in this case's region",
    "offer_capacity": "Ask for fewer days: the offer has fewer days left this year",
    "plan_agreed_first": "The council must agree the support plan first",
    "plan_drafted_first": "Draft the support plan first",
    "plan_needs_diagnosis": "Record the diagnosis before the support plan is agreed",
    "agreed_plan_is_revised": "The support plan is already agreed: revise it, and the council "
                              "then agrees the revision",
    "revision_already_agreed": "This revision of the support plan is already agreed",
    "plan_actions_are_smart": "Give every action an owner, a due date and how the council will "
                              "know it is done",
    "one_diagnosis": "A diagnosis is already recorded for this case",
    "one_reference": "This case already has a reference, and keeps it",
    "closed_case_is_read_only": "The case is closed: record its follow-up review or reopen it",
    "only_a_closed_case_reopens": "Only a closed case can be reopened",
    "follow_up_review_due": "A follow-up review is recorded once, when one is due on a case "
                            "closed as improved",
    "exit_strategy_needed": "Say how the council's own improvement cycle takes over, and who "
                            "leads it",
    "meetings_concluded_first": "Record the conclusion and summary of every meeting first",
    "intervention_needs_government_meeting": "Choose intervention only after a government "
                                             "meeting has concluded it",
    "government_meeting_needs_stage": "Move the case to the government meeting stage first",
    "one_government_meeting_at_a_time": "A government meeting is already convened: conclude "
                                        "it first",
    "government_meeting_convened_first": "Convene the government meeting first",
    "automation_never_convenes_government_meeting": "Only a person moves a case to the "
                                                    "government meeting stage",
    "government_meeting_needs_red_flag": "Choose the RIEP stage: a case goes straight to a "
                                         "government meeting only on a red flag",
    "no_stage_skipped": "Choose the next stage: a case moves one stage at a time",
    "referral_needs_council_agreement": "The council must agree to a referral to the RIEP: "
                                        "record its acknowledged need, or include the council "
                                        "among the meeting's attendees",
    "no_escalation_pending": "No escalation is waiting for a decision",
    "joint_meeting_at_local_stage": "A joint local meeting is held only while the case is at "
                                    "the local stage",
    "joint_meeting_summary_first": "Record the summary of the last joint local meeting first",
    "joint_meeting_held_first": "No joint local meeting is waiting for its summary",
    "no_joint_meeting_proposed": "No joint local meeting is proposed",
    "joint_meeting_already_proposed": "A joint local meeting is already proposed: hold it or "
                                      "decline it",
    "agreement_already_requested": "The council has already been asked to agree this version "
                                   "of the plan",
    "deadline_not_running": "Choose a deadline that is running",
    "deadline_not_paused": "Choose a deadline that is paused",
    "owner_is_region_coordinator": "Choose a coordinator of this case's region as the owner",
    "owner_required": "Choose the case's owner",
    "owner_unchanged": "Choose someone else: they already own this case",
    "handover_size": "Choose between 1 and 500 cases to hand on at once",
    "handover_case_twice": "Choose each case once",
    "handover_owner_changed": "The cases they own have changed since this page was shown: "
                              "look at them again",
    "successor_required": "Choose the coordinator who takes their open cases",
    "grant_to_confidential_group": "Choose a coordinator, adviser or inspector: only they may "
                                   "read confidential material",
    "confidential_access_already_granted": "They already have access to the confidential "
                                           "material",
    "confidential_access_not_granted": "They have no access to the confidential material",
    "authority_not_registered": "Choose a council from the register of authorities",
    "region_of_the_authority": "Choose the region the council is in",
    "peer_role_fits_organisation": "Choose councillor or officer for a council's peer, and "
                                   "official for anyone else",
    "one_organisation": "Give the peer's own organisation once",
    "zero_duration": "Enter a time longer than nothing",
    "reminder_interval_too_short": "Enter a longer time between reminders",
    "webhook_https_only": "Enter a web address starting with https://",
    "webhook_address_not_public": "Enter a web address on the internet, not inside a network",
    "webhook_host_unresolved": "Enter a web address whose host can be found",
    "no_control_characters": "Remove the control characters from the text",
    "no_bidi_controls": "Remove the hidden text-direction characters from the text",
    "no_invisible_only_text": "Enter some visible text",
    "date_out_of_range": "Enter a date between 2000 and 2100",
    "timezone_required": "Enter a date and time",
    "allocation_over_5_percent": "Enter an allocation of at most 5% of the total budget",
    "allocation_below_commitments": "Enter an allocation no lower than what is committed",
    "budget_overspend": "Enter an amount the region's allocation can still pay for",
    "spend_over_commitment": "Enter an amount no more than is left of the commitment",
    "inactive_user": "This account is deactivated",
    "no_email_to_send": "The link cannot be emailed (email is not set up here, or they "
                        "have no address). Ask an administrator to let them in",
}

WRONG_VALUE: dict[str, str] = {  # a value the domain refuses by field, not by a named rule
    "commission_id": "Choose commissioned support on this case",
    "deployment_id": "Choose a peer deployment on this case",
    "peer_id": "Choose a peer from the register of peers",
    "offer_id": "Choose an offer from the register of support",
    "deadline": "Choose one of the case's deadlines",
    "notify_email": "Enter an email address in the correct format, like name@example.com",
    "webhook_url": "Enter a web address starting with https://",
    "webhook_secret": "The webhook signing key must be at least 16 characters, with no "
                      "spaces before or after it",
    "missed_reminder_limit": "Enter a whole number of reminders from 0 to 20",
    "escalation": "Choose whether to escalate automatically or propose an escalation",
    "policy": "Change at least one field: the policy is as it was",
}
_UNNAMED = ("invalid_field", "case_rule", "domain_rule")
_CHOOSE_KINDS = {"radios", "checkboxes", "select", "boolean"}
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_API_PATH = re.compile(r"\s*\(?\b(?:GET|POST|PUT|PATCH|DELETE)\s+/\S*\)?")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_CODE_WORD = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


_OWN_ARTICLE = ("the ", "a ", "an ", "how ", "what ", "who ", "when ", "why ", "where ",
                "which ", "whether ")


def mid_sentence(label: str) -> str:
    """A label mid-sentence: "the due date", keeping names that begin with a capital
    letter in the sector (RIEP, CAA)."""
    first = label.split(" ", 1)[0]
    text = label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]
    return text if text.startswith(_OWN_ARTICLE) else f"the {text}"


def _limit(message: str) -> str:
    found = _NUMBER.search(message)
    return f"{int(found.group().replace(',', '')):,}" if found else ""


def by_kind(field: FormField, kind: str, message: str) -> str | None:
    """A message for a problem pydantic names by its kind, or None if it has no words."""
    lower = mid_sentence(field.label)
    label = lower[:1].upper() + lower[1:]
    choose = field.kind in _CHOOSE_KINDS
    if field.kind == "rows" and kind in ("missing", "too_short"):
        part = field.rows[0].legend.rsplit(" ", 1)[0].lower() if field.rows else "part"
        return f"Add at least one {part}"
    if kind == "missing" or kind in ("string_too_short", "too_short") and "at least 1" in message:
        return f"Choose {lower}" if choose else f"Enter {lower}"
    if kind == "string_too_long":
        return f"{label} must be {_limit(message)} characters or fewer"
    if kind == "too_long":
        return f"{label} must have {_limit(message)} or fewer"
    if kind in ("string_too_short", "too_short"):
        return f"{label} must be at least {_limit(message)} characters"
    if kind in ("enum", "literal_error"):
        return f"Choose {lower} from the list"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{label} must be a whole number"
    if kind in ("decimal_parsing", "float_parsing", "decimal_type", "float_type"):
        return f"{label} must be a number, like 1200 or 1200.50"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{label} must be {_limit(message)} or more"
    if kind in ("less_than_equal", "less_than"):
        return f"{label} must be {_limit(message)} or less"
    if kind.startswith(("date", "datetime")) or kind == "timezone_aware":
        return f"{label} must be a real date"
    if kind in ("extra_forbidden",):
        return "Remove the field this form does not ask for"
    return None


def cleaned(message: str) -> str:
    """A domain message shown as it is, less its API paths, ids and field names."""
    text = _UUID.sub("", _API_PATH.sub("", message.removeprefix("Value error, ")))
    text = _CODE_WORD.sub(lambda m: m.group().replace("_", " "), text)
    text = re.sub(r"\s+([,.;:)])", r"\1", re.sub(r"\s{2,}", " ", text)).strip(" :;,")
    return text[:1].upper() + text[1:]


def refusal(rule: str, message: str, known: Mapping[str, Any] | None = None,
            field: str | None = None) -> str:
    """A domain refusal in the page's words, filled in with what the page knows (the peer's
    name, the council); by the field for a refusal without a rule of its own; else the
    domain's own message, cleaned."""
    if rule in _UNNAMED and (field or "") in WRONG_VALUE:
        return WRONG_VALUE[field or ""]
    words = REFUSALS.get(rule)
    if words is None:
        return cleaned(message)
    try:
        return words.format(**{k: v for k, v in (known or {}).items() if v})
    except KeyError:
        return words.split(":", 1)[0]


def _fields(fields: Iterable[FormField]) -> dict[str, FormField]:
    """Every field by its API name, the parts of a list of parts among them."""
    found: dict[str, FormField] = {}
    for field in fields:
        found[field.name] = field
        for group in field.rows:
            for name, part in _fields(group.fields).items():
                found[name] = part
    return found


def _part_field(name: str, by_name: dict[str, FormField]) -> FormField | None:
    """The field an error names, or the field it belongs to ("measures.Budget" ->
    measures)."""
    while name and name not in by_name:
        name = name.rpartition(".")[0]
    return by_name.get(name)


def _linked(field: FormField) -> str:
    """The field an error's link takes the cursor to: a list of parts has no box of its own,
    so its first part's first box."""
    if field.kind == "rows" and field.rows and field.rows[0].fields:
        return field.rows[0].fields[0].name
    return field.name


FORM_RULES = frozenset({"date_incomplete", "date_not_real", "time_incomplete", "time_not_real",
                        "date_out_of_range", "measure_not_judged"})
"""The rules api/web/forms.py checks itself and says in the GOV.UK words ("The date the
action is due must be a real date", "Choose whether ... is on track"), linking to the box."""


def in_words(errors: Iterable[FieldError], fields: Iterable[FormField]) -> list[FieldError]:
    """Each error with a message a person can act on; the field and rule kept for the page's
    links. A domain refusal comes already in words (`refusal`, where the page knows the
    names to fill in); it is only cleaned here."""
    by_name = _fields(fields)
    said = []
    for error in errors:
        field = _part_field(error.field, by_name)
        if error.rule in FORM_RULES:  # api/web/forms.py says them already
            said.append(error)
            continue
        words = by_kind(field, error.rule, error.message) \
            if field and error.rule not in REFUSALS else None
        said.append(FieldError(_linked(field) if field else error.field, error.rule,
                               words or cleaned(error.message), error.parts))
    return said


def error_words(rule: str, message: str) -> str:
    """For a page that holds only the rule and the domain's message: its words."""
    return refusal(rule, message) if rule in REFUSALS else cleaned(message)
