"""A command's page form is made from its API body, and names errors as the API does."""

from api import command_schemas as s
from api.commands import COMMANDS
from api.web.forms import body_from_form, form_fields


def test_every_command_has_a_form_with_a_field_for_each_body_field():
    for spec in COMMANDS:
        names = {f.name for f in form_fields(spec.schema)}
        assert names == set(spec.schema.model_fields) - {"expected_version"}, spec.path


def test_a_plan_drafted_on_the_form_is_the_body_the_api_would_take():
    body, errors = body_from_form(s.PlanDraft, {
        "summary": "Stabilise leadership", "adviser_id": "adam",
        "actions.0.description": "Interim director", "actions.0.owner": "Chief executive",
        "actions.0.provider": "LGA", "actions.0.due": "2027-03-31",
        "actions.0.measure": "Monitoring visit", "actions.0.cost": "",
        "actions.1.description": "", "actions.1.due": ""})
    assert errors == []
    assert body == s.PlanDraft.model_validate({
        "summary": "Stabilise leadership", "adviser_id": "adam", "actions": [{
            "description": "Interim director", "owner": "Chief executive", "provider": "LGA",
            "due": "2027-03-31", "measure": "Monitoring visit"}]})


def test_an_invalid_field_is_named_by_its_api_path_and_rule():
    _, errors = body_from_form(s.PlanDraft, {
        "summary": "x", "adviser_id": "adam", "actions.0.description": "d",
        "actions.0.owner": "o", "actions.0.provider": "p", "actions.0.due": "2027-02-30",
        "actions.0.measure": "m"})
    assert [(e.field, e.id) for e in errors] == [("actions.0.due", "actions-0-due")]
    assert errors[0].rule.startswith("date")


def test_checkboxes_lines_pairs_and_uk_times_become_the_api_types():
    body, errors = body_from_form(s.ProgressReview, {
        "measures": "Ofsted visit = on track\nBudget = off track", "judgement": "improving",
        "reason": "Positive visit", "next_review_due": "2027-06-01T09:30"})
    assert errors == [] and body is not None
    assert {k: v.value for k, v in body.measures.items()} == {
        "Ofsted visit": "on track", "Budget": "off track"}
    assert body.next_review_due.utcoffset().total_seconds() == 3600  # British Summer Time
    body, errors = body_from_form(s.DiagnosisRecord, {
        "summary": "Weak capacity", "problem_natures": ["capacity", "political"]})
    assert [p.value for p in body.problem_natures] == ["capacity", "political"]


def test_one_box_ticked_is_a_list_of_one():
    body, errors = body_from_form(s.DiagnosisRecord, {"summary": "Weak capacity",
                                                      "problem_natures": "capacity"})
    assert errors == [] and [p.value for p in body.problem_natures] == ["capacity"]


def test_days_typed_on_a_form_are_the_whole_number_the_api_takes():
    """The API's whole numbers are strict; a form sends text. This broke deploying a peer
    from the case page ('Input should be a valid integer')."""
    body, errors = body_from_form(s.PeerDeploy, {
        "peer_id": "6f1c2d4e-0000-4000-8000-000000000002", "days": "2",
        "role": "councillor peer", "reason": "Experienced leader"})
    assert errors == [] and body is not None and body.days == 2  # type: ignore[attr-defined]
    _, errors = body_from_form(s.PeerDeploy, {
        "peer_id": "6f1c2d4e-0000-4000-8000-000000000002", "days": "two",
        "role": "councillor peer", "reason": "Experienced leader"})
    assert [e.field for e in errors] == ["days"]


def test_a_joint_meetings_attendees_are_rows_of_a_kind_and_a_name():
    body, errors = body_from_form(s.JointLocalMeeting, {
        "outcome": "refer to RIEP with agreement", "reason": "The council asked",
        "attendees.0.kind": "council or partnership", "attendees.0.name": "Leader",
        "attendees.1.kind": "audit body", "attendees.1.name": "Relationship manager",
        "attendees.2.name": ""})
    assert errors == [] and body is not None
    assert [(a.kind.value, a.name) for a in body.attendees] == [
        ("council or partnership", "Leader"), ("audit body", "Relationship manager")]
    _, errors = body_from_form(s.JointLocalMeeting, {"outcome": "strong local plan",
                                                     "reason": "r"})
    assert [e.field for e in errors] == ["attendees"]
