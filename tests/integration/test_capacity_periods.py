"""Peer days are a quarterly capacity and support offer days a yearly one: each renews.

On a real store (SQLite and PostgreSQL), and through the API: days used in a past
quarter or financial year do not count against the current one.
"""

import json
from datetime import UTC, datetime

import httpx
import pytest
from eventsourcing.persistence import StoredEvent

from domain.errors import RuleViolation
from services.cases.service import CaseService
from services.platform.settings import Settings
from services.registers.service import RegisterService
from tests.integration.test_registers import WHO, council, offer, peer
from tests.integration.test_registers_api import agreed_case

LAST_DAY_OF_Q4 = datetime(2026, 12, 31, 16, tzinfo=UTC)
FIRST_DAY_OF_Q1 = datetime(2027, 1, 4, 9, tzinfo=UTC)
LAST_DAY_OF_THE_YEAR = datetime(2027, 3, 31, 16, tzinfo=UTC)
FIRST_DAY_OF_THE_YEAR = datetime(2027, 4, 1, 9, tzinfo=UTC)


def _registers(settings: Settings, now: datetime) -> RegisterService:
    return RegisterService(settings.eventsourcing_env(), clock=lambda: now)


def test_a_peers_days_are_refused_over_this_quarter_and_allowed_the_next(settings):
    december = _registers(settings, LAST_DAY_OF_Q4)
    try:
        council(december, "Ashby District Council")
        council(december, "Byford District Council")
        sam = peer(december, "Sam Lee", "Byford District Council", days=10)
        december.deploy_peer(sam, case_id="c1", authority="Ashby District Council", days=8,
                             **WHO)
        with pytest.raises(RuleViolation) as refused:
            december.deploy_peer(sam, case_id="c2", authority="Ashby District Council",
                                 days=3, **WHO)
        assert refused.value.rule == "peer_capacity"
        assert "2 of 10 days left in 2026 Q4" in refused.value.message
    finally:
        december.close()
    january = _registers(settings, FIRST_DAY_OF_Q1)
    try:
        assert january.get_peer(sam)["days_left"] == 10
        deployed = january.deploy_peer(sam, case_id="c2", authority="Ashby District Council",
                                       days=10, **WHO)
        assert deployed["peer"]["days_left"] == 0
        assert {d["period"] for d in deployed["peer"]["deployments"]} == {"2026 Q4", "2027 Q1"}
    finally:
        january.close()


def test_an_offers_days_are_refused_over_this_year_and_allowed_from_april(settings):
    march = _registers(settings, LAST_DAY_OF_THE_YEAR)
    try:
        council(march, "Ashby District Council")
        review = offer(march, "Finance review", days=20)
        march.commission_offer(review, case_id="c1", authority="Ashby District Council",
                               days=20, **WHO)
        with pytest.raises(RuleViolation) as refused:
            march.commission_offer(review, case_id="c2", authority="Ashby District Council",
                                   days=1, **WHO)
        assert refused.value.rule == "offer_capacity" and refused.value.field == "days"
        found = march.match(authority="Ashby District Council", problem_natures=["financial"])
        assert found["offers"] == []
    finally:
        march.close()
    april = _registers(settings, FIRST_DAY_OF_THE_YEAR)
    try:
        found = april.match(authority="Ashby District Council", problem_natures=["financial"])
        assert [m["days_left"] for m in found["offers"]] == [20]
        april.commission_offer(review, case_id="c2", authority="Ashby District Council",
                               days=20, **WHO)
        assert april.get_offer(review)["days_left"] == 0
    finally:
        april.close()


def test_a_deployment_stored_before_quarters_were_kept_counts_until_it_ends(settings):
    registers = _registers(settings, FIRST_DAY_OF_Q1)
    try:
        council(registers, "Byford District Council")
        sam = peer(registers, "Sam Lee", "Byford District Council", days=10)
        state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2025-05-05T10:00:00+00:00"},
                 "deployment_id": "d0", "case_id": "c0", "authority": "Ashby District Council",
                 "days": 4, "actor_id": "coordinator-1"}
        stored = StoredEvent(originator_id=sam, originator_version=2,
                             topic="domain.peers:Peer.Deployed",
                             state=json.dumps(state).encode())
        registers.recorder.insert_events([registers.events._chain(stored, {})])
        assert registers.get_peer(sam)["days_left"] == 6
        registers.end_peer_deployment(sam, "d0", **WHO)
        assert registers.get_peer(sam)["days_left"] == 10
    finally:
        registers.close()


def test_through_the_api_last_quarters_days_do_not_count_and_this_quarters_refuse(
        api: httpx.Client, settings: Settings, cases: CaseService):  # noqa: F811
    long_ago = _registers(settings, datetime(2025, 5, 5, 10, tzinfo=UTC))
    try:
        council(long_ago, "Ashby Vale District Council")
        council(long_ago, "Byford District Council")
        sam = peer(long_ago, "Sam Lee", "Byford District Council", days=5)
        long_ago.deploy_peer(sam, case_id="earlier", authority="Ashby Vale District Council",
                             days=5, **WHO)
    finally:
        long_ago.close()
    assert api.get(f"/peers/{sam}").json()["days_left"] == 5
    case_id = agreed_case(cases, "Ashby Vale District Council")

    def deploy(days: int) -> httpx.Response:
        version = api.get(f"/cases/{case_id}").headers["etag"]
        return api.post(f"/cases/{case_id}/peer-deployments", headers={"If-Match": version},
                        json={"peer_id": str(sam), "days": days, "role": "officer peer",
                              "reason": "Finance expertise"})

    allowed = deploy(5)
    assert allowed.status_code == 200, allowed.text
    refused = deploy(1)
    assert refused.status_code == 409
    assert (refused.json()["rule"], refused.json()["field"]) == ("peer_capacity", "days")
    assert "0 of 5 days left" in refused.json()["detail"]
    assert api.get(f"/peers/{sam}").json()["days_left"] == 0
