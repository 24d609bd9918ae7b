"""The API served by uvicorn on a real port, talking to the test's Temporal.

Every role has a real user with a real token, made through the identity service
exactly as the command line makes them.
"""

import contextlib
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from api.main import create_app
from services.bootstrap import Services
from services.cases.service import CaseService
from services.identity.service import IdentityService
from services.platform.settings import Settings
from services.registers.service import AlreadyRegistered, RegisterService
from tests.conftest import free_port
from tests.helpers import OPEN_CASE

USERS = {
    "coordinator": dict(username="cora", role="coordinator", region=OPEN_CASE["region"]),
    "adviser": dict(username="adam", role="adviser"),
    "authority liaison": dict(username="lia", role="authority liaison",
                              authority=OPEN_CASE["authority"]),
    "peer": dict(username="pete", role="peer"),
    "inspector": dict(username="ines", role="inspector"),
    "government office": dict(username="gus", role="government office"),
    "admin": dict(username="ada", role="admin"),
    "other coordinator": dict(username="otto", role="coordinator", region="South East"),
    "other liaison": dict(username="olga", role="authority liaison",
                          authority="Southshire District Council"),
}


@pytest.fixture
def tokens(identity: IdentityService) -> dict[str, str]:
    """A bearer token for one user of every role (plus outsiders)."""
    made = {}
    for who, user in USERS.items():
        identity.register_user(**user)
        made[who] = identity.issue_token(user["username"])
    return made


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def serve(app) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start (see its start-up error above)")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def api_settings(settings: Settings, temporal, task_queue: str) -> Settings:
    return settings.model_copy(update={
        "temporal_address": temporal.client.service_client.config.target_host,
        "task_queue": task_queue,
    })


AUTHORITIES = [
    dict(name=OPEN_CASE["authority"], authority_type="county", region=OPEN_CASE["region"]),
    dict(name="Southshire District Council", authority_type="district", region="South East"),
]


def register_authorities(settings: Settings) -> None:
    """The councils the tests' cases and users name, in the register of authorities."""
    registers = RegisterService(settings.eventsourcing_env())
    try:
        for authority in AUTHORITIES:
            with contextlib.suppress(AlreadyRegistered):
                registers.register_authority(actor_id="test", **authority)
    finally:
        registers.close()


@pytest.fixture
def services(services: Services) -> Services:
    """The API's services, with the councils the tests' cases and users name registered
    (a case, or a council liaison, must name a registered council)."""
    for authority in AUTHORITIES:
        with contextlib.suppress(AlreadyRegistered):
            services.registers.register_authority(actor_id="test", **authority)
    return services


@pytest.fixture
def cases(services: Services) -> CaseService:
    """The API's own case service: what a test records directly, the API serves."""
    return services.cases


@pytest.fixture
def identity(services: Services) -> IdentityService:
    return services.identity


@pytest.fixture
def api_url(api_settings: Settings, services: Services, worker) -> Iterator[str]:
    register_authorities(api_settings)
    server, thread, url = serve(create_app(api_settings, services=services))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def api_without_workflows(settings: Settings, services: Services, tokens) -> Iterator[str]:
    """The API on a real port, on the test's store, with no Temporal: for what needs no
    workflow (documents, redaction)."""
    server, thread, url = serve(create_app(settings, services=services))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def http(api_url: str):
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as client:
        yield client
