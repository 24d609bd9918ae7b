"""A reminder written for a person: what is due, by when in UK time, what follows, what to do."""

from datetime import UTC, datetime, timedelta

from services.reminders.notice_text import StepFacts, how_long, write_notice

AUTHORITY = "Northshire County Council"
# Friday 22 May 2026, 17:30 UTC, is 18:30 in London (BST); Monday 25 May is a bank holiday.
DUE = datetime(2026, 5, 22, 17, 30, tzinfo=UTC)
URL = "https://casework.example.org/cases/f4dcdcc3"


def reminder(**overrides) -> StepFacts:
    fields = dict(authority=AUTHORITY, region="North West", stage="local", action="remind",
                  deadline="diagnosis", due=DUE, at=DUE - timedelta(days=2), to_stage=None,
                  next_action="remind", next_at=DUE, next_to_stage=None)
    return StepFacts(**{**fields, **overrides})


def test_a_reminder_before_the_deadline_names_the_authority_what_is_due_and_the_date():
    text = write_notice(reminder(), DUE - timedelta(days=2), URL)
    assert text.subject == f"{AUTHORITY}: diagnosis due Friday 22 May 2026"
    assert ("The diagnosis for Northshire County Council's support case is due by 18:30 on "
            "Friday 22 May 2026 (UK time): 2 working days left.") in text.text
    assert "you will be reminded again at 18:30 on Friday 22 May 2026" in text.text
    assert "What to do: Record the diagnosis on the case" in text.text
    assert f"Open the case: {URL}" in text.text
    assert f'<a href="{URL}">Open the case</a>' in text.html
    assert "&#x27;s support case" in text.html  # the same words, escaped


def test_a_missed_deadline_counts_working_days_overdue_and_names_the_escalation_to_come():
    after_bank_holiday = datetime(2026, 5, 26, 10, 0, tzinfo=UTC)
    facts = reminder(at=DUE, next_action="escalate", next_at=after_bank_holiday,
                     next_to_stage="RIEP")
    text = write_notice(facts, after_bank_holiday - timedelta(minutes=5), URL)
    assert text.subject == f"{AUTHORITY}: diagnosis overdue since Friday 22 May 2026"
    assert "was due by 18:30 on Friday 22 May 2026 (UK time): 1 working day overdue" in text.text
    assert ("If it is still outstanding at 11:00 on Tuesday 26 May 2026, the case will be "
            "escalated to the RIEP stage.") in text.text


def test_an_escalation_says_where_the_case_went_and_what_to_do_next():
    facts = reminder(action="escalate", to_stage="RIEP", next_action=None, next_at=None)
    text = write_notice(facts, DUE + timedelta(days=7), "")
    assert text.subject.startswith(f"{AUTHORITY}: case escalated to the RIEP stage")
    assert "escalated from the local stage to the RIEP stage" in text.text
    assert "Open the case" not in text.text  # no public address configured, no link


def test_the_last_reminder_says_none_follows():
    text = write_notice(reminder(next_action=None, next_at=None), DUE, URL)
    assert "No further reminder will be sent" in text.text


def test_time_left_is_counted_in_working_days_in_uk_time():
    friday_evening = datetime(2026, 5, 22, 22, 30, tzinfo=UTC)  # 23:30 BST, still Friday
    assert how_long(friday_evening, DUE) == "due later today"
    assert how_long(datetime(2026, 5, 26, 9, tzinfo=UTC), DUE) == "1 working day left"
    assert how_long(DUE, DUE + timedelta(hours=1)) == "overdue since earlier today"


def test_the_documented_example_email_is_what_is_sent():
    import re
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "reminders-and-notices.md").read_text()
    [example] = re.findall(r"```text\n(Subject: .*?)```", page, re.S)
    due = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    facts = reminder(due=due, at=due - timedelta(days=2), next_at=due, reference="NW-2026-0042")
    text = write_notice(facts, datetime(2026, 11, 23, 17, 0, 2, tzinfo=UTC),
                        "https://casework.example.org/cases/f4dcdcc3-5e1a-4a8e-9a43-0c1b2d3e4f50")
    assert example == f"Subject: {text.subject}\n\n{text.text}"


def test_a_case_stuck_at_local_is_told_a_joint_meeting_is_proposed_and_reminded_of_it():
    proposed = write_notice(reminder(action="propose joint local meeting", at=DUE, next_at=None,
                                     next_action=None), DUE + timedelta(hours=1), URL)
    assert proposed.subject == (f"{AUTHORITY}: a joint local meeting is proposed "
                                "(diagnosis overdue since Friday 22 May 2026)")
    assert "the council has not agreed to a referral to the RIEP" in proposed.text
    assert "or decline the proposal on the case, giving the reason" in proposed.text
    later = DUE + timedelta(days=3)
    reminded = write_notice(reminder(action="remind of joint local meeting",
                                     deadline="joint local meeting", at=later,
                                     next_action="remind of joint local meeting",
                                     next_at=later + timedelta(days=2)), later, URL)
    assert reminded.subject == (f"{AUTHORITY}: the proposed joint local meeting is still to "
                                "be held (proposed Friday 22 May 2026)")
    assert "has been neither held nor declined" in reminded.text
    assert "you will be reminded again at" in reminded.text


def test_a_notice_quotes_the_cases_reference_in_its_subject_and_body():
    text = write_notice(reminder(reference="NW-2026-0042"), DUE - timedelta(days=2), URL)
    assert text.subject == f"{AUTHORITY}: diagnosis due Friday 22 May 2026 (case NW-2026-0042)"
    assert "The case's reference is NW-2026-0042." in text.text
    assert "The case&#x27;s reference is NW-2026-0042." in text.html


def test_the_morning_digest_names_each_case_by_its_reference():
    from services.reminders.digest import DigestItem

    item = DigestItem(AUTHORITY, "diagnosis", DUE, URL, "NW-2026-0042")
    assert item.line(DUE - timedelta(days=2)).startswith(
        f"{AUTHORITY} (NW-2026-0042): the diagnosis, due by 18:30 on Friday 22 May 2026")
