"""Signed checkpoints anchor the chain: a rewrite with recomputed links, or a cut, is named."""

import json
import stat

import pytest

from deploy.cli import main as verify_cli
from services.audit.checkpoints import CheckpointLedger, verify_against_checkpoint
from services.audit.exports import verify_export
from services.audit.merkle import leaf_hash, root_from_proof
from services.audit.signing import SigningKey, load_public_keys, public_path, signature_problem
from services.eventstore.chain import MAGIC_V2, EventParts, split
from tests.helpers import OPEN_CASE
from tests.integration.test_history_integrity import key, run_sql, write_state

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


@pytest.fixture
def signing_key(tmp_path):
    return SigningKey.create(tmp_path / "keys" / "checkpoint.pem")


@pytest.fixture
def ledger(settings, signing_key):
    made = CheckpointLedger(settings, key=signing_key)
    yield made
    made.close()


def a_case(cases, reminders: int = 4):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    for n in range(reminders):
        cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner",
                             reminder_key=f"k{n}")
    return case_id


def rewrite_with_recomputed_links(cases, settings, case_id, version: int) -> None:
    """What someone who can write the database can do: change an event, re-chain the rest."""
    previous = split(cases.stored_events(case_id)[version - 2].state).own
    for event in cases.stored_events(case_id)[version - 1:]:
        header = split(event.state)
        plain = header.plain
        if event.originator_version == version:
            plain = plain.replace(b'"owner"', b'"nobody"')
        state = cases.decode_state(plain)
        parts = EventParts.of(state, int(state.get("class_version", 1)))
        own = parts.link(previous, event.originator_id, event.originator_version, event.topic,
                         header.salt)
        new = MAGIC_V2 + previous.encode() + own.encode() + header.salt.encode() + plain
        write_state(settings, case_id, event.originator_version, new)
        previous = own


def public_keys(*signing_keys):
    return load_public_keys(public_path(k_path).read_bytes() for k_path in signing_keys)


def test_a_checkpoint_signs_every_streams_head_and_proves_each(cases, ledger, signing_key):
    ids = [a_case(cases, reminders=n) for n in range(3)]
    checkpoint = ledger.write(cases)
    assert checkpoint.streams == 4 and checkpoint.id == 1  # and the region's reference counter
    assert signature_problem(checkpoint.body(), {signing_key.key_id: signing_key.public_key}) \
        is None
    for case_id in ids:
        proof = ledger.proof(checkpoint.id, case_id)
        head = split(cases.stored_events(case_id)[-1].state).own
        assert (proof["version"], proof["hash"]) == (len(cases.stored_events(case_id)), head)
        leaf = leaf_hash(str(case_id), proof["version"], proof["hash"])
        assert root_from_proof(leaf, proof["path"]) == checkpoint.root
        assert verify_against_checkpoint(cases, ledger, case_id).ok
    forged = {**checkpoint.body(), "root": "0" * 64}
    assert "does not hold" in signature_problem(forged, ledger.public_keys)


def test_the_signing_key_is_its_owners_alone(signing_key, tmp_path):
    path = tmp_path / "keys" / "checkpoint.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert SigningKey.load_or_create(path).key_id == signing_key.key_id


def test_a_rewrite_with_recomputed_links_is_named_against_the_checkpoint(cases, settings,
                                                                        ledger, tmp_path):
    case_id = a_case(cases)
    checkpoint = ledger.write(cases)
    evidence = {"checkpoint": checkpoint.body(),
                "inclusion_proof": ledger.proof(checkpoint.id, case_id)}
    rewrite_with_recomputed_links(cases, settings, case_id, version=2)
    assert cases.verify(case_id).ok  # the chain alone cannot see it
    result = verify_against_checkpoint(cases, ledger, case_id)
    assert not result.ok and result.first_broken_version == 5
    assert "rewritten" in result.problem
    export = cases.export_history(case_id)
    assert verify_export(export).ok  # nor can the file alone
    offline = verify_export(export, checkpoint=evidence, public_keys=ledger.public_keys)
    assert not offline.ok and "rewritten" in offline.problem


def test_events_cut_off_before_the_checkpoint_are_named(cases, settings, ledger):
    case_id = a_case(cases)
    checkpoint = ledger.write(cases)
    evidence = {"checkpoint": checkpoint.body(),
                "inclusion_proof": ledger.proof(checkpoint.id, case_id)}
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version>=4",
            (key(case_id, settings),))
    assert cases.verify(case_id).ok
    result = verify_against_checkpoint(cases, ledger, case_id)
    assert not result.ok and result.first_broken_version == 4 and "cut off" in result.problem
    offline = verify_export(cases.export_history(case_id), checkpoint=evidence,
                            public_keys=ledger.public_keys)
    assert not offline.ok and offline.first_broken_version == 4


