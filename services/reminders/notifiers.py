"""Delivering reminders: email over SMTP and a JSON webhook.

Delivery comes after the reminder is recorded and may be retried; each message
carries the step's key (Message-ID, Idempotency-Key) so a receiver can drop a
copy that a retry sent twice. A failure raises, and the caller retries.
"""

import hashlib
import logging
import smtplib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from domain.errors import InvalidField
from services.cases.workflow_contract import DeliveryAttempt, DeliveryResult, Notice, RetrySchedule
from services.platform.settings import Settings
from services.policy.webhook_address import checked_address
from services.reminders import webhooks

log = logging.getLogger("casework.notices")


class DeliveryFailed(Exception):
    """A notifier could not deliver; the workflow retries with backoff."""


class DeliveryRefused(DeliveryFailed):
    """The service will not deliver there (a webhook address it may not reach): trying
    again cannot help, so it is recorded as refused at once, not retried."""


class EmailNotifier:
    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def send(self, notice: Notice, to: str = "") -> None:
        """Send one message to `to` (else the notice's address); raises DeliveryFailed."""
        to = to or notice.email_to
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = notice.subject
        message["Message-ID"] = message_id(notice, to)
        if notice.case_id and notice.deliveries:  # one thread per case in the reader's mail
            message["In-Reply-To"] = message["References"] = case_thread_id(notice.case_id)
        message.set_content(notice.body)
        if notice.html:
            message.add_alternative(notice.html, subtype="html")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"email to {to} failed: {error}") from error


class WebhookNotifier:
    """Posts through one HTTP client kept for the worker's life (it is thread-safe).

    A client made per post builds a TLS context each time, loading every CA
    certificate: tens of milliseconds of CPU under the GIL, for an address
    that may only refuse. With a webhook down, each retry paid it again and
    the worker fell behind its timetable. One client pays it once and keeps
    connections to a healthy webhook open between notices.
    """

    def __init__(self, *, timeout: float = 10.0,
                 allowed_hosts: frozenset[str] = frozenset()) -> None:
        self.timeout, self.allowed_hosts = timeout, allowed_hosts
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def post(self, notice: Notice, url: str = "", secret: str = "") -> None:
        """POST the notice as JSON, signed when the region set a secret; any non-2xx
        answer is a failure to retry. The address is checked again first (its host
        may resolve elsewhere since the policy was set): refused, nothing is sent."""
        url = url or notice.webhook_url
        try:
            checked_address(url, self.allowed_hosts)
        except InvalidField as refused:
            raise DeliveryRefused(f"webhook refused: {refused.message}") from None
        body = webhooks.body_of(notice)
        headers = webhooks.signed_headers(notice, secret, body, int(time.time()))
        try:
            response = self.client().post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"webhook {url} failed: {error}") from error
        if not response.is_success:
            raise DeliveryFailed(f"webhook {url} answered {response.status_code}")

    def client(self) -> httpx.Client:
        """The one client, made at the first post (a worker with no webhook makes none)."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
            return self._client


class NotifyNotifier:
    """GOV.UK Notify's email API, used instead of SMTP when a key and template are set.

    The template carries the placeholders ((subject)) and ((body)); Notify
    sends the plain text, so a public body's mail goes out under its own service.
    """

    def __init__(self, api_key: str, template_id: str, base_url: str, *,
                 timeout: float = 10.0) -> None:
        self.api_key, self.template_id, self.base_url = api_key, template_id, base_url
        self.timeout = timeout

    @property
    def enabled(self) -> bool:
        return bool(self.api_key and self.template_id)

    def send(self, notice: Notice, to: str) -> None:
        try:
            client = NotificationsAPIClient(self.api_key, base_url=self.base_url,
                                            timeout=self.timeout)
            client.send_email_notification(
                email_address=to, template_id=self.template_id, reference=notice.key,
                personalisation={"subject": notice.subject, "body": notice.body})
        except (APIError, AssertionError) as error:  # the client asserts on a malformed key
            raise DeliveryFailed(f"GOV.UK Notify email to {to} failed: {error}") from error


class Channels:
    """Every way a notice goes out, chosen by a delivery's channel name."""

    def __init__(self, email: EmailNotifier, webhook: WebhookNotifier,
                 secret_for: Callable[[str], str] = lambda _region: "",
                 notify: NotifyNotifier | None = None) -> None:
        self.email, self.webhook, self.secret_for = email, webhook, secret_for
        self.notify = notify or NotifyNotifier("", "", "")

    def available(self) -> frozenset[str]:
        """Email goes by GOV.UK Notify when it is configured, else by SMTP if that is."""
        mail = {"notify"} if self.notify.enabled else {"email"} if self.email.enabled else set()
        return frozenset({"webhook"} | mail)

    def attempt(self, attempt: DeliveryAttempt) -> DeliveryResult:
        """One try; the answer says delivered or why not, in one log line and no trace."""
        notice, delivery = attempt.notice, attempt.delivery
        where = f"notice {notice.key} by {delivery.channel} to {delivery.address}"
        try:
            self._send(notice, delivery.channel, delivery.address)
        except DeliveryRefused as refusal:
            log.warning("%s: refused, not retried: %s", where, refusal)
            return DeliveryResult(False, str(refusal), refused=True)
        except DeliveryFailed as failure:
            log.warning("%s: attempt %d failed: %s", where, attempt.attempt, failure)
            return DeliveryResult(False, str(failure))
        log.info("%s: delivered at attempt %d", where, attempt.attempt)
        return DeliveryResult(True, at=datetime.now(UTC).isoformat())

    def _send(self, notice: Notice, channel: str, address: str) -> None:
        if channel == "notify" and self.notify.enabled:
            self.notify.send(notice, address)
        elif channel == "email" and self.email.enabled:
            self.email.send(notice, address)
        elif channel == "webhook":
            self.webhook.post(notice, address, self.secret_for(notice.region))
        else:
            raise DeliveryFailed(f"no {channel} channel is configured")


def message_id(notice: Notice, to: str) -> str:
    """Names the notice and the recipient, so each copy is its own message."""
    if not notice.deliveries:  # as the earlier definitions sent it
        return f"<{_safe(notice.key)}@casework>"
    digest = hashlib.sha256(to.encode()).hexdigest()[:10]
    return f"<{_safe(notice.key)}.{digest}@casework>"


def case_thread_id(case_id: str) -> str:
    """The stable root every message about one case replies to."""
    return f"<case-{_safe(case_id)}@casework>"


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in key)


def retry_schedule(settings: Settings) -> RetrySchedule:
    """How each delivery is retried (CASEWORK_DELIVERY_*), by Temporal's activity retries."""
    return RetrySchedule(settings.delivery_attempts, settings.delivery_first_retry_seconds,
                         settings.delivery_max_retry_seconds, by_temporal=True)


def build_notify(settings: Settings) -> NotifyNotifier:
    return NotifyNotifier(settings.notify_api_key, settings.notify_template_id,
                          settings.notify_base_url, timeout=settings.delivery_timeout_seconds)


def build_notifiers(settings: Settings, *, allowed_hosts: frozenset[str] = frozenset()
                    ) -> tuple[EmailNotifier, WebhookNotifier]:
    """`allowed_hosts`: where a webhook may reach inside the network, the same list the
    policy store checks against when a policy is set (PolicyService.limits)."""
    timeout = settings.delivery_timeout_seconds
    return (EmailNotifier(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                          timeout=timeout),
            WebhookNotifier(timeout=timeout, allowed_hosts=allowed_hosts))
