"""GOV.UK Notify as the email channel, against a local stand-in of its API.

The real service cannot be reached from here; the stand-in checks what Notify
checks (a JWT signed with the key's secret, issued by the key's service) and
answers as Notify's API documentation says.
"""

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from services.cases.workflow_contract import Notice
from services.cases.workflow_gateway import WorkflowGateway
from services.platform.settings import Settings
from services.reminders.notifiers import DeliveryFailed, NotifyNotifier
from tests.conftest import free_port
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, fast_policy

SERVICE_ID, SECRET = str(uuid.uuid4()), str(uuid.uuid4())
API_KEY = f"casework_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = str(uuid.uuid4())


class NotifyStandIn(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", free_port()), _NotifyHandler)
        self.emails: list[dict] = []
        self.refused = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _NotifyHandler(BaseHTTPRequestHandler):
    server: NotifyStandIn

    def do_POST(self) -> None:  # noqa: N802 - the standard library's hook
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"])
            assert claims["iss"] == SERVICE_ID
        except (jwt.PyJWTError, AssertionError, KeyError):
            self.server.refused += 1
            return self._answer(403, {"status_code": 403, "errors": [
                {"error": "AuthError", "message": "Invalid token: signature, api token not found"}]})
        if self.path != "/v2/notifications/email":
            return self._answer(404, {"status_code": 404, "errors": []})
        self.server.emails.append(body)
        self._answer(201, {
            "id": str(uuid.uuid4()), "reference": body.get("reference"),
            "content": {"subject": body["personalisation"]["subject"],
                        "body": body["personalisation"]["body"],
                        "from_email": "casework@notifications.service.gov.uk"},
            "uri": f"{self.server.url}/v2/notifications/x",
            "template": {"id": body["template_id"], "version": 1, "uri": "x"}})

    def _answer(self, status: int, document: dict) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def notify() -> Iterator[NotifyStandIn]:
    server = NotifyStandIn()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def notifier_settings(settings: Settings, notify) -> Settings:
    """Notify instead of SMTP (no SMTP host), retried quickly."""
    return settings.model_copy(update=dict(
        smtp_host="", notify_api_key=API_KEY, notify_template_id=TEMPLATE_ID,
        notify_base_url=notify.url, delivery_attempts=3, delivery_first_retry_seconds=0.2,
        delivery_max_retry_seconds=1))


async def test_a_reminder_goes_by_gov_uk_notify_and_its_delivery_is_recorded(
    cases, policies, notify, escalation_worker, client, task_queue
):
    fast_policy(policies, remind_before="PT0S", missed_reminder_limit=1)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    [sent] = await eventually(lambda: notify.emails, timeout=30)
    [reminder] = [e for e in cases.history(case_id) if e["type"] == "ReminderIssued"]
    assert sent["email_address"] == "coordinators@riep.example"
    assert sent["template_id"] == TEMPLATE_ID
    assert sent["reference"] == reminder["data"]["reminder_key"]
    assert sent["personalisation"]["subject"].startswith("Northshire County Council: diagnosis")
    assert "What to do" in sent["personalisation"]["body"]
    [delivered] = await eventually(lambda: [e["data"] for e in cases.history(case_id)
                                            if e["type"] == "NoticeDelivered"])
    assert (delivered["channel"], delivered["address"]) == ("notify",
                                                            "coordinators@riep.example")


def test_a_key_notify_refuses_is_a_failure_naming_the_address(notify):
    wrong = f"casework_test-{SERVICE_ID}-{uuid.uuid4()}"
    notice = Notice(key="k", case_id="", authority="A", region="R", subject="S", body="B")
    with pytest.raises(DeliveryFailed, match="ann@riep.example.*403"):
        NotifyNotifier(wrong, TEMPLATE_ID, notify.url).send(notice, "ann@riep.example")
    assert notify.refused == 1 and notify.emails == []
