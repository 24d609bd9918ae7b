"""Disposal through the API, over real HTTP on both stores: each refusal a problem naming
its rule with nothing changed; then the case answers 410 Gone everywhere, is found by no
search, and its record is there for inspectors."""

import time

import pytest

from tests.helpers import EXIT_STRATEGY, OPEN_CASE

SUMMARY = "Wolframite procurement irregularities"


@pytest.fixture
def settings(settings):
    """The test's store, with a retention schedule of one second."""
    return settings.model_copy(update={"retention_case": "PT1S"})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_disposal_over_the_api_refuses_by_rule_then_the_case_is_gone(api, services, identity):
    identity.register_user(username="ada", role="admin", name="Ada Lovell")
    ada = _bearer(identity.issue_token("ada"))
    services.registers.register_authority(name="Eastshire County Council", actor_id="test",
                                          authority_type="county", region="East Midlands")
    opened = {**OPEN_CASE, "authority": "Eastshire County Council", "region": "East Midlands"}
    case_id = api.post("/cases", json={**opened, "summary": SUMMARY}).json()["id"]
    other = api.post("/cases", json=opened).json()["id"]

    def dispose(reason: str = "Kept as the schedule requires", **headers):
        return api.post(f"/cases/{case_id}/disposal", json={"reason": reason},
                        headers=headers or ada)

    refused = dispose()
    assert (refused.status_code, refused.json()["rule"]) == (409, "case_still_open")
    api.post(f"/cases/{case_id}/closure", json={"outcome": "improved and handed back",
                                                 "exit_strategy": EXIT_STRATEGY},
             headers={"If-Match": '"1"'}).raise_for_status()
    refused = dispose()
    assert (refused.status_code, refused.json()["rule"]) == (409, "retention_not_over")
    time.sleep(1.2)
    refused = dispose(**api.headers)  # the coordinator who owns it
    assert refused.status_code == 403 and refused.json()["action"] == "dispose of case"
    refused = dispose(" ")
    assert (refused.status_code, refused.json()["rule"], refused.json()["field"]) == \
        (422, "reason_needed", "reason")
    assert api.get(f"/cases/{case_id}").json()["summary"] == SUMMARY  # nothing changed
    due = api.get("/disposals/due", headers=ada).json()
    assert [d["case_id"] for d in due] == [case_id]

    done = dispose()
    assert done.status_code == 200, done.text
    record = done.json()
    assert record["reference"] and record["confirmed_by"] == "ada"

    for path in ("", "/history", "/export", "/verification", "/stage"):
        gone = api.get(f"/cases/{case_id}{path}")
        assert gone.status_code == 410, (path, gone.text)
        assert gone.json()["rule"] == "case_disposed"
        assert "disposed of on" in gone.json()["detail"] and SUMMARY not in gone.text
    assert api.get("/cases", params={"q": "Wolframite"}).json()["cases"] == []
    assert [c["case_id"] for c in api.get("/cases").json()["cases"]] == [other]
    assert api.get(f"/cases/{other}/verification").json()["ok"]
    assert dispose().status_code == 410  # once
    assert api.get("/disposals/due", headers=ada).json() == []
    ines = _bearer(identity.issue_token("ines"))
    kept = api.get(f"/disposals/{case_id}", headers=ines).json()
    assert kept["head"] == record["head"] and kept["reason"] == "Kept as the schedule requires"
    assert api.get("/disposals", headers=ines).json()[0]["case_id"] == case_id
    assert api.get("/disposals").status_code == 403  # a coordinator reads no records
