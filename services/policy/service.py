"""The per-region policy store: each RIEP's reminder, escalation and deadline timetable.

Policies live in the same event store as the cases, so a change is recorded
with who made it, and every worker reads the current one at a case's next step.
"""

from functools import cached_property
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import Environment

from domain.errors import InvalidField
from domain.policy import (
    EscalationPolicy,
    PolicyLimits,
    RegionPolicy,
    region_policy_id,
    shown_fields,
)
from domain.registers import Region
from domain.vocabulary import one_of
from services.eventstore.store import EventStoreApplication
from services.policy.webhook_address import checked_address


class PolicyService(EventStoreApplication):
    """Sets and reads regional policies; a region without one gets the defaults."""

    name = "policies"

    def construct_env(self, name: str, env: Any = None) -> Environment:
        """A region's policy is never snapshotted (it has a handful of events), so reading
        one looks for no snapshot first: one query, not two, for a region that set none
        (read by every command that sets a deadline)."""
        environment = super().construct_env(name, env)
        environment[f"{name.upper()}_IS_SNAPSHOTTING_ENABLED"] = "no"
        return environment

    @classmethod
    def beside(cls, other: EventStoreApplication) -> "PolicyService":
        """The policy store in the same database as another application."""
        return cls(dict(other.env))

    @cached_property
    def limits(self) -> PolicyLimits:
        """The operator's limits (services/platform/settings.py carries them in the store's
        settings; without them, the safe defaults: reminders at most hourly, no internal
        webhooks)."""
        return PolicyLimits.parse(self.env.get("CASEWORK_SHORTEST_REMINDER_INTERVAL"),
                                  self.env.get("CASEWORK_WEBHOOK_ALLOWED_HOSTS"))

    def set_policy(self, region: str, *, actor_id: str, **fields: Any) -> dict[str, Any]:
        """Record a region's policy; omitted fields take the defaults. Bad fields write nothing.

        Every way of setting a policy (the API, the page, the command line) comes
        here, so the limits are checked once: no flooding timetable, and a webhook
        only at an address the service may reach (resolved now)."""
        if not isinstance(region, str) or not region.strip():
            raise InvalidField("region is required and must not be blank", field="region")
        policy = EscalationPolicy.from_fields(**fields).check_limits(self.limits)
        if policy.webhook_url:
            checked_address(policy.webhook_url, self.limits.webhook_allowed_hosts)
        try:
            record: RegionPolicy = self.repository.get(region_policy_id(region))
            record.change(fields=policy.as_fields(), actor_id=actor_id)
        except AggregateNotFoundError:
            record = RegionPolicy.create(region=region.strip(), policy=policy, actor_id=actor_id)
        self.save(record)
        return policy.as_fields()

    def change_policy(self, region: str, *, actor_id: str,
                      **changes: Any) -> EscalationPolicy:
        """Change the named fields of one of the nine regions' policy, keeping the rest.

        The change is an event naming its actor; running cases take it at their next
        step, and deadlines already set keep their dates. Bad fields write nothing.
        """
        name = one_of(region, Region, "region")
        policy = self.policy_for(name).changed(changes)
        self.set_policy(name, actor_id=actor_id, **policy.as_fields())
        return policy

    def history(self, region: str) -> list[dict[str, Any]]:
        """Every recorded setting of the region's policy, oldest first: when, who, what
        changed, and the policy as it then stood (without the webhook key)."""
        events = list(self.events.get(region_policy_id(region)))
        entries: list[dict[str, Any]] = []
        before: dict[str, Any] = {}
        for recorded in events:
            fields = dict(getattr(recorded, "fields", {}))
            entries.append({
                "version": recorded.originator_version,
                "at": getattr(recorded, "timestamp").isoformat(),  # noqa: B009
                "actor_id": getattr(recorded, "actor_id", ""),
                "changed": sorted(k for k in fields if fields.get(k) != before.get(k)),
                "policy": shown_fields(fields),
            })
            before = fields
        return entries

    def policy_for(self, region: str) -> EscalationPolicy:
        """The region's current policy, or the national defaults if it set none."""
        return self.recorded_policy(region) or EscalationPolicy()

    def recorded_policy(self, region: str) -> EscalationPolicy | None:
        """The policy the region set, or None when it set none; one recorded before the
        reminder floor is read with its interval raised to the floor."""
        try:
            record: RegionPolicy = self.repository.get(region_policy_id(region))
        except AggregateNotFoundError:
            return None
        return record.policy.within(self.limits)
