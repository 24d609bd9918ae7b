"""Who a step's notice is for: the owner, else the region's coordinators, plus the adviser."""

from domain.ownership import Person
from domain.policy import EscalationPolicy
from services.reminders.notices import recipients
from tests.unit.case_builder import ACTOR, NOW, drafted, opened

ADDRESSES = {"olive": "olive@riep.example", "adviser-1": "adam@riep.example",
             "adam-c": "adam.c@riep.example"}
COORDINATORS = {"North West": ["cora@riep.example", "carl@riep.example"]}


class People:
    """The user store's answers, as a table."""

    def email_of(self, username: str) -> str:
        return ADDRESSES.get(username, "")

    def coordinators_of(self, region: str) -> list[str]:
        return COORDINATORS.get(region, [])

    def digest_addresses(self) -> set[str]:
        return {"carl@riep.example"}


def _without_owner():
    case = opened()
    del case.__dict__["owner"]  # a case opened before cases had owners
    return case


def test_a_case_without_an_owner_reminds_the_regions_coordinators():
    to = recipients(_without_owner(), "diagnosis", "case owner", EscalationPolicy(), People())
    assert to.people == ["cora@riep.example"] and to.region_copy == ""  # carl: the digest


def test_a_case_with_an_owner_reminds_the_owner_only():
    case = opened(owner=Person("olive", "coordinator", "North West", active=True))
    to = recipients(case, "diagnosis", "case owner", EscalationPolicy(), People())
    assert to.people == ["olive@riep.example"]


def test_after_a_reassignment_the_new_owner_is_reminded():
    case = opened(owner=Person("olive", "coordinator", "North West", active=True))
    case.reassign(owner=Person("adam-c", "coordinator", "North West", active=True),
                  reason="Olive moves to another team", recorded_at=NOW, **ACTOR)
    to = recipients(case, "diagnosis", "case owner", EscalationPolicy(), People())
    assert to.people == ["adam.c@riep.example"]


def test_a_plan_deadline_also_reminds_the_adviser_and_the_region_gets_its_copy():
    policy = EscalationPolicy(notify_email="riep@riep.example")
    to = recipients(drafted(_without_owner()), "plan agreed", "case owner", policy, People())
    assert to.people == ["cora@riep.example", "adam@riep.example"]
    emails = [d.address for d in to.deliveries("https://hooks.example/x", frozenset({"email"}))]
    assert emails == [*to.people, "riep@riep.example"]


def test_a_plan_deadline_reminds_the_owner_and_the_adviser():
    case = drafted(opened(owner=Person("olive", "coordinator", "North West", active=True)))
    to = recipients(case, "plan agreed", "case owner", EscalationPolicy(), People())
    assert to.people == ["olive@riep.example", "adam@riep.example"]


def test_an_owner_without_an_address_falls_back_to_the_coordinators():
    case = opened()  # owned by coordinator-1, who gave no address
    to = recipients(case, "diagnosis", "case owner", EscalationPolicy(), People())
    assert to.people == ["cora@riep.example"]


def test_an_escalation_reaches_every_coordinator_digest_or_not():
    to = recipients(_without_owner(), "diagnosis", "RIEP coordinator", EscalationPolicy(),
                    People())
    assert to.people == COORDINATORS["North West"]