def test_later_events_and_later_checkpoints_keep_earlier_ones_provable(cases, ledger):
    first_case = a_case(cases)
    first = ledger.write(cases)
    assert ledger.write(cases, only_if_changed=True) is None  # nothing new: nothing written
    cases.issue_reminder(first_case, deadline="diagnosis", recipient="owner", reminder_key="z")
    second_case = a_case(cases, reminders=1)
    second = ledger.write(cases, only_if_changed=True)
    # two cases and their region's reference counter
    assert (second.id, second.streams) == (2, 3) and second.root != first.root
    assert ledger.proof(first.id, second_case) is None
    assert ledger.proof(first.id, first_case)["version"] == 5
    assert ledger.proof(second.id, first_case)["version"] == 6
    assert verify_against_checkpoint(cases, ledger, first_case).ok
    export = cases.export_history(first_case, **ledger.evidence(first_case))
    assert verify_export(export, public_keys=ledger.public_keys).checkpoint["id"] == 2
    old = {"checkpoint": first.body(), "inclusion_proof": ledger.proof(first.id, first_case)}
    assert verify_export(export, checkpoint=old, public_keys=ledger.public_keys).ok


def test_after_a_key_rotation_old_checkpoints_verify_with_the_old_public_key(
        cases, settings, ledger, tmp_path):
    case_id = a_case(cases)
    old = ledger.write(cases)
    old_evidence = {"checkpoint": old.body(), "inclusion_proof": ledger.proof(old.id, case_id)}
    new_key = SigningKey.create(tmp_path / "keys" / "checkpoint-2027.pem")
    rotated = CheckpointLedger(settings, key=new_key, public_keys=ledger.public_keys)
    try:
        cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner", reminder_key="r")
        new = rotated.write(cases)
        assert new.key_id == new_key.key_id != old.key_id
        assert verify_against_checkpoint(cases, rotated, case_id).ok
        export = cases.export_history(case_id, **rotated.evidence(case_id))
        both = public_keys(tmp_path / "keys" / "checkpoint.pem", tmp_path / "keys" /
                           "checkpoint-2027.pem")
        assert verify_export(export, checkpoint=old_evidence, public_keys=both).ok
        assert verify_export(export, public_keys=both).ok
        only_new = public_keys(tmp_path / "keys" / "checkpoint-2027.pem")
        refused = verify_export(export, checkpoint=old_evidence, public_keys=only_new)
        assert not refused.ok and "not among the public keys given" in refused.problem
    finally:
        rotated.close()


def test_an_altered_checkpoint_row_is_named(cases, settings, ledger):
    case_id = a_case(cases)
    ledger.write(cases)
    table = "checkpoints" if settings.store == "sqlite" else \
        f'"{settings.postgres_schema}".checkpoints'
    run_sql(settings, f"UPDATE {table} SET root=%s", ("0" * 64,))
    result = verify_against_checkpoint(cases, ledger, case_id)
    assert not result.ok and "signature does not hold" in result.problem


def test_the_command_line_checks_an_export_against_a_checkpoint(cases, settings, ledger,
                                                                tmp_path, capsys):
    case_id = a_case(cases)
    checkpoint = ledger.write(cases)
    cp_file = tmp_path / "cp.json"
    cp_file.write_text(json.dumps({"checkpoint": checkpoint.body(),
                                   "inclusion_proof": ledger.proof(checkpoint.id, case_id)}))
    pem = str(public_path(tmp_path / "keys" / "checkpoint.pem"))
    export = tmp_path / "case.jsonl"
    export.write_text("\n".join(cases.export_history(case_id)) + "\n")
    args = ["verify", str(export), "--checkpoint", str(cp_file), "--public-key", pem]
    assert verify_cli(args) == 0
    assert '"included_version": 5' in capsys.readouterr().out
    rewrite_with_recomputed_links(cases, settings, case_id, version=3)
    export.write_text("\n".join(cases.export_history(case_id)) + "\n")
    assert verify_cli(["verify", str(export)]) == 0  # without the checkpoint: unseen
    assert verify_cli(args) == 1
    assert "rewritten" in capsys.readouterr().out
    assert verify_cli(["verify", str(export), "--checkpoint", str(cp_file)]) == 2
    assert verify_cli(args[:-1] + [str(tmp_path / "nokey.pem")]) == 2
    assert "cannot read" in capsys.readouterr().err
