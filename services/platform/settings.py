"""All configuration, read once from the environment (see docs/configuration.md's table)."""

import contextlib
import os
from datetime import time as time_of_day
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.errors import InvalidField
from domain.policy import PolicyLimits
from domain.retention import DEFAULT_CASE_PERIOD, RetentionPeriod, RetentionSchedule


def private_directory(path: Path) -> Path:
    """A directory only the service's user may enter (0700), made or tightened."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_sqlite_file(path: Path) -> Path:
    """An SQLite file only the service's user may read (0600), made before SQLite opens it.

    SQLite gives its journal, WAL and shared-memory files the database file's mode,
    so they are private too; any already there are tightened as well.
    """
    private_directory(path.parent)
    if not path.exists():  # never open and close a database this process may hold open:
        # closing any descriptor of a file drops every POSIX lock the process holds on
        # it, SQLite's included, and another process may then reset the WAL under us
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.close(os.open(path, os.O_CREAT | os.O_RDWR | os.O_EXCL, 0o600))
    for each in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
        if each.exists():
            os.chmod(each, 0o600)
    return path


class Settings(BaseSettings):
    """Configuration with sensible local defaults: SQLite under ./var, local Temporal."""

    model_config = SettingsConfigDict(env_prefix="CASEWORK_", extra="ignore")

    data_dir: Path = Path("var")
    store: str = Field("sqlite", pattern="^(sqlite|postgres)$")
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/casework"
    postgres_schema: str = ""
    postgres_pool_size: int = 1
    postgres_max_overflow: int = 8
    temporal_address: str = Field("127.0.0.1:7233", validation_alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", validation_alias="TEMPORAL_NAMESPACE")
    dev_temporal_port: int = 7233
    dev_temporal_ui_port: int = 8233
    task_queue: str = "casework"
    diagnosis_deadline: str = "10"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_max_body_bytes: int = 1_000_000
    token_cache_seconds: float = Field(5.0, ge=0)
    # How long the API waits, after a command has answered, before telling the case's
    # workflow (services/cases/workflow_sender.py). 0: at once. Longer stands for an API
    # that dies before telling it, to show the worker's reconciler telling it instead.
    workflow_tell_delay: float = Field(0.0, ge=0, le=3600)
    oidc_issuer: str = ""
    oidc_jwks_url: str = ""
    oidc_audience: str = ""
    checkpoint_key_file: Path | None = None
    checkpoint_public_keys: str = ""
    checkpoint_new_key: bool = False  # make a new signing key for a store another key signed
    checkpoint_interval: float = Field(3600.0, ge=0)
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    log_level: str = Field("INFO", pattern="(?i)^(DEBUG|INFO|WARNING|ERROR)$")
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = Field(9464, ge=0, le=65535)
    otel_endpoint: str = ""
    session_cookie_secure: bool = False
    session_idle_minutes: int = Field(480, ge=1)
    sign_in_link_hours: float = Field(24.0, gt=0)  # how long an emailed sign-in link works
    oidc_organisation: str = ""  # the sign-in page's "Sign in with {organisation}"
    # Security headers (docs/security.md). HSTS is sent on answers served over TLS:
    # uvicorn's scheme, which follows X-Forwarded-Proto only from FORWARDED_ALLOW_IPS.
    hsts_seconds: int = Field(31_536_000, ge=0)
    # Throttling failed sign-ins and bearer tokens, per client address and per account.
    throttle_address_failures: int = Field(20, ge=0)
    throttle_account_failures: int = Field(5, ge=0)
    throttle_first_delay: float = Field(1.0, ge=0)
    throttle_max_delay: float = Field(60.0, ge=0)
    throttle_max_hold: float = Field(2.0, ge=0)
    throttle_forget_after: float = Field(900.0, gt=0)
    throttle_max_held: int = Field(100, ge=0)
    throttle_max_tracked: int = Field(10_000, ge=1)
    shortest_reminder_interval: str = "PT1H"
    webhook_allowed_hosts: str = ""
    # Notices and the morning digest (the worker sends them; no SMTP host: no email)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "casework@localhost"
    notify_api_key: str = ""
    notify_template_id: str = ""
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    delivery_timeout_seconds: float = 10.0
    delivery_attempts: int = 8
    delivery_first_retry_seconds: float = 1.0
    delivery_max_retry_seconds: float = 60.0
    public_base_url: str = ""
    # Documents attached to cases (docs/documents.md): the largest file kept, and where
    # the bytes live ("": PostgreSQL's tables when the store is PostgreSQL, else files
    # under <data_dir>/documents).
    document_size_limit: int = Field(25_000_000, ge=1)
    document_store: str = Field("", pattern="^(|files|postgres)$")
    digest_time: str = Field("09:00", pattern=r"^\d\d:\d\d(:\d\d)?$")
    # Who has seen what (docs/audit-and-verification.md). Recording is on; off only to
    # measure what it costs (bench/bench_access.py), never in service. Retention: "case"
    # keeps every record as long as the cases (casework keeps cases for good), or a
    # number of days, after which `casework access-log prune` removes older records.
    access_log_recording: bool = True
    access_log_retention: str = Field("case", pattern=r"^(case|[1-9][0-9]{0,5})$")
    # Encryption at rest (docs/records.md): each stream's data key is wrapped by the
    # master key in this file (default keys/master.key beside the data directory, 0600),
    # and kept in the key store (default keys/keys.sqlite there on SQLite; the store's own
    # tables on PostgreSQL, which backups leave out). "off" only to
    # measure what encryption costs (bench/), never in service.
    master_key_file: Path | None = None
    key_store: str = ""  # where the data keys live; "" for the store's own (see below)
    encryption: str = Field("on", pattern="^(on|off)$")
    # "on": the saves that arrive while one commits share the next commit
    # (services/eventstore/group_commit.py). Off by default: on two cores with a fast
    # disk it gained little, and the reminder lateness bench ran slower with it (see
    # docs/performance.md, "Group commit beside one commit per write").
    group_commit: str = Field("off", pattern="^(on|off)$")

    # The retention schedule (docs/records.md, domain/retention.py): how long a closed
    # case is kept (ISO-8601: P6Y), longer or shorter for a region or an outcome
    # ("London=P7Y, North West=P8Y"; "government intervention=P10Y"), and how often the
    # worker's sweep looks for cases due for disposal to propose to administrators.
    retention_case: str = "P6Y"
    retention_by_region: str = ""
    retention_by_outcome: str = ""
    retention_sweep_interval: str = "PT1H"

    @field_validator("retention_case", "retention_by_region", "retention_by_outcome",
                     "retention_sweep_interval")
    @classmethod
    def _a_schedule(cls, value: str, info: ValidationInfo) -> str:
        """A schedule that cannot be read stops the service at start."""
        name = str(info.field_name)
        try:
            if name == "retention_sweep_interval":
                RetentionPeriod.parse(value, field=name)
            else:
                RetentionSchedule.parse(**{"case": DEFAULT_CASE_PERIOD,
                                           name.removeprefix("retention_"): value})
        except InvalidField as refused:
            raise ValueError(refused.message) from None
        return value

    def retention_schedule(self) -> RetentionSchedule:
        return RetentionSchedule.parse(self.retention_case, by_region=self.retention_by_region,
                                       by_outcome=self.retention_by_outcome,
                                       access_log=self.access_log_retention)

    def retention_sweep_every(self) -> timedelta:
        """How often the sweep runs (at least a second)."""
        period = RetentionPeriod.parse(self.retention_sweep_interval,
                                       field="retention_sweep_interval")
        return max(period.shortest(), timedelta(seconds=1))

    @field_validator("shortest_reminder_interval")
    @classmethod
    def _a_duration(cls, value: str) -> str:
        """A bad floor stops the service at start, not a coordinator's change later."""
        try:
            PolicyLimits.parse(value, "")
        except InvalidField as refused:
            raise ValueError(refused.message) from None
        return value

    def digest_at(self) -> time_of_day:
        """When the morning digest goes, UK time (CASEWORK_DIGEST_TIME, HH:MM)."""
        return time_of_day.fromisoformat(self.digest_time)

    def policy_env(self) -> dict[str, str]:
        """What every region policy must keep to, carried to the policy store with the
        store's own settings (services/policy/service.py reads them back)."""
        return {"CASEWORK_SHORTEST_REMINDER_INTERVAL": self.shortest_reminder_interval,
                "CASEWORK_WEBHOOK_ALLOWED_HOSTS": self.webhook_allowed_hosts}

    @property
    def documents_dir(self) -> Path:
        """Where the file store keeps documents' bytes (0700; each file 0600)."""
        return self.data_dir / "documents"

    def document_store_kind(self) -> str:
        """"files" or "postgres": CASEWORK_DOCUMENT_STORE, else the event store's kind,
        so every API replica of a PostgreSQL deployment serves the same documents."""
        if self.document_store:
            return self.document_store
        return "postgres" if self.store == "postgres" else "files"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "casework.sqlite"

    @property
    def keys_dir(self) -> Path:
        """Beside the data directory, not in it (as the checkpoint signing key is under
        `make run`): a restore into a new data directory on this host finds the keys, and
        a copy of the data directory holds none."""
        return self.data_dir.absolute().parent / "keys"

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.keys_dir / "master.key"

    @property
    def key_store_location(self) -> str:
        """Where the data keys live: their own SQLite file, or tables in the PostgreSQL
        schema that backups leave out (services/eventstore/keys.py)."""
        if self.key_store:
            return self.key_store
        if self.store == "sqlite":
            return f"sqlite:{self.keys_dir / 'keys.sqlite'}"
        return f"postgres:{self.postgres_url}|{self.postgres_schema}"

    def encryption_env(self) -> dict[str, str]:
        return {"CASEWORK_ENCRYPTION": self.encryption,
                "CASEWORK_KEY_STORE": self.key_store_location,
                "CASEWORK_MASTER_KEY_FILE": str(self.master_key_path)}

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's own settings for the chosen store."""
        if self.store == "sqlite":
            private_sqlite_file(self.sqlite_path)  # confidential text: the service's user only
            return {
                "PERSISTENCE_MODULE": "services.eventstore.sqlite_datastore:CaseworkSQLiteFactory",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "10",
                "CASEWORK_GROUP_COMMIT": self.group_commit,
                **self.policy_env(),
                **self.encryption_env(),
            }
        url = urlparse(self.postgres_url)
        env = {
            "PERSISTENCE_MODULE":
                "services.eventstore.postgres_recorder:SchemaLockedPostgresFactory",
            "APPLICATION_RECORDER_TOPIC":
                "services.eventstore.postgres_recorder:PolledPostgresApplicationRecorder",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "casework",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            # a save waits at most this long for the events table's lock, then is retried
            # (the library's default, 0, waits for ever behind a session that never ends)
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.postgres_max_overflow),
            "CASEWORK_GROUP_COMMIT": self.group_commit,
            **self.policy_env(),
            **self.encryption_env(),
        }
        if self.postgres_schema:
            env["POSTGRES_SCHEMA"] = self.postgres_schema
        return env
