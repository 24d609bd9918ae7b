"""Real parts for the escalation tests: a policy store, an SMTP server, a webhook receiver.

Import the fixtures into a test module to use them. The SMTP server (aiosmtpd)
and the webhook receiver (the standard library's HTTP server) listen on
loopback and keep what they receive, so tests read real deliveries.
"""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from temporalio.testing import WorkflowEnvironment

from services.cases.service import CaseService
from services.identity.service import IdentityService
from services.platform.settings import Settings
from services.policy.service import PolicyService
from tests.conftest import free_port
from workflows.worker import build_worker

REGION = "North West"
PUBLIC_URL = "https://casework.example.org"
ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [m["Subject"] for m in self.messages]


class Receiver(ThreadingHTTPServer):
    """A webhook receiver; refuses the first `failures` posts with 503 to test retries.

    With a `secret`, it checks each request as docs/reminders-and-notices.md tells receivers to:
    HMAC-SHA256 over the timestamp, a dot and the body, compared in constant
    time, and a timestamp within five minutes; otherwise it answers 401.
    """

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _ReceiverHandler)
        self.posts: list[dict] = []
        self.keys: list[str] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.failures = 0
        self.refused = 0
        self.secret = ""
        self.unsigned = 0

    def verified(self, headers, body: bytes) -> bool:
        if not self.secret:
            return True
        timestamp = headers.get("Casework-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest(headers.get("Casework-Signature", ""), f"v1={expected}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - the standard library's hook
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not self.server.verified(self.headers, body):
            self.server.unsigned += 1
            self.send_response(401)
        elif self.server.refused < self.server.failures:
            self.server.refused += 1
            self.send_response(503)
        else:
            self.server.posts.append(json.loads(body))
            self.server.keys.append(self.headers["Idempotency-Key"])
            self.server.requests.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


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


def refusing_url() -> str:
    """A webhook address where nothing listens: every connection is refused."""
    return f"http://127.0.0.1:{free_port()}/hook"


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


def fast_policy(policies: PolicyService, receiver: Receiver | None = None, **overrides) -> None:
    """Seconds instead of working days, so a whole escalation runs in a few seconds."""
    fields = dict(remind_before="PT1S", remind_every="PT1S", missed_reminder_limit=2,
                  diagnosis="PT2S",  # the region's own, as the `cases` fixture's
                  escalation="automatic", notify_email="coordinators@riep.example",
                  webhook_url=receiver.url if receiver else "")
    policies.set_policy(REGION, actor_id="riep-admin", **{**fields, **overrides})
