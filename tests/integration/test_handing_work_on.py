"""Handing several cases on in one decision, over real HTTP, on SQLite and PostgreSQL.

All or nothing: one case refused, or changed by someone else meanwhile, and no case
moves. A retry with the same Idempotency-Key records nothing again. A coordinator
who owns open cases is deactivated only once someone takes them.
"""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.handover import MAX_HANDOVER
from services.cases.reassignment import Handover, Move, Reassignments
from services.cases.service import CaseService, StaleVersion
from tests.e2e.conftest import bearer

REGION = "East Midlands"
COUNCILS = ("Ashby District Council", "Bourne District Council", "Corby District Council")
REASON = "Cora has left the RIEP"


@pytest.fixture
def world(services, tokens):
    """Three of cora's open cases in East Midlands, carl (a colleague there) and an admin."""
    for council in COUNCILS:
        services.registers.register_authority(actor_id="test", name=council,
                                              authority_type="district", region=REGION)
    services.identity.register_user(username="carl", role="coordinator", region=REGION)
    services.identity.register_user(username="ada", role="admin")
    due = datetime.now(UTC) + timedelta(days=30)
    ids = [services.cases.open_case(authority=council, region=REGION, summary="Budget gap",
                                    source="inspectorate report",
                                    issue_type="service-specific issue", diagnosis_due=due,
                                    actor_id="cora", actor_role="coordinator")
           for council in COUNCILS]
    return {"ids": [str(i) for i in ids], "admin": services.identity.issue_token("ada")}


def _reassigned(services, case_id: str) -> list[dict]:
    return [e for e in services.cases.history(UUID(case_id))
            if e["type"] == "CaseReassigned"]


def _owners(services, ids) -> list[str]:
    return [services.cases.get_case(UUID(i))["owner"] for i in ids]


def test_a_coordinator_hands_several_cases_on_at_once_each_recording_its_own_event(
        api, services, world):
    ids = world["ids"]
    response = api.post("/cases/reassignments", json={
        "case_ids": ids, "expected_versions": {i: 1 for i in ids}, "to_owner": "carl",
        "reason": REASON})
    assert response.status_code == 200, response.text
    assert [m["authority"] for m in response.json()["moved"]] == list(COUNCILS)
    assert _owners(services, ids) == ["carl"] * 3
    for case_id in ids:
        (event,) = _reassigned(services, case_id)
        assert event["data"]["from_owner"] == "cora" and event["data"]["reason"] == REASON
        assert services.cases.verify(UUID(case_id)).ok  # each case's chain holds


def test_one_case_refused_refuses_the_whole_batch_naming_its_council(api, services, world):
    ids = world["ids"]
    first = api.post(f"/cases/{ids[1]}/owner", headers={"If-Match": '"1"'},
                     json={"owner": "carl", "reason": "Leave cover"})
    assert first.status_code == 200, first.text

    refused = api.post("/cases/reassignments",
                       json={"case_ids": ids, "to_owner": "carl", "reason": REASON})
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert (problem["rule"], problem["case_id"]) == ("owner_unchanged", ids[1])
    assert problem["authority"] == COUNCILS[1] and COUNCILS[1] in problem["detail"]
    assert _owners(services, ids) == ["cora", "carl", "cora"]
    assert [len(_reassigned(services, i)) for i in ids] == [0, 1, 0]


def test_a_case_changed_since_it_was_seen_refuses_the_batch_as_stale(api, services, world):
    ids = world["ids"]
    seen = {i: 1 for i in ids}
    changed = api.post(f"/cases/{ids[2]}/diagnosis", headers={"If-Match": '"1"'},
                       json={"summary": "Weak financial grip"})
    assert changed.status_code == 200, changed.text

    refused = api.post("/cases/reassignments", json={
        "case_ids": ids, "expected_versions": seen, "to_owner": "carl", "reason": REASON})
    assert refused.status_code == 409, refused.text
    assert (refused.json()["rule"], refused.json()["case_id"]) == ("stale_version", ids[2])
    assert _owners(services, ids) == ["cora"] * 3
    assert not any(_reassigned(services, i) for i in ids)


def test_a_retry_with_the_same_key_answers_as_the_first_and_records_nothing_again(
        api, services, world):
    ids = world["ids"]
    body = {"case_ids": ids, "to_owner": "carl", "reason": REASON}
    key = {"Idempotency-Key": "handover-1"}
    first = api.post("/cases/reassignments", json=body, headers=key)
    again = api.post("/cases/reassignments", json=body, headers=key)
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert [len(_reassigned(services, i)) for i in ids] == [1, 1, 1]
    other = api.post("/cases/reassignments", headers=key,
                     json={**body, "reason": "Something else"})
    assert other.status_code == 422 and other.json()["rule"] == "idempotency_key_in_use"


