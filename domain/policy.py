"""A region's escalation policy: when to remind, how often, and when to escalate.

Each RIEP sets its own timetable. The policy is an aggregate of its own, so a
change is recorded (who changed it, when) and reaches running cases the next
time their workflow re-reads it; deadlines already set keep their due times.
"""

from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.calendar import PolicyDuration
from domain.deadlines import DeadlinePolicy
from domain.errors import InvalidField
from domain.vocabulary import choices

POLICY_NAMESPACE = uuid5(NAMESPACE_URL, "casework:region-policy")


class EscalationMode(StrEnum):
    """Past the missed-deadline limit, move the case up a stage or ask a person first."""

    AUTOMATIC = "automatic"
    PROPOSED = "proposed"


def _days(n: int) -> PolicyDuration:
    return PolicyDuration(working_days=n)


DEADLINE_FIELDS: tuple[str, ...] = ("diagnosis", "plan_agreed", "next_review",
                                    "meeting_summary", "next_joint_meeting", "follow_up_review")


SHORTEST_REMINDER_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class PolicyLimits:
    """What the operator lets any region's policy do (the CASEWORK_SHORTEST_REMINDER_INTERVAL
    and CASEWORK_WEBHOOK_ALLOWED_HOSTS settings).

    A reminder interval of nothing sent 153 reminders in 15 seconds, so every interval
    has a floor: an hour unless the operator lowers it (tests lower it to seconds).
    A webhook may reach a private, link-local or loopback address only on a host
    the operator names here, for a receiver inside their own network.
    """

    shortest_reminder_interval: timedelta = SHORTEST_REMINDER_INTERVAL
    webhook_allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, shortest_reminder_interval: str | None,
              webhook_allowed_hosts: str | None) -> "PolicyLimits":
        """From the settings' text: a duration ('PT1H', or working days; none: an hour)
        and host names separated by commas."""
        floor = (PolicyDuration.parse(shortest_reminder_interval,
                                      field="shortest_reminder_interval").shortest()
                 if shortest_reminder_interval else SHORTEST_REMINDER_INTERVAL)
        if not floor:  # a floor of nothing would let a stored 'PT0S' policy flood again
            raise InvalidField("shortest_reminder_interval must be longer than no time at all",
                               field="shortest_reminder_interval", rule="zero_duration")
        hosts = frozenset(h.strip().lower().strip("[]")
                          for h in (webhook_allowed_hosts or "").split(",") if h.strip())
        return cls(floor, hosts)


@dataclass(frozen=True)
class EscalationPolicy:
    """The reminder and escalation timetable of one region.

    remind_before: how long before a deadline its owner is first reminded.
    remind_every: the interval between reminders once it is missed (and, with a
    proposal waiting, between reminders to decide it).
    missed_reminder_limit: how many missed-deadline reminders come before the
    case is escalated (or an escalation proposed).
    notify_email / webhook_url: where the region's reminders are delivered.
    webhook_secret: the key each webhook request is signed with (HMAC-SHA256).
    """

    remind_before: PolicyDuration = field(default_factory=lambda: _days(2))
    remind_every: PolicyDuration = field(default_factory=lambda: _days(2))
    missed_reminder_limit: int = 3
    escalation: str = EscalationMode.AUTOMATIC.value
    notify_email: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)

    @classmethod
    def from_fields(cls, **values: Any) -> "EscalationPolicy":
        """Build from primitives, refusing bad values by field name; omitted fields default."""
        durations = {
            name: PolicyDuration.parse(values[name], field=name)
            for name in ("remind_before", "remind_every") if name in values
        }
        deadlines = {
            name: PolicyDuration.parse(values[name], field=name)
            for name in DEADLINE_FIELDS if name in values
        }
        return cls(
            **durations,
            missed_reminder_limit=_reminder_limit(values.get("missed_reminder_limit", 3)),
            escalation=_mode(values.get("escalation", EscalationMode.AUTOMATIC.value)),
            notify_email=_email(values.get("notify_email", "")),
            webhook_url=_url(values.get("webhook_url", "")),
            webhook_secret=_secret(values.get("webhook_secret", "")),
            deadlines=DeadlinePolicy(**deadlines),
        )

    def changed(self, changes: dict[str, Any]) -> "EscalationPolicy":
        """This policy with the named fields changed; an unknown or missing name is refused."""
        if not isinstance(changes, dict) or not changes:
            raise InvalidField("name at least one policy field to change, one of "
                               f"{', '.join(POLICY_FIELDS)}", field="policy")
        unknown = sorted(set(changes) - set(POLICY_FIELDS))
        if unknown:
            raise InvalidField(f"{unknown[0]} is not a policy field; the fields are "
                               f"{', '.join(POLICY_FIELDS)}", field=unknown[0])
        return EscalationPolicy.from_fields(**{**self.as_fields(), **changes})

    def check_limits(self, limits: PolicyLimits) -> "EscalationPolicy":
        """Refuse a timetable that would flood people, naming the field: a deadline or an
        interval of no time at all, or reminders closer together than the operator's
        floor. Checked when a policy is set; a policy recorded before the floor is read
        `within` it instead."""
        for name in ("remind_every", *DEADLINE_FIELDS):
            if self.duration(name).is_zero:
                raise InvalidField(f"{name} must be longer than no time at all; got "
                                   f"{_text(self.duration(name))}", field=name,
                                   rule="zero_duration")
        floor = limits.shortest_reminder_interval
        if self.remind_every.shortest() < floor:
            raise InvalidField(
                f"remind_every must be at least {_text(PolicyDuration(elapsed=floor))} "
                f"(the shortest interval between reminders this service allows); got "
                f"{_text(self.remind_every)}", field="remind_every",
                rule="reminder_interval_too_short")
        return self

    def within(self, limits: PolicyLimits) -> "EscalationPolicy":
        """This policy with its reminder interval raised to the floor, so that one
        recorded before the floor existed (even 'PT0S') cannot flood anyone."""
        floor = limits.shortest_reminder_interval
        if self.remind_every.shortest() >= floor:
            return self
        return replace(self, remind_every=PolicyDuration(elapsed=floor))

    def duration(self, name: str) -> PolicyDuration:
        """One of the policy's durations by its field name."""
        owner = self if name in ("remind_before", "remind_every") else self.deadlines
        value = getattr(owner, name)
        assert isinstance(value, PolicyDuration), name
        return value

    def shown(self) -> dict[str, Any]:
        """The fields as people may read them: the webhook key itself is never shown."""
        return shown_fields(self.as_fields())

    def as_fields(self) -> dict[str, Any]:
        """Primitives for storage and display; `from_fields` reads them back."""
        d = self.deadlines
        return {
            "remind_before": _text(self.remind_before),
            "remind_every": _text(self.remind_every),
            "missed_reminder_limit": self.missed_reminder_limit,
            "escalation": self.escalation,
            "notify_email": self.notify_email,
            "webhook_url": self.webhook_url,
            "webhook_secret": self.webhook_secret,
            "diagnosis": _text(d.diagnosis),
            "plan_agreed": _text(d.plan_agreed),
            "next_review": _text(d.next_review),
            "meeting_summary": _text(d.meeting_summary),
            "next_joint_meeting": _text(d.next_joint_meeting),
            "follow_up_review": _text(d.follow_up_review),
        }


