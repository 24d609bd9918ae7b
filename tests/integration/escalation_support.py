"""What the escalation tests share besides fixtures: an SMTP mailbox, a webhook receiver,
a quick region policy.

The fixtures that start them (`mailbox`, `receiver`, `policies`, `notifier_settings`,
`escalation_worker`) are in tests/integration/conftest.py, so a test names them as
arguments and imports nothing. The SMTP server (aiosmtpd) and the webhook receiver (the
standard library's HTTP server) listen on loopback and keep what they receive, so tests
read real deliveries.
"""

import hashlib
import hmac
import json
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from services.policy.service import PolicyService
from tests.conftest import free_port

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


def refusing_url() -> str:
    """A webhook address where nothing listens: every connection is refused."""
    return f"http://127.0.0.1:{free_port()}/hook"


def fast_policy(policies: PolicyService, receiver: Receiver | None = None, **overrides) -> None:
    """Seconds instead of working days, so a whole escalation runs in a few seconds."""
    fields = dict(remind_before="PT1S", remind_every="PT1S", missed_reminder_limit=2,
                  diagnosis="PT2S",  # the region's own, as the `cases` fixture's
                  escalation="automatic", notify_email="coordinators@riep.example",
                  webhook_url=receiver.url if receiver else "")
    policies.set_policy(REGION, actor_id="riep-admin", **{**fields, **overrides})
