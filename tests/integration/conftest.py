"""Fixtures for the integration tests, found by name: no test imports them.

The escalation tests' real parts (an SMTP server, a webhook receiver, a worker that
delivers to them) and the register routes served over real HTTP. A test module that
defines a fixture of the same name uses its own.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from aiosmtpd.controller import Controller
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from services.bootstrap import Services
from services.cases.service import CaseService
from services.identity.service import IdentityService
from services.platform.settings import Settings
from services.policy.service import PolicyService
from tests.conftest import free_port
from tests.e2e.conftest import bearer, serve
from tests.integration.escalation_support import PUBLIC_URL, Mailbox, Receiver
from workflows.worker import build_worker


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def policies(settings: Settings) -> Iterator[PolicyService]:
    service = PolicyService(settings.eventsourcing_env())
    yield service
    service.close()


@pytest.fixture
def notifier_settings(settings: Settings, mailbox) -> Settings:
    """The test's settings, delivering to its mailbox; quick retries (three attempts, a
    fifth of a second apart at first) keep tests short."""
    return settings.model_copy(update=dict(
        smtp_host="127.0.0.1", smtp_port=mailbox[1], delivery_attempts=3,
        delivery_first_retry_seconds=0.2, delivery_max_retry_seconds=1,
        public_base_url=PUBLIC_URL))


@pytest.fixture
async def escalation_worker(temporal: WorkflowEnvironment, cases: CaseService,
                            policies: PolicyService, notifier_settings, task_queue: str,
                            identity: IdentityService):
    """A real worker on this test's store and task queue, delivering to loopback."""
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(temporal.client, cases, task_queue, executor,
                                policies=policies, settings=notifier_settings,
                                directory=identity) as running:
            yield running


@pytest.fixture
def tokens(identity: IdentityService) -> dict[str, str]:
    """Bearer tokens for two coordinators (East Midlands, South East), an inspector and a
    peer, by username."""
    made = {}
    for username, role, region in (("cora", "coordinator", "East Midlands"),
                                   ("otto", "coordinator", "South East"),
                                   ("ines", "inspector", None), ("pete", "peer", None)):
        identity.register_user(username=username, role=role, region=region)
        made[username] = identity.issue_token(username)
    return made


@pytest.fixture
def api(settings: Settings, services: Services,
        tokens: dict[str, str]) -> Iterator[httpx.Client]:
    """The API over real HTTP on the test's store, signed in as cora (East Midlands
    coordinator). No Temporal is needed here: the API points at a port where nothing
    listens."""
    settings = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    server, thread, url = serve(create_app(settings, services=services))
    with httpx.Client(base_url=url, timeout=10,
                      headers=bearer(tokens["cora"])) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)
