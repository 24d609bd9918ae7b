"""Peers from partner organisations in the register, on SQLite and PostgreSQL.

A peer may come from a charity, the national improvement body, a professional
body or another public body as well as a council. The own-council rule applies
to a council's peer, the conflicts the register records to every peer; such
peers are matched and deployed like any other. Peers recorded before partners
were admitted (their events and snapshots name a `council`) read as council
peers and keep their own-council rule.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from domain.errors import DomainError, RuleViolation
from domain.peers import Peer
from services.platform.settings import Settings
from services.registers.service import RegisterService
from tests.integration.test_registers import NOW, WHO, council

MIDTHORPE, OXTOWN, MUNBRIDGE = ("Midthorpe Council", "Oxtown Borough Council",
                                "Munbridge City Council")
OFFICIAL = dict(name="Nadia Shah", role="official", organisation="NSPCC",
                organisation_kind="charity", problem_natures=["capability"],
                service_areas=["children's services"], days_per_quarter=8)


@pytest.fixture
def registers(settings: Settings) -> Iterator[RegisterService]:
    service = RegisterService(settings.eventsourcing_env(), clock=lambda: NOW)
    for name in (MIDTHORPE, OXTOWN, MUNBRIDGE):
        council(service, name)
    yield service
    service.close()


def test_a_partner_organisations_peer_is_matched_and_deployed_like_any_other(registers):
    nadia = registers.accredit_peer(**OFFICIAL, **WHO)
    recorded = registers.get_peer(nadia)
    assert (recorded["organisation"], recorded["organisation_kind"], recorded["council"]) == (
        "NSPCC", "charity", None)
    found = registers.match(authority=MIDTHORPE, problem_natures=["capability"])
    [match] = found["peers"]
    assert match["name"] == "Nadia Shah"
    assert "official peer from NSPCC (charity)" in match["reasons"]
    deployed = registers.deploy_peer(nadia, case_id="c1", authority=MIDTHORPE, days=3, **WHO)
    assert deployed["peer"]["days_left"] == 5


def test_a_conflict_the_register_records_keeps_a_partner_peer_away(registers):
    nadia = registers.accredit_peer(**OFFICIAL, conflicts_of_interest=["munbridge city council"],
                                    **WHO)
    assert registers.get_peer(nadia)["conflicts_of_interest"] == [MUNBRIDGE]
    found = registers.match(authority=MUNBRIDGE, problem_natures=["capability"])
    assert found["peers"] == []
    [excluded] = found["excluded"]
    assert excluded["name"] == "Nadia Shah" and "conflict of interest" in excluded["reason"]
    with pytest.raises(RuleViolation) as refused:
        registers.deploy_peer(nadia, case_id="c1", authority=MUNBRIDGE, days=1, **WHO)
    assert (refused.value.rule, refused.value.field) == ("peer_conflict_of_interest",
                                                         "authority")
    assert registers.get_peer(nadia)["deployments"] == []


def test_a_council_peer_keeps_the_own_council_rule_and_recorded_conflicts(registers):
    sam = registers.accredit_peer(name="Sam Lee", role="officer", council=OXTOWN,
                                  problem_natures=["capability"],
                                  service_areas=["children's services"], days_per_quarter=10,
                                  conflicts_of_interest=[MUNBRIDGE], **WHO)
    for authority, rule in ((OXTOWN, "peer_own_council"),
                            (MUNBRIDGE, "peer_conflict_of_interest")):
        with pytest.raises(RuleViolation) as refused:
            registers.deploy_peer(sam, case_id="c1", authority=authority, days=1, **WHO)
        assert refused.value.rule == rule
    assert registers.deploy_peer(sam, case_id="c1", authority=MIDTHORPE, days=1, **WHO)


@pytest.mark.parametrize(("change", "field", "rule"), [
    ({"role": "councillor"}, "role", "peer_role_fits_organisation"),
    ({"role": "officer"}, "role", "peer_role_fits_organisation"),
    ({"organisation": OXTOWN}, "organisation_kind", "peer_role_fits_organisation"),
    ({"organisation_kind": "golf club"}, "organisation_kind", "invalid_field"),
    ({"conflicts_of_interest": ["Munbridge Council"]}, "conflicts_of_interest",
     "authority_not_registered"),
    ({"council": OXTOWN}, "organisation", "one_organisation"),
    ({"organisation_kind": "council", "role": "officer"}, "organisation",
     "authority_not_registered"),
    ({"organisation": "  "}, "organisation", "invalid_field"),
])
def test_a_peer_that_breaks_a_rule_is_refused_naming_the_field_and_nothing_is_written(
        registers, change: dict[str, Any], field: str, rule: str):
    with pytest.raises(DomainError) as refused:
        registers.accredit_peer(**{**OFFICIAL, **change}, **WHO)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert registers.list_peers() == []


def test_a_council_officer_is_still_accredited_from_a_council_body(registers):
    """The request bodies of before: `council`, no organisation or kind."""
    sam = registers.accredit_peer(name="Sam Lee", role="officer", council="oxtown borough council",
                                  problem_natures=["capability"], service_areas=["finance"],
                                  days_per_quarter=10, **WHO)
    recorded = registers.get_peer(sam)
    assert (recorded["council"], recorded["organisation"], recorded["organisation_kind"]) == (
        OXTOWN, OXTOWN, "council")
    assert sam == Peer.create_id("Sam Lee", OXTOWN)


def _old_accredited(registers: RegisterService, name: str, own_council: str) -> Any:
    """A peer's first event as stored before partner organisations: it names `council`."""
    peer_id = Peer.create_id(name, own_council)
    state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2025-05-05T10:00:00+00:00"},
             "originator_topic": "domain.peers:Peer", "name": name, "role": "officer",
             "council": own_council, "problem_natures": ["capability"],
             "service_areas": ["children's services"], "days_per_quarter": 10,
             "actor_id": "coordinator-1"}
    stored = StoredEvent(originator_id=peer_id, originator_version=1,
                         topic="domain.peers:Peer.Accredited", state=json.dumps(state).encode())
    registers.recorder.insert_events([registers.events._chain(stored, {})])
    return peer_id


