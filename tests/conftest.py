"""Real parts for every test: a Temporal dev server, SQLite files, PostgreSQL.

PostgreSQL tests use 127.0.0.1:5432 when it answers; they skip on a machine
without it, except under CI=true, where a missing server is a failure.
"""

import os
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from deploy.run import temporal_binary
from domain.calendar import PolicyDuration
from services.bootstrap import Services, build_services
from services.cases.service import CaseService
from services.cases.workflow_contract import CASE_SEARCH_ATTRIBUTES
from services.identity.service import IdentityService, build_identity_service
from services.platform.settings import Settings
from workflows.worker import build_worker

PG_URL = os.environ.get("CASEWORK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


TEST_POLICY_LIMITS = dict(shortest_reminder_interval="PT1S", webhook_allowed_hosts="127.0.0.1")
LOOPBACK = frozenset({"127.0.0.1"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not postgres_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but PostgreSQL does not answer at {PG_URL}")
        pytest.skip(f"PostgreSQL does not answer at {PG_URL}")
    return PG_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A throwaway schema, dropped after the test."""
    schema = f"casework_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for one store; every test that takes it runs on both stores.

    Region policies may remind every second and post to a webhook on loopback (the
    tests' receiver): a service left to its defaults refuses both (services/policy/service.py).
    """
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "var", store="sqlite", **TEST_POLICY_LIMITS)
    schema = request.getfixturevalue("postgres_schema")
    url = request.getfixturevalue("postgres_url")
    return Settings(data_dir=tmp_path / "var", store="postgres", postgres_url=url,
                    postgres_schema=schema, **TEST_POLICY_LIMITS)


@pytest.fixture
def cases(settings: Settings) -> Iterator[CaseService]:
    service = CaseService(settings.eventsourcing_env(),
                          diagnosis_deadline=PolicyDuration.parse("PT2S"))
    yield service
    service.close()


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """One process's services, built as the API and the worker build theirs, on the
    test's store, with a diagnosis deadline of two seconds."""
    built = build_services(settings.model_copy(update={"diagnosis_deadline": "PT2S"}))
    yield built
    built.close()


@pytest.fixture
def identity(settings: Settings) -> Iterator[IdentityService]:
    """Users and tokens on the same store as the test's cases."""
    service = build_identity_service(settings)
    yield service
    service.close()


@pytest.fixture(scope="session")
async def temporal() -> Iterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), dev_server_log_level="error",
        search_attributes=[SearchAttributeKey.for_keyword(n) for n in CASE_SEARCH_ATTRIBUTES],
    )
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def worker(temporal: WorkflowEnvironment, cases: CaseService, task_queue: str):
    """A real worker for this test's store on its own task queue."""
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(temporal.client, cases, task_queue, executor,
                                index_cases=True) as running:
            yield running


@pytest.fixture
def client(temporal: WorkflowEnvironment) -> Client:
    return temporal.client
