"""Every notice type's payload matches its JSON schema, and the README shows each schema."""

import json
import re
from pathlib import Path

import jsonschema
import pytest

from services.cases.workflow_contract import Notice
from services.reminders.webhooks import SCHEMAS, TYPES, body_of, payload

README = Path(__file__).parents[2] / "README.md"


def notice(kind: str) -> Notice:
    return Notice(key="diagnosis:2026-11-23T18:36:22+00:00:before", case_id="f4dcdcc3",
                  authority="Northshire County Council", region="North West",
                  subject="Northshire County Council: diagnosis due Monday 23 November 2026",
                  body="Hello,\n\nThe diagnosis ...", email_to="someone@riep.example",
                  kind=kind, deadline="diagnosis", due="2026-11-23T18:36:22+00:00",
                  to_stage="RIEP", case_url="https://casework.example.org/cases/f4dcdcc3")


@pytest.mark.parametrize("kind", TYPES)
def test_each_notice_types_payload_validates_against_its_schema(kind):
    body = payload(notice(kind))
    jsonschema.validate(body, SCHEMAS[kind])
    assert json.loads(body_of(notice(kind))) == body
    assert "someone@riep.example" not in body_of(notice(kind)).decode()  # no address goes out


def test_a_payload_that_misses_a_field_or_adds_one_is_refused_by_the_schema():
    body = payload(notice("remind"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({k: v for k, v in body.items() if k != "due"}, SCHEMAS["remind"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "email_to": "x@y"}, SCHEMAS["remind"])


def test_the_readme_shows_every_notice_types_schema_as_it_is():
    shown = {}
    for block in re.findall(r"```json\n(\{\n  \"\$schema\".*?)```", README.read_text(), re.S):
        document = json.loads(block)
        if isinstance(document, dict) and "title" in document:
            shown[document["title"]] = document
    for kind, schema in SCHEMAS.items():
        assert shown.get(schema["title"]) == schema, f"the README's schema for {kind!r}"


def test_a_regions_webhook_secret_is_long_enough_or_refused_naming_the_field():
    from domain.errors import InvalidField
    from domain.policy import EscalationPolicy

    assert EscalationPolicy.from_fields(webhook_secret="s" * 16).webhook_secret == "s" * 16
    with pytest.raises(InvalidField) as refused:
        EscalationPolicy.from_fields(webhook_secret="short")
    assert refused.value.field == "webhook_secret"