def test_a_peer_stored_before_partners_reads_as_a_council_peer(registers):
    sam = _old_accredited(registers, "Sam Lee", OXTOWN)
    recorded = registers.get_peer(sam)
    assert (recorded["council"], recorded["organisation"], recorded["organisation_kind"],
            recorded["conflicts_of_interest"]) == (OXTOWN, OXTOWN, "council", [])
    with pytest.raises(RuleViolation) as refused:
        registers.deploy_peer(sam, case_id="c1", authority=OXTOWN, days=1, **WHO)
    assert refused.value.rule == "peer_own_council"
    registers.deploy_peer(sam, case_id="c1", authority=MIDTHORPE, days=2, **WHO)
    assert [p["days_left"] for p in registers.list_peers()] == [8]


def test_a_peer_snapshot_taken_before_partners_reads_as_a_council_peer(registers, settings):
    sam = _old_accredited(registers, "Sam Lee", OXTOWN)
    old_state = {"name": "Sam Lee", "role": "officer", "council": OXTOWN,
                 "problem_natures": ["capability"], "service_areas": ["children's services"],
                 "days_per_quarter": 10, "deployments": {},
                 "_created_on": datetime(2025, 5, 5, 10, tzinfo=UTC),
                 "_modified_on": datetime(2025, 5, 5, 10, tzinfo=UTC)}
    registers.snapshots.put([Snapshot(originator_id=sam, originator_version=1,
                                      timestamp=datetime(2025, 5, 5, 10, tzinfo=UTC),
                                      topic="domain.peers:Peer", state=old_state)])
    fresh = RegisterService(settings.eventsourcing_env(), clock=lambda: NOW)
    try:
        assert list(fresh.snapshots.get(sam))  # the snapshot, not the event, is read back
        recorded = fresh.get_peer(sam)
        assert (recorded["council"], recorded["organisation_kind"]) == (OXTOWN, "council")
        found = fresh.match(authority=OXTOWN, problem_natures=["capability"])
        assert found["peers"] == [] and "own council" in found["excluded"][0]["reason"]
    finally:
        fresh.close()
