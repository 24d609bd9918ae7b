"""A document's facts and who may attach it where: the rules in domain/, without I/O."""

import pytest

from domain.documents import ACCEPTED, FILENAME_LIMIT, StoredFile, display_filename
from domain.errors import InvalidField
from domain.identity import CaseRelations, Principal, Role, may, may_attach_document_to
from tests.unit.case_builder import ACTOR, NOW, agreed

FACTS = dict(sha256="ab" * 32, size=10, media_type="application/pdf", filename="letter.pdf")
PEER = Principal("peer-1", Role.PEER)


@pytest.mark.parametrize("given, shown", [
    ("  Joint meeting minutes.odt ", "Joint meeting minutes.odt"), ("..letter.pdf", "..letter.pdf")])
def test_a_filename_is_a_display_name(given, shown):
    assert display_filename(given) == shown


@pytest.mark.parametrize("given", ["../../etc/passwd", "C:\\Users\\cora\\minutes.docx", "/",
                                   "\\", "a/b.pdf"])
def test_a_filename_that_is_a_path_is_refused_not_trimmed(given):
    with pytest.raises(InvalidField) as refused:
        display_filename(given)
    assert (refused.value.field, refused.value.rule) == ("filename", "filename_is_a_path")


@pytest.mark.parametrize("given", ["minutes\x00.pdf", "a\nb.pdf", "evil\u202egpj.exe", "dir/",
                                   "..", 42])
def test_a_filename_with_control_characters_or_no_name_is_refused(given):
    with pytest.raises(InvalidField) as refused:
        display_filename(given)
    assert refused.value.field == "filename"


def test_a_long_filename_is_shortened_keeping_its_extension():
    name = display_filename("x" * 500 + ".xlsx")
    assert len(name) == FILENAME_LIMIT and name.endswith(".xlsx")


@pytest.mark.parametrize("field, value", [("sha256", "AB" * 32), ("sha256", "ab"),
                                          ("size", 0), ("size", True),
                                          ("media_type", "text/html")])
def test_stored_facts_are_checked_naming_the_field(field, value):
    with pytest.raises(InvalidField) as refused:
        StoredFile.of({**FACTS, field: value})
    assert refused.value.field == field


def test_every_accepted_type_has_a_plain_name():
    assert {m.name for m in ACCEPTED.values()} >= {"PDF", "CSV", "plain text", "PNG image"}
    assert "text/html" not in ACCEPTED


def test_a_peer_attaches_only_to_their_own_deployments_visit():
    case = agreed()
    mine = case.deploy_peer(peer_id="peer-1", peer_council="Southshire", role="mentor",
                            reason="r", recorded_at=NOW, **ACTOR)
    theirs = case.deploy_peer(peer_id="peer-2", peer_council="Westshire", role="mentor",
                              reason="r", recorded_at=NOW, **ACTOR)
    visit = "a peer deployment's visit"
    assert may(PEER, "attach document", CaseRelations("North West", "x",
                                                      peers=frozenset({"peer-1"})))
    assert may_attach_document_to(PEER, visit, case.deployments[mine])
    assert not may_attach_document_to(PEER, visit, case.deployments[theirs])
    assert not may_attach_document_to(PEER, "the case as a whole")
    assert may_attach_document_to(Principal("cora", Role.COORDINATOR), visit,
                                  case.deployments[theirs])
    assert not may(Principal("ivy", Role.INSPECTOR), "attach document")


def test_steps_are_named_by_the_refs_the_case_has():
    case = agreed()
    steps = case.document_steps()
    assert steps["a plan action"] == ["action-1", "action-2"]
    assert "a progress review" not in steps and "the closure" not in steps
    document_id = case.attach_document(
        title="Interim director's appointment letter", kind="letter", step="a plan action",
        step_ref="action-1", confidentiality="normal", stored=StoredFile.of(FACTS),
        recorded_at=NOW, **ACTOR)
    assert case.document(document_id)["step_ref"] == "action-1"
    with pytest.raises(InvalidField) as refused:
        case.attach_document(title="t", kind="letter", step="a plan action", step_ref="action-3",
                             confidentiality="normal", stored=StoredFile.of(FACTS),
                             recorded_at=NOW, **ACTOR)
    assert refused.value.field == "step_ref"
    with pytest.raises(InvalidField) as refused:
        case.attach_document(title="two\nlines", kind="letter", step="the case as a whole",
                             step_ref="", confidentiality="normal",
                             stored=StoredFile.of(FACTS), recorded_at=NOW, **ACTOR)
    assert refused.value.field == "title"
