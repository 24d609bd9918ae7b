"""The pages' words: every stored value, event, refusal and form field said in plain
English, with no code word a person would have to translate."""

import re
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import pytest
from eventsourcing.domain import CanMutateAggregate

import domain.vocabulary as vocabulary
from api.commands import COMMANDS
from api.schemas import CaseOpen
from api.web.field_words import BY_BODY, BY_FIELD
from api.web.forms import FieldError, FormField, FormGroup, form_fields
from api.web.messages import REFUSALS, cleaned, in_words, refusal
from api.web.people import Directory, Person, RegisteredPeer
from api.web.timeline import SENTENCES, entry, sentence, short_sentence
from api.web.words import DONE, PHRASES, duration, money, say
from domain.case import Case
from domain.case.support import Delivery
from domain.case.support_plan import PlanStatus
from domain.identity import Role
from domain.policy import EscalationMode

ENUMS = [e for e in vars(vocabulary).values()
         if isinstance(e, type) and issubclass(e, StrEnum) and e is not StrEnum]
ENUMS += [EscalationMode, Role, PlanStatus, Delivery]
CODE_WORD = re.compile(r"\b[a-z]+_[a-z_]+\b|\b(?:GET|POST|PUT|ISO)\b|`|/cases|\bid\b"
                       r"|username|[A-Z][a-z]+[A-Z][a-z]+|\(version|version \d")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
PEOPLE = Directory(
    {"lia": Person("lia", "Lia Liaison", "authority liaison",
                   authority="Northshire County Council"),
     "cora": Person("cora", "Cora Coordinator", "coordinator", region="North West")},
    {"p-1": RegisteredPeer("p-1", "Pat Peer", "Northshire County Council", "officer")})


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_stored_value_has_words_and_none_is_shown_like_code(enum):
    for member in enum:
        assert member.value.casefold() in PHRASES, member
        shown = say(member.value)
        assert shown[:1].isupper() and shown == say(member.value.lower()), shown
        assert "_" not in shown


def test_the_sector_spells_its_own_names():
    assert say("riep") == "RIEP" and say("caa annual review") == "CAA annual review"
    assert say("chatham house") == "Chatham House"
    assert say("refer to riep with agreement") == (
        "Refer to the RIEP with the council's agreement")
    assert say("authority liaison") == "Council liaison"


def test_money_has_separators_and_pence_only_when_not_whole():
    assert money(5600000) == "£5,600,000"
    assert money("1200.50") == "£1,200.50"
    assert money("1200.00") == "£1,200"


@pytest.mark.parametrize("stored, words", [
    ("10", "10 working days"), ("1", "1 working day"), ("PT31536000S", "1 year"),
    ("P6W", "6 weeks"), ("PT3600S", "1 hour"), ("PT90S", "90 seconds")])
def test_durations_read_in_words(stored, words):
    assert duration(stored) == words


def _case_events() -> set[str]:
    return {c.__name__ for name in dir(Case) if isinstance(c := getattr(Case, name), type)
            and issubclass(c, CanMutateAggregate) and c.__name__ not in ("Created", "Event")}


def test_every_event_a_case_records_has_a_sentence():
    missing = _case_events() - set(SENTENCES)
    assert not missing, missing


@pytest.mark.parametrize("kind", sorted(_case_events()))
def test_no_sentence_holds_a_code_word(kind):
    event = {"type": kind, "actor": {"id": "lia", "role": "authority liaison"},
             "data": {"deadline": "plan agreed", "due": datetime(2027, 3, 3, tzinfo=UTC),
                      "outcome": "refer to RIEP with agreement", "kind": "inherent",
                      "band": "key risk", "from_stage": "local", "to_stage": "RIEP",
                      "cost": "5600000", "provider": "IDeA", "grantee": "cora",
                      "to_owner": "cora", "peer_id": "p-1", "channel": "email"}}
    said = sentence(event, PEOPLE)
    assert said.startswith("Lia Liaison, council liaison, Northshire County Council, ")
    assert not CODE_WORD.search(said), said


def test_a_timeline_entry_says_who_did_what_why_and_the_details_in_words():
    agreed = {"type": "SupportPlanAgreed", "actor": {"id": "lia", "role": "authority liaison"},
              "data": {"reason": "Co-designed", "revision": 1,
                       "review_due": datetime(2027, 3, 3, 12, tzinfo=UTC)}}
    told = entry(agreed, PEOPLE)
    assert told.title == ("Lia Liaison, council liaison, Northshire County Council, agreed "
                          "the support plan")
    assert told.why == "Co-designed" and ("Next review", "3 March 2027") in told.details
    assert short_sentence(agreed, PEOPLE) == "Lia Liaison agreed the support plan"
    reminder = {"type": "ReminderIssued", "actor": {"id": "automation", "role": "automation"},
                "data": {"deadline": "diagnosis", "due": "2027-03-03T12:00:00+00:00",
                         "recipient": "cora"}}
    assert sentence(reminder, PEOPLE).startswith("Casework reminded Cora Coordinator")


def test_every_command_says_what_was_done():
    assert {s.method for s in COMMANDS} | {"open_case"} <= set(DONE)


