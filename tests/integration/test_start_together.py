"""Several API and worker processes starting at once on an empty PostgreSQL schema.

A region's deployment starts its replicas together. PostgreSQL's IF NOT EXISTS
and CREATE OR REPLACE are not safe against each other, so without the schema
lock some of them die at start-up with a unique violation in pg_type.
"""

import threading
from pathlib import Path

import pytest

from services.caselist.migrations import migrate
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from services.identity.service import build_identity_service
from services.platform.settings import Settings

pytestmark = pytest.mark.postgres
PROCESSES = 6


def _start(settings: Settings, barrier: threading.Barrier, failures: list[str]) -> None:
    barrier.wait()
    try:
        cases = CaseService(settings.eventsourcing_env())
        identity = build_identity_service(settings)
        migrate(settings)
        view = CaseListView(settings)
    except Exception as error:  # noqa: BLE001 - the test reports every failure
        failures.append(repr(error))
        return
    view.close()
    identity.close()
    cases.close()


def test_replicas_starting_together_on_an_empty_schema_all_come_up(
        postgres_url: str, postgres_schema: str, tmp_path: Path) -> None:
    barrier = threading.Barrier(PROCESSES)
    failures: list[str] = []
    threads = [threading.Thread(target=_start, args=(
        Settings(data_dir=tmp_path / str(n), store="postgres", postgres_url=postgres_url,
                 postgres_schema=postgres_schema), barrier, failures))
        for n in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
