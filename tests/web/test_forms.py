"""A command's page form is made from its API body, and names errors as the API does."""

from api import command_schemas as s
from api.commands import COMMANDS
from api.web.forms import body_from_form, form_fields, rows_in, with_row_added, with_row_removed


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


def _plan_with_due(day: str, month: str, year: str) -> dict[str, str]:
    return {"summary": "x", "adviser_id": "adam", "actions.0.description": "d",
            "actions.0.owner": "o", "actions.0.provider": "p", "actions.0.measure": "m",
            "actions.0.due-day": day, "actions.0.due-month": month, "actions.0.due-year": year}


def test_a_date_in_three_boxes_is_the_iso_date_the_api_takes():
    body, errors = body_from_form(s.PlanDraft, _plan_with_due("31", "3", "2027"))
    assert errors == [] and str(body.actions[0].due) == "2027-03-31"  # type: ignore[attr-defined]


def test_each_wrong_date_says_what_to_do_in_govuk_words_and_names_its_boxes():
    said = {boxes: body_from_form(s.PlanDraft, _plan_with_due(*boxes))[1][0]
            for boxes in [("30", "2", "2027"), ("1", "", "2027"), ("", "", ""),
                          ("", "", "2027"), ("1", "1", "27"), ("1", "1", "1800")]}
    assert [(e.message, e.parts) for e in said.values()] == [
        ("The date the action is due must be a real date", ("day", "month", "year")),
        ("The date the action is due must include a month", ("month",)),
        ("Enter the date the action is due", ("day", "month", "year")),
        ("The date the action is due must include a day and month", ("day", "month")),
        ("The date the action is due must be a real date", ("year",)),
        ("The date the action is due must be between 1900 and 2199", ("day", "month", "year"))]
    assert said[("1", "", "2027")].id == "actions-0-due-month"


def test_a_moment_is_uk_time_and_needs_an_hour():
    visit = {"deployment_id": "deployment-1", "notes": "Met the leader",
             "visited_at-day": "20", "visited_at-month": "7", "visited_at-year": "2027",
             "visited_at-hour": "14", "visited_at-minute": "30"}
    body, errors = body_from_form(s.PeerVisit, visit)
    assert errors == [] and body.visited_at.isoformat() == "2027-07-20T14:30:00+01:00"  # type: ignore[attr-defined]
    _, errors = body_from_form(s.PeerVisit, {**visit, "visited_at-hour": ""})
    assert [e.message for e in errors] == ["The time of the visit must include an hour"]


def test_rows_are_added_and_removed_keeping_what_was_typed():
    form = {"actions.0.description": "First", "actions.1.description": "Second",
            "actions.2.description": "Third"}
    assert rows_in(with_row_added(form, "actions")) == {"actions": 4}
    assert with_row_removed(form, "actions", 1) == {"actions.0.description": "First",
                                                    "actions.1.description": "Third"}
    fields = form_fields(s.PlanDraft, rows_in(form))
    assert [g.legend for g in next(f for f in fields if f.name == "actions").rows] == [
        "Action 1", "Action 2", "Action 3"]


def test_a_blank_row_between_filled_ones_is_named_by_its_place_on_the_form():
    form = {**_plan_with_due("31", "3", "2027"), "actions.1.description": "",
            "actions.2.description": "Only a description"}
    _, errors = body_from_form(s.PlanDraft, form)
    assert {e.field for e in errors} >= {"actions.2.owner", "actions.2.due"}


def test_a_review_builds_its_measures_from_a_status_chosen_for_each_listed_measure():
    review = {"judgement": "improving", "reason": "r", "measures.0.name": "Ofsted visit",
              "measures.0.status": "on track", "measures.1.name": "Budget"}
    _, errors = body_from_form(s.ProgressReview, review)
    assert [(e.field, e.message) for e in errors] == [
        ("measures.1", "Choose whether \u201cBudget\u201d is on track or off track")]
    body, errors = body_from_form(s.ProgressReview, {**review, "measures.1.status": "off track"})
    assert errors == [] and {k: v.value for k, v in body.measures.items()} == {  # type: ignore[attr-defined]
        "Ofsted visit": "on track", "Budget": "off track"}


def test_a_dates_hint_says_uk_time_and_gives_an_example_once():
    """The field's own hint and the date input's example read as one sentence each:
    "UK time. UK time, on the 24-hour clock" was said twice on the visit form."""
    from api.web.rendering import env

    macro = env.get_template("form_fields.html").module.date_hint
    for spec in COMMANDS:
        for field in form_fields(spec.schema):
            for each in [field, *(f for g in field.rows for f in g.fields)]:
                if each.kind in ("date", "datetime"):
                    said = str(macro(each))
                    assert said.count("UK time") <= 1 and said.count("For example") == 1, (
                        spec.path, each.name, said)


def test_a_row_number_in_the_address_never_draws_more_rows_than_a_command_takes():
    assert rows_in({"actions.999999.description": "x"}) == {"actions": 100}
    assert len(form_fields(s.PlanDraft, rows_in({"actions.999999.due": "x"}))[1].rows) == 100
