"""Every case has an owner; the Chatham House group's members read its confidential
material only once granted, until the grant is revoked."""

import pytest

from domain.case import Case
from domain.errors import DomainError, RuleViolation
from domain.identity import Principal, Role, may_see_confidential_sources
from domain.ownership import Person
from tests.helpers import EXIT_STRATEGY
from tests.unit.case_builder import ACTOR, NOW, opened

OLIVE = Person("olive", "coordinator", "North West", active=True)
CARL = Person("carl", "coordinator", "North West", active=True)
INES = Person("ines", "inspector", active=True)


def refused(rule: str, field: str):
    class Check:
        def __enter__(self):
            self.raised = pytest.raises(DomainError)
            self.info = self.raised.__enter__()

        def __exit__(self, *exc):
            handled = self.raised.__exit__(*exc)
            assert (self.info.value.rule, self.info.value.field) == (rule, field)
            return handled
    return Check()


def test_the_coordinator_who_opens_a_case_owns_it_unless_another_is_named():
    assert opened().owner == ACTOR["actor_id"]
    assert opened(owner=OLIVE).owner == "olive"


@pytest.mark.parametrize("named", [
    Person("otto", "coordinator", "South East", active=True),  # another region's
    Person("olive", "coordinator", "North West", active=False),  # deactivated
    Person("ines", "inspector", None, active=True),  # not a coordinator
    Person.unknown("nobody"),
])
def test_a_named_owner_must_be_an_active_coordinator_of_the_region(named):
    with refused("owner_is_region_coordinator", "owner"):
        opened(owner=named)


def test_someone_other_than_a_coordinator_opening_a_case_must_name_its_owner():
    with refused("owner_required", "owner"):
        opened(actor_id="ada", actor_role="admin")
    assert opened(actor_id="ada", actor_role="admin", owner=OLIVE).owner == "olive"


def test_a_reassignment_is_recorded_with_from_to_actor_and_reason():
    case = opened()
    case.reassign(owner=CARL, reason="Cora is on leave", recorded_at=NOW, **ACTOR)
    event = case.collect_events()[-1]
    assert type(event).__name__ == "CaseReassigned"
    assert (event.from_owner, event.to_owner, event.actor_id, event.reason) == (
        "coordinator-1", "carl", "coordinator-1", "Cora is on leave")
    assert case.owner == "carl"


def test_a_reassignment_is_refused_to_the_same_owner_an_outsider_or_on_a_closed_case():
    case = opened(owner=CARL)
    with refused("owner_unchanged", "owner"):
        case.reassign(owner=CARL, reason="r", recorded_at=NOW, **ACTOR)
    with refused("owner_is_region_coordinator", "owner"):
        case.reassign(owner=Person("otto", "coordinator", "South East", active=True),
                      reason="r", recorded_at=NOW, **ACTOR)
    case.close(outcome="improved and handed back", exit_strategy=EXIT_STRATEGY, recorded_at=NOW, **ACTOR)
    with pytest.raises(RuleViolation) as closed:
        case.reassign(owner=OLIVE, reason="r", recorded_at=NOW, **ACTOR)
    assert closed.value.rule == "closed_case_is_read_only" and case.owner == "carl"


def test_a_case_from_before_owners_has_none_and_can_be_given_one():
    case = opened()
    del case.__dict__["owner"]  # as a stream or snapshot from before owners loads
    assert case.owner is None
    case.reassign(owner=OLIVE, reason="Owners introduced", recorded_at=NOW, **ACTOR)
    assert case.collect_events()[-1].from_owner is None and case.owner == "olive"


def test_a_grant_lets_that_member_of_the_group_read_the_sources_until_revoked():
    case = opened()
    ines = Principal(id="ines", role=Role.INSPECTOR)
    assert not may_see_confidential_sources(ines, case.confidential_access)
    case.grant_confidential_access(grantee=INES, reason="Audit body reviews the plan",
                                   recorded_at=NOW, **ACTOR)
    assert may_see_confidential_sources(ines, case.confidential_access)
    assert case.confidential_access["ines"]["granted_by"] == "coordinator-1"
    assert Case.confidential_access == {}  # the class default is never changed
    case.revoke_confidential_access(grantee="ines", reason="Review over", recorded_at=NOW,
                                    **ACTOR)
    assert not may_see_confidential_sources(ines, case.confidential_access)
    kinds = [type(e).__name__ for e in case.collect_events()]
    assert kinds[-2:] == ["ConfidentialAccessGranted", "ConfidentialAccessRevoked"]


@pytest.mark.parametrize("grantee", [
    Person("lia", "authority liaison", active=True),  # the council itself: never
    Person("pete", "peer", active=True),
    Person("ines", "inspector", active=False),
    Person.unknown("nobody"),
])
def test_grants_go_only_to_active_members_of_the_confidential_group(grantee):
    with refused("grant_to_confidential_group", "grantee"):
        opened().grant_confidential_access(grantee=grantee, reason="r", recorded_at=NOW,
                                           **ACTOR)


@pytest.mark.parametrize("grantee", [
    Person("gus", "government office", active=True),  # the ministry's locality team
    Person("adam", "adviser", active=True),  # the improvement agency
    Person("ines", "inspector", active=True),  # the audit body
])
def test_each_of_the_groups_three_members_may_be_granted(grantee):
    case = opened()
    case.grant_confidential_access(grantee=grantee, reason="r", recorded_at=NOW, **ACTOR)
    assert grantee.username in case.confidential_access


def test_a_grant_is_made_once_and_only_a_grant_is_revoked():
    case = opened()
    case.grant_confidential_access(grantee=INES, reason="r", recorded_at=NOW, **ACTOR)
    with refused("confidential_access_already_granted", "grantee"):
        case.grant_confidential_access(grantee=INES, reason="r", recorded_at=NOW, **ACTOR)
    with refused("confidential_access_not_granted", "grantee"):
        case.revoke_confidential_access(grantee="adam", reason="r", recorded_at=NOW, **ACTOR)


def test_a_grant_never_reaches_a_liaison_or_a_peer_even_if_named():
    for role in (Role.AUTHORITY_LIAISON, Role.PEER):
        assert not may_see_confidential_sources(Principal(id="x", role=role), ["x"])