def test_all_of_someones_open_cases_are_found_for_the_handover(api, services, world):
    response = api.post("/cases/reassignments",
                        json={"from_owner": "cora", "to_owner": "carl", "reason": REASON})
    assert response.status_code == 200, response.text
    assert sorted(m["id"] for m in response.json()["moved"]) == sorted(world["ids"])
    assert _owners(services, world["ids"]) == ["carl"] * 3


@pytest.mark.parametrize("body, field", sorted([
    ({"case_ids": [], "to_owner": "carl", "reason": REASON}, "case_ids"),
    ({"to_owner": "carl", "reason": REASON}, "body"),
    ({"case_ids": ["00000000-0000-4000-8000-000000000001"] * (MAX_HANDOVER + 1),
      "to_owner": "carl", "reason": REASON}, "case_ids"),
], key=lambda pair: (pair[1], len(str(pair[0])))))
def test_a_batch_too_big_or_unnamed_is_refused_naming_the_field(api, world, body, field):
    refused = api.post("/cases/reassignments", json=body)
    assert refused.status_code == 422, refused.text
    assert field in refused.text


def test_a_case_of_another_region_is_not_found_and_nothing_moves(api, services, tokens,
                                                                  world):
    refused = api.post("/cases/reassignments", headers=bearer(tokens["otto"]),
                       json={"case_ids": world["ids"], "to_owner": "carl", "reason": REASON})
    assert refused.status_code == 404, refused.text
    assert _owners(services, world["ids"]) == ["cora"] * 3


def test_deactivating_an_owner_asks_who_takes_their_cases_then_hands_them_on(
        api, services, world):
    admin = bearer(world["admin"])
    refused = api.post("/users/cora/deactivation", headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "successor_required" and "3 open cases" in \
        refused.json()["detail"]
    assert services.identity.user("cora")["active"]

    wrong = api.post("/users/cora/deactivation", headers=admin, json={"successor": "otto"})
    assert wrong.status_code == 422 and wrong.json()["rule"] == "owner_is_region_coordinator"
    assert services.identity.user("cora")["active"]
    assert _owners(services, world["ids"]) == ["cora"] * 3

    done = api.post("/users/cora/deactivation", headers=admin,
                    json={"successor": "carl", "reason": REASON})
    assert done.status_code == 204, done.text
    assert not services.identity.user("cora")["active"]
    assert _owners(services, world["ids"]) == ["carl"] * 3
    assert api.post("/users/otto/deactivation", headers=admin).status_code == 204


def test_a_refused_batch_retried_with_its_key_is_refused_alike_and_moves_nothing(
        api, services, world):
    ids = world["ids"]
    body = {"case_ids": ids, "expected_versions": {i: 2 for i in ids}, "to_owner": "carl",
            "reason": REASON}
    key = {"Idempotency-Key": "handover-stale"}
    first = api.post("/cases/reassignments", json=body, headers=key)
    again = api.post("/cases/reassignments", json=body, headers=key)
    assert first.status_code == again.status_code == 409, again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert not any(_reassigned(services, i) for i in ids)


def test_a_case_written_by_another_process_while_the_batch_is_decided_refuses_it_whole(
        settings, services, world):
    """The other writer gets in after the batch read the case and before it saved: the
    store's unique (case, version) key refuses the whole save, which names that case."""
    ids = [UUID(i) for i in world["ids"]]
    other = CaseService(settings.eventsourcing_env())  # another API replica, say
    decided: list[str] = []

    def meanwhile(case: dict) -> None:
        decided.append(case["authority"])
        if len(decided) == len(ids):  # every case read and decided; none yet saved
            other.record_diagnosis(ids[-1], summary="Weak financial grip", actor_id="cora",
                                   actor_role="coordinator")

    handover = Handover([Move(i) for i in ids], "carl", REASON)
    try:
        with pytest.raises(StaleVersion) as refused:
            Reassignments(services.cases).reassign(handover, actor_id="cora",
                                                   actor_role="coordinator", permit=meanwhile)
    finally:
        other.close()
    # The last case's event is the one refused: the two before it, in the same
    # transaction, are rolled back with it.
    assert refused.value.case_id == ids[-1] and COUNCILS[-1] in str(refused.value)
    assert _owners(services, world["ids"]) == ["cora"] * 3
    assert not any(_reassigned(services, i) for i in world["ids"])
    assert all(services.cases.verify(i).ok for i in ids)
