"""The HTTP API over a real socket, with a real worker and Temporal behind it."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE, event_types, eventually


async def _ok(request):
    response = await request
    return response if response.status_code == 200 else None


LATER = (datetime.now(UTC) + timedelta(days=30)).isoformat()


async def _open(http, token, **changes):
    """Open a case whose diagnosis is not due during the test, unless told otherwise."""
    body = {**OPEN_CASE, "diagnosis_due": LATER, **changes}
    response = await http.post("/cases", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    return response


async def test_ready_when_the_store_and_temporal_are_up(http):
    response = await eventually(lambda: _ok(http.get("/health/ready")), timeout=15)
    assert response.json() == {"status": "ok", "event_store": "up", "temporal": "up"}
    assert (await http.get("/health")).json() == {"status": "ok"}


async def test_a_case_opened_over_http_shows_its_reminder_in_the_history(http, tokens):
    await eventually(lambda: _ok(http.get("/health/ready")), timeout=15)
    created = await _open(http, tokens["coordinator"], diagnosis_due=None)
    case = created.json()
    assert created.headers["location"] == f"/cases/{case['id']}"
    assert case["stage"] == "local" and "diagnosis" in case["deadlines"]

    async def reminded():
        history = (await http.get(f"/cases/{case['id']}/history",
                                  headers=bearer(tokens["coordinator"]))).json()
        return "ReminderIssued" in event_types(history) and history

    history = await eventually(reminded)
    assert history[0]["actor"] == {"id": "cora", "role": "coordinator"}
    assert {"type", "version", "recorded_at", "actor", "data"} <= set(history[-1])
    fetched = await http.get(f"/cases/{case['id']}", headers=bearer(tokens["inspector"]))
    assert fetched.json()["reminders_issued"] == 1
    assert fetched.headers["etag"] == '"2"'


async def test_the_actor_comes_from_the_token_never_from_headers_or_body(http, tokens, cases):
    response = await http.post("/cases", json=OPEN_CASE, headers={
        **bearer(tokens["coordinator"]), "X-Actor-Id": "mallory", "X-Actor-Role": "inspector"})
    history = cases.history(UUID(response.json()["id"]))
    assert history[0]["actor"] == {"id": "cora", "role": "coordinator"}
    refused = await http.post("/cases", json=dict(OPEN_CASE, actor_id="mallory"),
                              headers=bearer(tokens["coordinator"]))
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["actor_id"]


async def test_no_token_or_an_unknown_token_is_a_401_and_writes_nothing(http, cases):
    for headers in ({}, bearer("cw_not-a-real-token"), {"Authorization": "Basic YTpi"}):
        response = await http.post("/cases", json=OPEN_CASE, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"
    assert cases.case_ids() == []


async def test_a_deactivated_users_token_stops_working(http, tokens, identity):
    assert (await http.get("/cases", headers=bearer(tokens["inspector"]))).status_code == 200
    identity.deactivate("ines")
    assert (await http.get("/cases", headers=bearer(tokens["inspector"]))).status_code == 401


async def test_a_coordinator_may_not_open_a_case_in_another_region(http, tokens, cases):
    response = await http.post("/cases", json=OPEN_CASE, headers=bearer(tokens["other coordinator"]))
    assert response.status_code == 403
    assert response.json()["action"].startswith("open a case in 'North West'")
    assert cases.case_ids() == []


async def test_someone_who_may_not_know_of_a_case_gets_404_not_403(http, tokens):
    case = (await _open(http, tokens["coordinator"])).json()
    for outsider in ("other coordinator", "other liaison", "peer", "adviser", "admin"):
        response = await http.get(f"/cases/{case['id']}", headers=bearer(tokens[outsider]))
        assert response.status_code == 404, outsider
        assert response.json()["rule"] == "case_not_found"
    unknown = await http.get("/cases/00000000-0000-4000-8000-000000000000",
                             headers=bearer(tokens["inspector"]))
    assert unknown.status_code == 404


async def test_an_inspector_reads_but_may_not_write(http, tokens, cases):
    case = (await _open(http, tokens["coordinator"])).json()
    response = await http.post(f"/cases/{case['id']}/diagnosis", json={"summary": "x"},
                               headers={**bearer(tokens["inspector"]), "If-Match": '"1"'})
    assert response.status_code == 403
    assert response.json()["rule"] == "role_may_not"
    assert len(cases.history(UUID(case["id"]))) == 1


async def test_a_stale_write_gets_409_with_the_current_version_and_changes_nothing(
        http, tokens, cases):
    case = (await _open(http, tokens["coordinator"])).json()
    cases.issue_reminder(UUID(case["id"]), deadline="diagnosis", recipient="cora", reminder_key="r1")
    response = await http.post(f"/cases/{case['id']}/diagnosis", json={"summary": "Capacity"},
                               headers={**bearer(tokens["coordinator"]), "If-Match": '"1"'})
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert response.headers["etag"] == '"2"'
    assert event_types(cases.history(UUID(case["id"]))) == ["ConcernRaised", "ReminderIssued"]


async def test_a_write_without_if_match_is_refused_with_428(http, tokens, cases):
    case = (await _open(http, tokens["coordinator"])).json()
    response = await http.post(f"/cases/{case['id']}/diagnosis", json={"summary": "Capacity"},
                               headers=bearer(tokens["coordinator"]))
    assert response.status_code == 428
    assert response.json()["field"] == "If-Match"
    assert len(cases.history(UUID(case["id"]))) == 1


async def test_an_if_match_that_is_not_a_version_is_refused_naming_it(http, tokens, cases):
    case = (await _open(http, tokens["coordinator"])).json()
    response = await http.post(f"/cases/{case['id']}/diagnosis", json={"summary": "Capacity"},
                               headers={**bearer(tokens["coordinator"]), "If-Match": "*"})
    assert response.status_code == 422 and response.json()["field"] == "If-Match"
    assert len(cases.history(UUID(case["id"]))) == 1


async def test_a_write_with_the_current_etag_lands_and_returns_the_next_etag(http, tokens):
    case = await _open(http, tokens["coordinator"])
    response = await http.post(
        f"/cases/{case.json()['id']}/diagnosis", json={"summary": "Capacity"},
        headers={**bearer(tokens["coordinator"]), "If-Match": case.headers["etag"]})
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'


async def test_a_retried_post_with_the_same_idempotency_key_records_once(http, tokens, cases):
    headers = {**bearer(tokens["coordinator"]), "Idempotency-Key": "open-northshire-1"}
    body = {**OPEN_CASE, "diagnosis_due": LATER}
    first = await http.post("/cases", json=body, headers=headers)
    again = await http.post("/cases", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert cases.case_ids() == [UUID(first.json()["id"])]
    case_id = first.json()["id"]
    write = {**headers, "Idempotency-Key": "diagnose-1", "If-Match": '"1"'}
    for _ in range(3):
        response = await http.post(f"/cases/{case_id}/diagnosis", json={"summary": "Capacity"},
                                   headers=write)
        assert response.status_code == 200, response.text
    assert event_types(cases.history(UUID(case_id))) == ["ConcernRaised", "DiagnosisRecorded"]


async def test_an_idempotency_key_reused_for_a_different_request_is_refused(http, tokens, cases):
    headers = {**bearer(tokens["coordinator"]), "Idempotency-Key": "k"}
    await http.post("/cases", json=OPEN_CASE, headers=headers)
    other = await http.post("/cases", json=dict(OPEN_CASE, summary="Another"), headers=headers)
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"
    assert len(cases.case_ids()) == 1


async def test_an_unknown_source_is_refused_naming_the_field_and_nothing_is_written(
        http, tokens, cases):
    response = await http.post("/cases", json=dict(OPEN_CASE, source="a newspaper"),
                               headers=bearer(tokens["coordinator"]))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == "source"
    assert "inspectorate report" in problem["detail"]
    assert cases.case_ids() == []


async def test_a_missing_authority_is_refused_naming_the_field(http, tokens):
    body = {k: v for k, v in OPEN_CASE.items() if k != "authority"}
    response = await http.post("/cases", json=body, headers=bearer(tokens["coordinator"]))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["authority"]


async def test_an_oversized_body_is_refused_with_413_and_nothing_is_written(http, tokens, cases):
    body = dict(OPEN_CASE, summary="x" * 2_000_000)
    response = await http.post("/cases", json=body, headers=bearer(tokens["coordinator"]))
    assert response.status_code == 413
    assert response.json()["rule"] == "max_body_size"
    assert cases.case_ids() == []


async def test_the_openapi_document_and_docs_are_served(http):
    spec = (await http.get("/openapi.json")).json()
    assert "/cases" in spec["paths"] and "/health" in spec["paths"]
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()
    assert (await http.get("/docs")).status_code == 200
