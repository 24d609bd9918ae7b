"""Who a step's notice is for: the owner, else the region's coordinators, plus the adviser."""

from domain.policy import EscalationPolicy
from services.notices import recipients
from tests.unit.case_builder import drafted, opened

ADDRESSES = {"olive": "olive@riep.example", "adviser-1": "adam@riep.example"}
COORDINATORS = {"North West": ["cora@riep.example", "carl@riep.example"]}


class People:
    """The user store's answers, as a table."""

    def email_of(self, username: str) -> str:
        return ADDRESSES.get(username, "")

    def coordinators_of(self, region: str) -> list[str]:
        return COORDINATORS.get(region, [])

    def digest_addresses(self) -> set[str]:
        return {"carl@riep.example"}


def test_a_case_without_an_owner_reminds_the_regions_coordinators():
    to = recipients(opened(), "diagnosis", "case owner", EscalationPolicy(), People())
    assert to.people == ["cora@riep.example"] and to.region_copy == ""  # carl: the digest


def test_a_case_with_an_owner_reminds_the_owner_only():
    case = opened()
    case.owner = "olive"  # the field cases gain with ownership
    to = recipients(case, "diagnosis", "case owner", EscalationPolicy(), People())
    assert to.people == ["olive@riep.example"]


def test_a_plan_deadline_also_reminds_the_adviser_and_the_region_gets_its_copy():
    policy = EscalationPolicy(notify_email="riep@riep.example")
    to = recipients(drafted(), "plan agreed", "case owner", policy, People())
    assert to.people == ["cora@riep.example", "adam@riep.example"]
    emails = [d.address for d in to.deliveries("https://hooks.example/x", frozenset({"email"}))]
    assert emails == [*to.people, "riep@riep.example"]


def test_an_owner_without_an_address_falls_back_to_the_coordinators():
    case = opened()
    case.owner = "nobody"
    to = recipients(case, "diagnosis", "case owner", EscalationPolicy(), People())
    assert to.people == ["cora@riep.example"]


def test_an_escalation_reaches_every_coordinator_digest_or_not():
    to = recipients(opened(), "diagnosis", "RIEP coordinator", EscalationPolicy(), People())
    assert to.people == COORDINATORS["North West"]
