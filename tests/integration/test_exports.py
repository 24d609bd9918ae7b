"""Exports bound to the chain: every attack on what a reader sees is detected offline."""

import hashlib
import json

import pytest

from deploy.cli import main as verify_cli
from domain.confidentiality import redact_event
from services.audit.exports import verify_export
from services.cases.service import CaseService
from services.eventstore.chain import canonical, field_commitment
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
SOURCE = "Chief executive of Eastshire County Council"


def a_case_with_a_confidential_source(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.add_intelligence(case_id, content="Two senior officers resigned", source=SOURCE,
                           confidentiality="Chatham House", **ACTOR)
    cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner", reminder_key="k")
    cases.record_diagnosis(case_id, summary="capacity and leadership", **ACTOR)
    return case_id


def records(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines]


def lines_of(recs: list[dict]) -> list[str]:
    return [json.dumps(r) for r in recs]


def edited(lines: list[str], index: int, change) -> list[str]:
    recs = records(lines)
    change(recs[index])
    return lines_of(recs)


@pytest.fixture
def case_id(cases):
    return a_case_with_a_confidential_source(cases)


def test_an_export_with_a_withheld_source_verifies_and_does_not_hold_it(cases, case_id):
    lines = cases.export_history(case_id, redact=redact_event)
    result = verify_export(lines)
    assert result.ok and result.events_checked == 4
    assert SOURCE not in "\n".join(lines)
    intelligence = records(lines)[1]
    assert intelligence["data"]["content"] == "Two senior officers resigned"
    assert "source" not in intelligence["data"] and "source" not in intelligence["salts"]
    assert intelligence["withheld"]["source"]["reason"] == "withheld (Chatham House)"
    assert verify_export(cases.export_history(case_id)).ok  # and in full, for coordinators


@pytest.mark.parametrize("attack", [
    ("data", lambda r: r["data"].update(content="Nothing to worry about")),
    ("actor", lambda r: r["actor"].update(id="someone-else")),
    ("recorded_at", lambda r: r.update(recorded_at="2020-01-01T00:00:00+00:00")),
    ("type", lambda r: r.update(type="SomethingElse")),
    ("a field dropped", lambda r: r["data"].pop("confidentiality")),
    ("a field added", lambda r: r.update(note="verified by the regulator")),
    ("a shown field marked withheld wrongly",
     lambda r: r.setdefault("withheld", {}).update(content={"commitment": "0" * 64})),
], ids=lambda a: a[0])
def test_an_edit_to_anything_a_reader_sees_is_detected(cases, case_id, attack):
    lines = cases.export_history(case_id, redact=redact_event)
    result = verify_export(edited(lines, 1, attack[1]))
    assert not result.ok and result.first_broken_version == 2, result


def test_a_withheld_field_replaced_by_a_readable_value_is_detected(cases, case_id):
    lines = cases.export_history(case_id, redact=redact_event)

    def reveal(record):
        record["withheld"].pop("source")
        record["data"]["source"] = "The council's own auditor"
        record["salts"]["source"] = "0" * 32
    assert not verify_export(edited(lines, 1, reveal)).ok


def test_a_dropped_last_line_a_missing_end_and_an_empty_file_are_detected(cases, case_id):
    lines = cases.export_history(case_id)
    cut = lines[:-2] + lines[-1:]
    result = verify_export(cut)
    assert not result.ok and "cut short" in result.problem and result.first_broken_version == 4
    assert "no closing line" in verify_export(lines[:-1]).problem
    assert not verify_export([]).ok and "empty" in verify_export([]).problem
    assert not verify_export(["", "  "]).ok


def test_a_guess_at_a_withheld_source_confirms_nothing(cases, case_id):
    """The inspector's own file gives no way to test a guess: right and wrong look alike."""
    inspector = records(cases.export_history(case_id, redact=redact_event))[1]
    commitment = inspector["withheld"]["source"]["commitment"]

    def confirmed(guess: str) -> bool:
        salts = ["", *inspector["salts"].values()]
        tries = [hashlib.sha256(canonical(guess).encode()).hexdigest(),
                 hashlib.sha256(guess.encode()).hexdigest(),
                 *(field_commitment(salt, guess) for salt in salts)]
        return commitment in tries

    assert confirmed(SOURCE) == confirmed("A wrong guess") is False
    # The commitment is of the source: with the field's own salt (which only a reader
    # cleared to see the source is given) the true value matches and a wrong one does not.
    coordinator = records(cases.export_history(case_id))[1]
    salt = coordinator["salts"]["source"]
    assert field_commitment(salt, SOURCE) == commitment
    assert field_commitment(salt, "A wrong guess") != commitment


def test_the_verifier_command_explains_itself_and_reads_files_plainly(cases, case_id, tmp_path,
                                                                      capsys):
    export = tmp_path / "case.jsonl"
    export.write_text("\n".join(cases.export_history(case_id)) + "\n")
    assert verify_cli(["verify", str(export)]) == 0
    with pytest.raises(SystemExit) as shown:
        verify_cli(["verify", "--help"])
    assert shown.value.code == 0
    help_text = capsys.readouterr().out
    assert "exit status" in help_text and "withheld" in help_text and "cut" in help_text
    for unreadable in (tmp_path / "missing.jsonl", tmp_path):
        assert verify_cli(["verify", str(unreadable)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("verify: cannot read") and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    export.write_bytes(b"\xff\xfe not text")
    assert verify_cli(["verify", str(export)]) == 2


def test_a_history_stored_under_the_first_scheme_still_verifies(cases: CaseService):
    cases.events.scheme = "hc1"
    case_id = a_case_with_a_confidential_source(cases)
    cases.events.scheme = "hc2"
    cases.add_intelligence(case_id, content="More news", source="press",
                           confidentiality="normal", **ACTOR)
    stored = cases.stored_events(case_id)
    assert [s.state[:4] for s in stored] == [b"hc1:"] * 4 + [b"hc2:"]
    assert cases.verify(case_id).ok and cases.verify(case_id).events_checked == 5
    lines = cases.export_history(case_id, redact=redact_event)
    assert verify_export(lines).ok
    assert [r.get("scheme") for r in records(lines)[:-1]] == ["hc1"] * 4 + ["hc2"]
    assert records(lines)[1]["withheld"] is True and "state" not in records(lines)[1]
    # an old line's state edited, or dropped and replaced by readable data, is detected
    tampered = edited(lines, 2, lambda r: r.update(state=r["state"].replace("owner", "x")))
    assert verify_export(tampered).first_broken_version == 3

    def rewritten(record):
        record.pop("state")
        record["data"] = {"recipient": "someone else"}
    assert verify_export(edited(lines, 2, rewritten)).first_broken_version == 3
    assert verify_export(edited(lines, 2, lambda r: r.pop("state"))).first_broken_version == 3