def _domain_rules() -> set[str]:
    """Every rule the domain names: `rule="..."`, rule constants and returned rule pairs."""
    texts = [path.read_text() for path in Path("domain").rglob("*.py")]
    constants = dict(kv for text in texts
                     for kv in re.findall(r'^([A-Z_]+) = "([a-z0-9_]+)"$', text, re.M))
    rules: set[str] = set()
    for text in texts:
        rules |= set(re.findall(r'rule="([a-z0-9_]+)"', text))
        rules |= set(re.findall(r'return \("([a-z0-9_]+)",', text))
        named = re.findall(r"rule=([A-Z_]+)", text)
        named += re.findall(r"_refused\([^)]*?, ([A-Z_]+)\)", text, re.S)
        rules |= {constants[c] for c in named if c in constants}
    return rules


def test_every_rule_of_the_domain_has_page_words():
    rules = _domain_rules()
    assert {"peer_own_council", "plan_agreed_first", "owner_unchanged",
            "webhook_https_only"} <= rules
    assert not rules - set(REFUSALS), rules - set(REFUSALS)
    for rule in REFUSALS:
        assert not CODE_WORD.search(refusal(rule, "", {"peer": "Pat Peer", "council": "X"}))


def test_a_refusal_names_the_peer_and_the_council_it_is_about():
    assert refusal("peer_own_council", "a peer is never deployed to their own council",
                   {"peer": "Pat Peer", "council": "Northshire County Council"}) == (
        "Choose a peer from another council: Pat Peer works for Northshire County Council, "
        "the council this case supports")
    assert refusal("plan_agreed_first", "no commission before ...") == (
        "The council must agree the support plan first")


def test_a_refusal_without_a_rule_of_its_own_is_said_by_its_field():
    assert refusal("invalid_field", "no commission 'nope' on this case",
                   field="commission_id") == "Choose commissioned support on this case"
    assert refusal("invalid_field", "notify_email must be an email address; got 'x'",
                   field="notify_email").startswith("Enter an email address")


def test_a_domain_message_shown_as_it_is_loses_its_api_path_and_ids():
    shown = cleaned("end the commissioned support first (POST /cases/{id}/commission-ends): "
                    "14991c95-1111-2222-3333-444455556666; notify_email must be an address")
    assert not CODE_WORD.search(shown) and not UUID_TEXT.search(shown), shown
    assert shown.startswith("End the commissioned support first")


REASON = FormField("reason", "reason", "Reason", "textarea")
IMPACT = FormField("impact", "impact", "Impact", "radios", choices=("high", "low"))
DUE = FormField("actions.0.due", "actions-0-due", "Due date", "date")
ACTIONS = FormField("actions", "actions", "Actions", "rows", rows=(FormGroup("Action 1", (
    FormField("actions.0.description", "actions-0-description", "What will be done",
              "textarea"), DUE)),))


@pytest.mark.parametrize("error, field, words", [
    (FieldError("reason", "missing", "Field required"), REASON, "Enter the reason"),
    (FieldError("reason", "string_too_long", "String should have at most 5000 characters"),
     REASON, "The reason must be 5,000 characters or fewer"),
    (FieldError("impact", "missing", "Field required"), IMPACT, "Choose the impact"),
    (FieldError("impact", "enum", "Input should be 'high' or 'low'"), IMPACT,
     "Choose the impact from the list"),
    (FieldError("actions.0.due", "date_from_datetime_parsing", "Input should be a valid date"),
     DUE, "The due date must be a real date")])
def test_an_error_says_what_to_do_from_the_fields_label(error, field, words):
    assert in_words([error], [field])[0].message == words


def test_a_missing_list_of_parts_asks_for_one_and_links_to_its_first_box():
    said = in_words([FieldError("actions", "missing", "Field required")], [ACTIONS])[0]
    assert (said.message, said.id) == ("Add at least one action", "actions-0-description")


def _every_field(fields):
    for field in fields:
        yield field
        for group in field.rows:
            yield from _every_field(group.fields)


@pytest.mark.parametrize("schema", [CaseOpen, *sorted({s.schema for s in COMMANDS},
                                                    key=lambda s: s.__name__)],
                         ids=lambda s: s.__name__)
def test_no_label_or_hint_of_any_form_holds_a_code_word(schema):
    for field in _every_field(form_fields(schema)):
        for text in (field.label, field.hint):
            assert not CODE_WORD.search(text), (field.name, text)


def test_each_command_page_opens_in_words_not_the_apis_description():
    from api.web.field_words import INTROS, intro

    assert set(INTROS) <= {s.path for s in COMMANDS}
    for spec in COMMANDS:
        said = intro(spec.path)
        assert not CODE_WORD.search(said), (spec.path, said)
        if spec.description:  # the API's description is for programs: the page says its own
            assert said and said != spec.description, spec.path


def test_the_words_table_names_only_fields_that_exist():
    names = {n.rsplit(".", 1)[-1] for s in [CaseOpen, *(c.schema for c in COMMANDS)]
             for n in (f.name for f in _every_field(form_fields(s)))}
    assert set(BY_FIELD) <= names | {"authority", "region"}
    assert {field for _, field in BY_BODY} <= names


def test_a_long_case_reads_as_sentences_with_details_in_words():
    from services.cases.service import case_view, event_view
    from tests.unit.every_case_event import the_long_case

    case = the_long_case()
    events = [event_view(e) for e in case.collect_events()]
    for event in events:
        told = entry(event, PEOPLE, case_view(case))
        for text in (told.title, *(value for _, value in told.details),
                     *(label for label, _ in told.details)):
            assert not CODE_WORD.search(text) and not UUID_TEXT.search(text), (
                event["type"], text)
    automated = next(e for e in events if e["type"] == "ReminderIssued")
    assert sentence(automated, PEOPLE).startswith("Casework reminded ")
