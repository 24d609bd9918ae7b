"""The role rules: who may know of a case, and who may act on it."""

import pytest

from domain.errors import InvalidField
from domain.identity import (
    PERMISSIONS,
    CaseRelations,
    Principal,
    Reach,
    Role,
    User,
    may,
    may_know_case,
    may_manage,
    may_open_case_in,
    may_record_visit_on,
    may_see_confidential_sources,
)

CASE = CaseRelations(region="North West", authority="Northshire", advisers=frozenset({"adam"}),
                     peers=frozenset({"pete"}))


def who(role: Role, id: str = "x", **kw) -> Principal:
    return Principal(id=id, role=role, **kw)


def test_each_role_knows_only_the_cases_related_to_it():
    assert may_know_case(who(Role.COORDINATOR, region="North West"), CASE)
    assert not may_know_case(who(Role.COORDINATOR, region="South East"), CASE)
    assert may_know_case(who(Role.ADVISER, "adam"), CASE)
    assert not may_know_case(who(Role.ADVISER, "alex"), CASE)
    assert may_know_case(who(Role.AUTHORITY_LIAISON, authority="Northshire"), CASE)
    assert not may_know_case(who(Role.AUTHORITY_LIAISON, authority="Southshire"), CASE)
    assert may_know_case(who(Role.PEER, "pete"), CASE)
    assert not may_know_case(who(Role.PEER, "paula"), CASE)
    assert may_know_case(who(Role.INSPECTOR), CASE)
    assert not may_know_case(who(Role.GOVERNMENT_OFFICE, "gus"), CASE)
    assert not may_know_case(who(Role.ADMIN), CASE)


def test_the_government_office_reads_only_a_case_granted_to_it_and_writes_nothing():
    gus = who(Role.GOVERNMENT_OFFICE, "gus")
    granted = CaseRelations(region="North West", authority="Northshire",
                            grantees=frozenset({"gus"}))
    assert not may(gus, "read case", CASE) and not may(gus, "read history", CASE)
    for reading in ("read case", "read history", "read case as of", "verify history",
                    "export history"):
        assert may(gus, reading, granted), reading
    assert not may_know_case(who(Role.GOVERNMENT_OFFICE, "gina"), granted)
    assert may_see_confidential_sources(gus, granted.grantees)
    assert not may_see_confidential_sources(gus, CASE.grantees)
    commands = [a for a, roles in PERMISSIONS.items() if Role.GOVERNMENT_OFFICE in roles]
    assert set(commands) == {"list cases", "read case", "read history", "read case as of",
                             "verify history", "export history", "read own access log"}


def test_only_the_councils_liaison_records_its_agreement():
    assert may(who(Role.AUTHORITY_LIAISON, authority="Northshire"), "agree support plan", CASE)
    assert not may(who(Role.AUTHORITY_LIAISON, authority="Southshire"), "agree support plan",
                   CASE)
    assert not may(who(Role.COORDINATOR, region="North West"), "agree support plan", CASE)


def test_an_inspector_reads_everything_and_writes_nothing():
    inspector = who(Role.INSPECTOR)
    assert may(inspector, "export history", CASE) and may(inspector, "verify history", CASE)
    assert not may(inspector, "record diagnosis", CASE)
    assert not may(inspector, "open case")


def test_a_coordinator_opens_cases_in_their_own_region_only():
    assert may_open_case_in(who(Role.COORDINATOR, region="North West"), "North West")
    assert not may_open_case_in(who(Role.COORDINATOR, region="North West"), "South East")
    assert not may_open_case_in(who(Role.INSPECTOR), "North West")


def test_a_peer_records_visits_on_their_own_deployment_only():
    deployment = {"peer_id": "pete"}
    assert may_record_visit_on(who(Role.PEER, "pete"), deployment)
    assert not may_record_visit_on(who(Role.PEER, "paula"), deployment)
    assert not may_record_visit_on(who(Role.PEER, "pete"), None)


def test_chatham_house_sources_are_for_coordinators_alone():
    assert [r for r in Role if may_see_confidential_sources(who(r))] == [Role.COORDINATOR]


def test_a_coordinator_needs_a_region_and_a_liaison_a_council():
    with pytest.raises(InvalidField) as error:
        User.register(username="c", name="", role="coordinator", region=None, authority=None)
    assert error.value.field == "region"
    with pytest.raises(InvalidField) as error:
        User.register(username="l", name="", role="authority liaison", region=None,
                      authority="")
    assert error.value.field == "authority"
    with pytest.raises(InvalidField) as error:
        User.register(username="s", name="", role="superuser", region=None, authority=None)
    assert "coordinator" in error.value.message


CORA = Principal(id="cora", role=Role.COORDINATOR, region="North West")


@pytest.mark.parametrize(("reach", "council_region", "managed"), [
    (("adviser", "North West", None), None, True),
    (("adviser", "South East", None), None, False),
    (("adviser", None, None), None, False),
    (("admin", None, None), None, False),
    (("authority liaison", None, "Northshire"), "North West", True),
    (("authority liaison", None, "Southshire"), "South East", False),
    (("coordinator", "North West", None), None, False),
    (("government office", None, None), None, False),
    (("inspector", None, None), None, False),
    (("peer", "North West", None), None, True),
])
def test_a_coordinator_manages_only_their_regions_liaisons_advisers_and_peers(
        reach, council_region, managed):
    assert may_manage(CORA, Reach.of(*reach), council_region=council_region) is managed
    admin = Principal(id="ada", role=Role.ADMIN)
    assert may_manage(admin, Reach.of(*reach), council_region=council_region)
    liaison = Principal(id="lia", role=Role.AUTHORITY_LIAISON, authority="Northshire")
    assert not may_manage(liaison, Reach.of(*reach), council_region=council_region)


def test_a_revoked_token_is_no_longer_the_users():
    user = User.register(username="adam", name="Adam", role="adviser", region=None,
                         authority=None)
    user.issue_token(token_hash="h1", label="dashboard", issued_at="2026-12-05T09:00:00+00:00")
    assert user.tokens() == [("h1", "dashboard", "2026-12-05T09:00:00+00:00")]
    assert user.revoke_token("h1") and user.tokens() == [] and not user.revoke_token("h1")