POLICY_FIELDS: tuple[str, ...] = (
    "remind_before", "remind_every", "missed_reminder_limit", "escalation", "notify_email",
    "webhook_url", "webhook_secret", "diagnosis", "plan_agreed", "next_review",
    "meeting_summary", "next_joint_meeting", "follow_up_review",
)


def shown_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Stored policy fields with the webhook key replaced by whether one is set."""
    shown = {name: value for name, value in fields.items() if name != "webhook_secret"}
    shown["webhook_secret_set"] = bool(fields.get("webhook_secret"))
    return shown


def _text(duration: PolicyDuration) -> str:
    """The form `PolicyDuration.parse` reads: '10' or 'PT30S'."""
    if duration.working_days is not None:
        return str(duration.working_days)
    assert duration.elapsed is not None
    seconds = duration.elapsed.total_seconds()  # whole, never '3.1536e+07' for a year
    return f"PT{int(seconds) if seconds.is_integer() else seconds}S"


def _reminder_limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 20:
        raise InvalidField(
            f"missed_reminder_limit must be a whole number from 0 to 20; got {value!r}",
            field="missed_reminder_limit",
        )
    return value


def _mode(value: Any) -> str:
    try:
        return EscalationMode(value).value
    except ValueError:
        raise InvalidField(
            f"escalation must be one of {choices(EscalationMode)}; got {value!r}",
            field="escalation",
        ) from None


def _email(value: Any) -> str:
    text = str(value or "").strip()
    if text and ("@" not in text or " " in text):
        raise InvalidField(f"notify_email must be an email address; got {value!r}",
                           field="notify_email")
    return text


def _url(value: Any) -> str:
    text = str(value or "").strip()
    if text and not text.startswith(("http://", "https://")):
        raise InvalidField(f"webhook_url must be an http(s) URL; got {value!r}",
                           field="webhook_url")
    return text


def _secret(value: Any) -> str:
    text = str(value or "")
    if text and (len(text) < 16 or text != text.strip()):
        raise InvalidField("webhook_secret must be at least 16 characters, without spaces "
                           "around it", field="webhook_secret")
    return text


def region_policy_id(region: str) -> UUID:
    """One policy per region, found by its name without an index."""
    return uuid5(POLICY_NAMESPACE, region.strip().lower())


class RegionPolicy(Aggregate):
    """The recorded history of one region's escalation policy."""

    @classmethod
    def create(cls, *, region: str, policy: EscalationPolicy, actor_id: str) -> "RegionPolicy":
        return cls(region=region, fields=policy.as_fields(), actor_id=actor_id)

    @staticmethod
    def create_id(region: str, **_: Any) -> UUID:
        """eventsourcing's hook: the id follows from the region."""
        return region_policy_id(region)

    @event("PolicySet")
    def __init__(self, *, region: str, fields: dict[str, Any], actor_id: str) -> None:
        self.region = region
        self.fields = fields

    @event("PolicyChanged")
    def change(self, *, fields: dict[str, Any], actor_id: str) -> None:
        """Record a new timetable; running cases pick it up at their next step."""
        self.fields = fields

    @property
    def policy(self) -> EscalationPolicy:
        return EscalationPolicy.from_fields(**self.fields)
