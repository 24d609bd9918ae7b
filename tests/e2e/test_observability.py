"""What an operator watches: /metrics, readiness, and finding a case in Temporal."""

import sqlite3

import httpx
import psycopg
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from services.platform.settings import Settings
from tests.conftest import free_port
from tests.e2e.conftest import bearer, serve
from tests.helpers import OPEN_CASE, event_types, eventually


def _samples(text: str) -> dict[tuple, float]:
    """Every sample as (name, sorted labels) -> value."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_count_requests_by_route_template_commands_and_reminders(http, tokens):
    auth = bearer(tokens["coordinator"])
    reminders_before = REGISTRY.get_sample_value(
        "casework_escalation_steps_recorded_total", {"action": "remind"}) or 0
    created = await http.post("/cases", json=OPEN_CASE, headers=auth)
    case_id = created.json()["id"]
    assert (await http.get(f"/cases/{case_id}", headers=auth)).status_code == 200

    async def reminded():
        history = (await http.get(f"/cases/{case_id}/history", headers=auth)).json()
        return "ReminderIssued" in event_types(history)

    await eventually(reminded, timeout=30)
    response = await http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    by_route = ("casework_http_requests_total",
                (("method", "GET"), ("route", "/cases/{case_id}"), ("status", "200")))
    assert samples[by_route] >= 1
    assert samples[("casework_http_request_duration_seconds_count",
                    (("method", "GET"), ("route", "/cases/{case_id}")))] >= 1
    assert samples[("casework_commands_recorded_total", (("command", "/cases"),))] >= 1
    assert ("casework_read_model_lag_events", ()) in samples
    # The worker runs in this process here, so its counters are in the same registry.
    assert (REGISTRY.get_sample_value("casework_escalation_steps_recorded_total",
                                      {"action": "remind"}) or 0) > reminders_before
    assert REGISTRY.get_sample_value("casework_step_lateness_seconds_count",
                                     {"action": "remind"})


async def test_a_case_workflow_is_found_in_temporal_by_its_authority(http, tokens, client):
    created = await http.post("/cases", json=OPEN_CASE, headers=bearer(tokens["coordinator"]))
    workflow_id = f"case-{created.json()['id']}"
    query = 'CaseAuthority = "Northshire County Council" AND CaseStage = "local"'

    async def found():
        return [w.id async for w in client.list_workflows(query) if w.id == workflow_id]

    assert await eventually(found, timeout=30) == [workflow_id]
    described = await client.get_workflow_handle(workflow_id).describe()
    assert described.search_attributes["CaseRegion"] == [OPEN_CASE["region"]]
    assert described.search_attributes["CaseRiskBand"] == ["not assessed"]


async def test_not_ready_while_temporal_is_unreachable_yet_alive(settings: Settings,
                                                                 services):
    nowhere = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    server, thread, url = serve(create_app(nowhere, services=services))
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            ready = await http.get("/health/ready")
            assert ready.status_code == 503
            assert ready.json() == {"status": "unavailable", "event_store": "up",
                                    "temporal": "down"}
            assert (await http.get("/health")).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _break_store(settings: Settings) -> None:
    """Take the event store away under a running API, as a lost database would."""
    if settings.store == "postgres":
        with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{settings.postgres_schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{settings.postgres_schema}"')  # for the teardown
        return
    with sqlite3.connect(settings.sqlite_path) as conn:
        tables = [n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%events'")]
        for name in tables:
            conn.execute(f'ALTER TABLE "{name}" RENAME TO "{name}_gone"')


async def test_not_ready_when_the_event_store_is_unreachable(http, api_settings: Settings):
    assert (await eventually(lambda: _ready(http))).status_code == 200
    _break_store(api_settings)
    ready = await http.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["event_store"] == "down" and ready.json()["temporal"] == "up"
    assert (await http.get("/health")).status_code == 200


async def _ready(http):
    response = await http.get("/health/ready")
    return response if response.status_code == 200 else None
