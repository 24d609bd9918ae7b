"""Whose notifications a reminder lands in: the rule that addresses its email, asked in
usernames (api/web/inbox.py UsernameDirectory over services/reminders/notices.py)."""

from api.web.inbox import UsernameDirectory
from api.web.people import Directory, Person
from domain.policy import EscalationPolicy
from domain.timetable import CASE_OWNER, COORDINATOR, COUNCIL_LIAISON
from services.reminders.notices import recipients
from tests.unit.case_builder import drafted, opened

NORTH_WEST, COUNCIL = "North West", "Northshire County Council"


def _people(*, owner_active: bool = True) -> UsernameDirectory:
    people = [Person("coordinator-1", "Cora", "coordinator", NORTH_WEST, active=owner_active),
              Person("carla", "Carla", "coordinator", NORTH_WEST),
              Person("nina", "Nina", "coordinator", "North East"),
              Person("adviser-1", "Adam", "adviser"),
              Person("lia", "Lia", "authority liaison", authority=COUNCIL),
              Person("leo", "Leo", "authority liaison", authority="Southshire Council")]
    return UsernameDirectory(Directory({p.username: p for p in people}))


def _to(case, deadline: str, recipient: str, people: UsernameDirectory) -> list[str]:
    return recipients(case, deadline, recipient, EscalationPolicy(), people).people


def test_a_reminder_to_the_owner_lands_in_the_owners_list_only():
    assert _to(opened(), "diagnosis", CASE_OWNER, _people()) == ["coordinator-1"]


def test_an_owner_no_longer_active_leaves_it_to_the_regions_coordinators():
    assert _to(opened(), "diagnosis", CASE_OWNER, _people(owner_active=False)) == ["carla"]


def test_a_plan_deadline_reaches_the_plans_adviser_too():
    assert _to(drafted(), "plan agreed", CASE_OWNER, _people()) == ["coordinator-1",
                                                                    "adviser-1"]


def test_a_reminder_to_the_coordinators_and_one_to_the_council():
    assert _to(opened(), "diagnosis", COORDINATOR, _people()) == ["carla", "coordinator-1"]
    assert _to(drafted(), "plan agreement request", COUNCIL_LIAISON, _people()) == ["lia"]
