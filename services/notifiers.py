"""Delivering reminders: email over SMTP and a JSON webhook.

Delivery comes after the reminder is recorded and may be retried; each message
carries the step's key (Message-ID, Idempotency-Key) so a receiver can drop a
copy that a retry sent twice. A failure raises, and the caller retries.
"""

import smtplib
from dataclasses import asdict
from email.message import EmailMessage

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.escalation import Notice


class NotifierSettings(BaseSettings):
    """Where email goes out; read from CASEWORK_SMTP_* (no SMTP host: no email)."""

    model_config = SettingsConfigDict(env_prefix="CASEWORK_", extra="ignore")

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "casework@localhost"
    delivery_timeout_seconds: float = 10.0


class DeliveryFailed(Exception):
    """A notifier could not deliver; the workflow retries with backoff."""


class EmailNotifier:
    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def send(self, notice: Notice) -> None:
        """Send one message to the notice's address; raises DeliveryFailed."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = notice.email_to
        message["Subject"] = notice.subject
        message["Message-ID"] = f"<{_safe(notice.key)}@casework>"
        message.set_content(notice.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"email to {notice.email_to} failed: {error}") from error


class WebhookNotifier:
    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def post(self, notice: Notice) -> None:
        """POST the notice as JSON; any non-2xx answer is a failure to retry."""
        try:
            response = httpx.post(notice.webhook_url, json=asdict(notice), timeout=self.timeout,
                                  headers={"Idempotency-Key": notice.key})
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"webhook {notice.webhook_url} failed: {error}") from error
        if not response.is_success:
            raise DeliveryFailed(f"webhook {notice.webhook_url} answered {response.status_code}")


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in key)


def build_notifiers(settings: NotifierSettings | None = None
                    ) -> tuple[EmailNotifier, WebhookNotifier]:
    settings = settings or NotifierSettings()
    timeout = settings.delivery_timeout_seconds
    return (EmailNotifier(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                          timeout=timeout),
            WebhookNotifier(timeout=timeout))
