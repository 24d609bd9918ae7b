"""Every notice type's payload matches its JSON schema, and docs/webhooks/ holds each schema."""

import json
from pathlib import Path

import jsonschema
import pytest

from services.cases.workflow_contract import Notice
from services.reminders.webhooks import SCHEMAS, TYPES, body_of, payload

SCHEMA_FILES = Path(__file__).parents[2] / "docs" / "webhooks"


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


def schema_file(kind: str) -> Path:
    """Where the documentation keeps a notice type's schema: its name, spaces as hyphens."""
    return SCHEMA_FILES / f"{kind.replace(' ', '-')}.json"


def test_the_docs_hold_every_notice_types_schema_as_it_is_and_no_other():
    for kind, schema in SCHEMAS.items():
        shown = json.loads(schema_file(kind).read_text()) if schema_file(kind).exists() else None
        assert shown == schema, (
            f"{schema_file(kind)} is not the schema in force for {kind!r}: write it again with "
            "json.dumps(services.reminders.webhooks.SCHEMAS[kind], indent=2)")
    assert sorted(SCHEMA_FILES.glob("*.json")) == sorted(map(schema_file, SCHEMAS))


def test_the_reminders_page_links_every_schema_file():
    page = (SCHEMA_FILES.parent / "reminders-and-notices.md").read_text()
    for kind in SCHEMAS:
        assert f"](webhooks/{schema_file(kind).name})" in page, kind


def test_a_regions_webhook_secret_is_long_enough_or_refused_naming_the_field():
    from domain.errors import InvalidField
    from domain.policy import EscalationPolicy

    assert EscalationPolicy.from_fields(webhook_secret="s" * 16).webhook_secret == "s" * 16
    with pytest.raises(InvalidField) as refused:
        EscalationPolicy.from_fields(webhook_secret="short")
    assert refused.value.field == "webhook_secret"
