"""Documents attached to a case are bound into its history, listed on it, and withheld
under Chatham House as a source is; on both stores."""

import hashlib
import json

import pytest

from domain.confidentiality import WITHHELD, redact_case, redact_event
from domain.errors import InvalidField, RuleViolation
from services.audit.exports import verify_export
from services.cases.handler import Actor, CaseCommandHandler
from services.cases.idempotency import IdempotencyStore, Keyed, fingerprint
from services.cases.service import CaseService
from services.eventstore.chain import field_commitment
from tests.helpers import EXIT_STRATEGY, OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
LETTER = b"%PDF-1.7 the inspection letter"
STORED = dict(sha256=hashlib.sha256(LETTER).hexdigest(), size=len(LETTER),
              media_type="application/pdf", filename="Ofsted letter.pdf")


def attach(cases: CaseService, case_id, **overrides) -> int:
    fields = dict(title="Ofsted inspection letter", kind="inspection report",
                  step="the concern's intelligence", step_ref="", confidentiality="normal",
                  stored=STORED)
    fields.update(overrides)
    return cases.attach_document(case_id, **fields, **ACTOR)


def test_an_attached_document_is_recorded_with_its_hash_and_listed_on_the_case(cases):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    assert attach(cases, case_id) == 2

    [document] = cases.get_case(case_id)["documents"]
    assert document["document_id"] == "document-1"
    assert document["sha256"] == STORED["sha256"] and document["size"] == len(LETTER)
    assert document["filename"] == "Ofsted letter.pdf"
    assert document["step"] == "the concern's intelligence"
    event = cases.history(case_id)[-1]
    assert event["type"] == "DocumentAttached"
    assert event["data"]["sha256"] == STORED["sha256"]
    assert event["actor"] == {"id": "coordinator-1", "role": "coordinator"}
    assert cases.verify(case_id).ok


def test_the_hash_is_bound_into_the_chain_so_an_edited_one_is_caught(cases):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    attach(cases, case_id)
    lines = cases.export_history(case_id)
    assert verify_export(lines).ok
    records = [json.loads(line) for line in lines]
    records[1]["data"]["sha256"] = "0" * 64
    result = verify_export([json.dumps(r) for r in records])
    assert not result.ok and result.first_broken_version == 2


def test_a_step_ref_must_name_a_step_the_case_has(cases):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    with pytest.raises(InvalidField) as refused:
        attach(cases, case_id, step="a peer deployment's visit", step_ref="deployment-1")
    assert refused.value.field == "step_ref"
    with pytest.raises(InvalidField) as refused:
        attach(cases, case_id, step="the diagnosis")
    assert refused.value.field == "step"
    with pytest.raises(InvalidField) as refused:
        attach(cases, case_id, stored={**STORED, "filename": "minutes\x00.pdf"})
    assert refused.value.field == "filename"
    assert cases.get_case(case_id)["version"] == 1  # nothing written


def test_a_closed_case_takes_documents_only_on_its_closure(cases):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.close_case(case_id, outcome="improved and handed back", exit_strategy=EXIT_STRATEGY,
                     **ACTOR)
    with pytest.raises(RuleViolation) as refused:
        attach(cases, case_id)
    assert refused.value.rule == "closed_case_is_read_only"
    attach(cases, case_id, step="the closure", kind="letter", title="Closing letter")
    assert [d["step"] for d in cases.get_case(case_id)["documents"]] == ["the closure"]


def test_a_case_from_before_documents_loads_from_its_snapshot_and_takes_one(cases):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.take_snapshot(case_id)
    fresh = CaseService(dict(cases.env))
    try:
        assert fresh.get_case(case_id)["documents"] == []
        attach(fresh, case_id)
        fresh.take_snapshot(case_id)
    finally:
        fresh.close()
    again = CaseService(dict(cases.env))
    try:
        assert [d["document_id"] for d in again.get_case(case_id)["documents"]] == ["document-1"]
    finally:
        again.close()


def test_a_chatham_house_document_is_withheld_and_its_redacted_export_verifies(cases):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    attach(cases, case_id, confidentiality="Chatham House", title="Chief executive's note")

    [shown] = redact_case(cases.get_case(case_id))["documents"]
    assert shown["title"] == shown["filename"] == WITHHELD
    assert not {"sha256", "size", "media_type"} & set(shown)
    assert shown["kind"] == "inspection report" and shown["step"] == "the concern's intelligence"
    event = redact_event(cases.history(case_id)[-1])
    assert "Chief executive" not in json.dumps(event, default=str)
    assert STORED["sha256"] not in json.dumps(event, default=str)

    lines = cases.export_history(case_id, redact=redact_event)
    assert verify_export(lines).ok
    assert STORED["sha256"] not in "".join(lines) and "Chief executive" not in "".join(lines)
    withheld = json.loads(lines[1])["withheld"]
    assert set(withheld) == {"title", "filename", "sha256", "size", "media_type"}
    salted = [json.loads(line) for line in cases.export_history(case_id)][1]
    assert withheld["sha256"]["commitment"] == field_commitment(
        salted["salts"]["sha256"], STORED["sha256"])


async def test_the_command_handler_attaches_once_per_key(cases):
    """The upload route and the page both come through the one handler, with primitives."""
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    handler = CaseCommandHandler(cases, IdempotencyStore(cases), gateway=lambda: None)
    arguments = dict(title="Minutes of the joint local meeting", kind="minutes",
                     step="the case as a whole", step_ref="", confidentiality="normal",
                     stored=STORED)
    key = Keyed("coordinator-1", "attach-1", fingerprint("POST", "/documents", b"same"))
    for _attempt in range(2):  # a retry records nothing twice
        await handler.handle(case_id, "attach_document", arguments,
                             Actor("coordinator-1", "coordinator"), expected_version=1, key=key)
    assert [d["title"] for d in cases.get_case(case_id)["documents"]] == [arguments["title"]]
