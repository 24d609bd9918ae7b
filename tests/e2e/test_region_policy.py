"""Region policy over HTTP: who may read and set it, its recorded changes, and a change
reaching the next reminder of a case already open (real API, worker and Temporal)."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE, eventually

POLICY = f"/regions/{OPEN_CASE['region']}/policy"


async def _ok(request):
    response = await request
    return response if response.status_code == 200 else None


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_an_admin_or_the_regions_coordinator_sets_it_and_each_change_is_recorded(
        http, tokens):
    read = await http.get(POLICY, headers=bearer(tokens["coordinator"]))
    assert read.status_code == 200, read.text
    assert read.json()["recorded"] is False and read.json()["policy"]["remind_every"] == "2"

    admin = await http.put(POLICY, json={"notify_email": "nw@riep.example",
                                         "webhook_secret": "a-long-enough-secret"},
                           headers=bearer(tokens["admin"]))
    assert admin.status_code == 200, admin.text
    assert admin.json()["policy"]["notify_email"] == "nw@riep.example"
    assert "webhook_secret" not in admin.json()["policy"]
    assert admin.json()["policy"]["webhook_secret_set"] is True

    own = await http.put(POLICY, json={"remind_every": "PT1H", "missed_reminder_limit": 5},
                         headers=bearer(tokens["coordinator"]))
    assert own.status_code == 200, own.text
    policy = (await http.get(POLICY, headers=bearer(tokens["admin"]))).json()["policy"]
    assert policy["notify_email"] == "nw@riep.example"  # fields not named keep their values
    assert (policy["remind_every"], policy["missed_reminder_limit"]) == ("PT3600S", 5)

    history = (await http.get(f"{POLICY}/history", headers=bearer(tokens["coordinator"])))
    changes = history.json()["changes"]
    assert [(c["actor_id"], c["changed"]) for c in changes][1:] == [
        ("cora", ["missed_reminder_limit", "remind_every"])]
    assert changes[0]["actor_id"] == "ada" and "notify_email" in changes[0]["changed"]
    assert all("webhook_secret" not in c["policy"] for c in changes)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_other_regions_and_roles_are_refused_with_the_reason_and_nothing_is_written(
        http, tokens):
    other = await http.put(POLICY, json={"remind_every": "1"},
                           headers=bearer(tokens["other coordinator"]))
    assert other.status_code == 403
    assert other.json()["rule"] == "own_region_policy_only"
    assert "coordinator of South East may not set region policy for North West" in \
        other.json()["detail"]
    for role in ("adviser", "authority liaison", "peer", "inspector"):
        refused = await http.get(POLICY, headers=bearer(tokens[role]))
        assert refused.status_code == 403, role
        assert "only an admin, or a coordinator of the region" in refused.json()["detail"]
    assert (await http.get(POLICY)).status_code == 401

    who = bearer(tokens["coordinator"])
    for body, field in [({"remind_every": "soon"}, "remind_every"),
                        ({"missed_reminder_limit": 99}, "missed_reminder_limit"),
                        ({"escalation": "sometimes"}, "escalation"),
                        ({"notify_email": "not an address"}, "notify_email"),
                        ({"diagnosis": "P"}, "diagnosis"),
                        ({}, "policy")]:
        refused = await http.put(POLICY, json=body, headers=who)
        assert refused.status_code == 422, body
        assert refused.json()["field"] == field, refused.json()
    unknown = await http.put(POLICY, json={"colour": "red"}, headers=who)
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["colour"]
    nowhere = await http.get("/regions/Narnia/policy", headers=bearer(tokens["admin"]))
    assert nowhere.status_code == 422
    assert {e["field"] for e in nowhere.json()["errors"]} == {"region"}
    history = await http.get(f"{POLICY}/history", headers=who)
    assert history.json()["changes"] == []


async def test_a_policy_set_over_http_changes_the_next_reminder_of_an_open_case(
        http, tokens):
    """The case sleeps towards a reminder 28 seconds away; the region then asks for
    notice 27 seconds before the deadline, and the reminder comes within seconds while
    the deadline keeps its date."""
    await eventually(lambda: _ok(http.get("/health/ready")), timeout=15)
    admin, cora = bearer(tokens["admin"]), bearer(tokens["coordinator"])
    first = await http.put(POLICY, json={"remind_before": "PT2S", "remind_every": "PT1H"},
                           headers=admin)
    assert first.status_code == 200, first.text
    due = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    opened = await http.post("/cases", json={**OPEN_CASE, "diagnosis_due": due}, headers=cora)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]

    async def sleeping_towards_the_first_reminder():
        status = (await http.get(f"/cases/{case_id}/stage", headers=cora)).json()
        step = status.get("next_step") or {}
        return step.get("key", "").endswith(":before") and step

    await eventually(sleeping_towards_the_first_reminder, timeout=15)
    changed = await http.put(POLICY, json={"remind_before": "PT27S"}, headers=cora)
    assert changed.status_code == 200, changed.text
    assert changed.json()["cases_woken"] == 1
    changed_at = datetime.now(UTC)

    async def reminded():
        case = (await http.get(f"/cases/{case_id}", headers=cora)).json()
        return case["reminders_issued"] == 1 and case

    case = await eventually(reminded, timeout=15)
    assert datetime.now(UTC) - changed_at < timedelta(seconds=15)
    assert datetime.fromisoformat(case["deadlines"]["diagnosis"]) == \
        datetime.fromisoformat(due)  # the deadline already set keeps its date
