"""One Settings class for all configuration, and docs/configuration.md lists it all.

An operator sets variables from the table; a variable the table names that no
setting reads would be ignored without a word, and a setting missing from the
table is one nobody knows to set.
"""

import re
from pathlib import Path

import pytest

from services.platform.settings import Settings
from services.reminders.notifiers import build_notifiers, build_notify, retry_schedule

TABLE = Path(__file__).parents[2] / "docs" / "configuration.md"
NOT_OURS = {"AGGREGATE_CACHE_MAXSIZE"}  # the eventsourcing library's own


def variable(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else f"CASEWORK_{name.upper()}"


def documented() -> set[str]:
    rows = [line for line in TABLE.read_text().splitlines() if line.startswith("| `")]
    first_cells = [row.split("|")[1] for row in rows]
    return {v for cell in first_cells for v in re.findall(r"`([A-Z_]+)`", cell)}


def test_every_setting_is_in_the_configuration_table_and_every_row_is_a_setting():
    settings = {variable(name) for name in Settings.model_fields}
    assert settings - documented() == set(), "settings docs/configuration.md does not list"
    assert documented() - settings - NOT_OURS == set(), "rows no setting reads"


def test_a_missing_row_would_be_caught(monkeypatch):
    monkeypatch.setattr(Settings, "model_fields",
                        {**Settings.model_fields, "no_such_thing": Settings.model_fields["store"]})
    with pytest.raises(AssertionError):
        test_every_setting_is_in_the_configuration_table_and_every_row_is_a_setting()


def test_notices_are_configured_by_the_same_variables_as_before(monkeypatch):
    """The SMTP, Notify, delivery, digest and link settings moved into Settings under
    the names operators already set."""
    for name, value in {"SMTP_HOST": "mail.example", "SMTP_PORT": "2525",
                        "SMTP_SENDER": "riep@example.org", "DELIVERY_ATTEMPTS": "4",
                        "DELIVERY_FIRST_RETRY_SECONDS": "2", "DELIVERY_MAX_RETRY_SECONDS": "30",
                        "DELIVERY_TIMEOUT_SECONDS": "7", "NOTIFY_API_KEY": "key",
                        "NOTIFY_TEMPLATE_ID": "template", "NOTIFY_BASE_URL": "https://n.example",
                        "DIGEST_TIME": "07:30",
                        "PUBLIC_BASE_URL": "https://casework.example"}.items():
        monkeypatch.setenv(f"CASEWORK_{name}", value)
    settings = Settings()
    email, webhook = build_notifiers(settings)
    assert (email.host, email.port, email.sender, email.timeout) == (
        "mail.example", 2525, "riep@example.org", 7)
    assert webhook.timeout == 7
    notify = build_notify(settings)
    assert (notify.api_key, notify.template_id, notify.base_url, notify.enabled) == (
        "key", "template", "https://n.example", True)
    retry = retry_schedule(settings)
    assert (retry.attempts, retry.first_wait_seconds, retry.max_wait_seconds) == (4, 2, 30)
    assert settings.digest_at().isoformat() == "07:30:00"
    assert settings.public_base_url == "https://casework.example"


def test_a_digest_time_that_is_not_a_time_stops_the_service_at_start(monkeypatch):
    monkeypatch.setenv("CASEWORK_DIGEST_TIME", "nine")
    with pytest.raises(ValueError, match="digest_time"):
        Settings()
