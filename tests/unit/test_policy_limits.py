"""A region policy cannot flood people, and its webhook cannot reach inside the network:
the rules themselves, pure domain (resolution is the caller's: addresses are given)."""

from datetime import timedelta

import pytest

from domain.errors import InvalidField
from domain.policy import EscalationPolicy, PolicyLimits
from domain.webhook_address import (
    HTTPS_ONLY,
    NOT_PUBLIC,
    UNRESOLVED,
    check_resolved,
    is_public,
    webhook_address,
)

LIVE = PolicyLimits()  # as a service runs unless its operator lowers the floor
TESTS = PolicyLimits(shortest_reminder_interval=timedelta(seconds=1))


def refusal(limits: PolicyLimits, **fields) -> InvalidField:
    with pytest.raises(InvalidField) as refused:
        EscalationPolicy.from_fields(**fields).check_limits(limits)
    return refused.value


@pytest.mark.parametrize("field", ["remind_every", "diagnosis", "plan_agreed", "next_review",
                                   "meeting_summary", "next_joint_meeting", "follow_up_review"])
@pytest.mark.parametrize("zero", ["PT0S", "0", "P0D", "PT0.0S"])
def test_no_time_at_all_is_refused_naming_the_field_even_where_tests_lower_the_floor(
        field, zero):
    refused = refusal(TESTS, **{field: zero})
    assert (refused.field, refused.rule) == (field, "zero_duration")


def test_reminders_closer_than_the_floor_are_refused_an_hour_by_default():
    refused = refusal(LIVE, remind_every="PT59M59S")
    assert (refused.field, refused.rule) == ("remind_every", "reminder_interval_too_short")
    assert "PT3600S" in refused.message and "PT3599S" in refused.message
    for fine in ("PT1H", "P1D", "1", "2"):
        EscalationPolicy.from_fields(remind_every=fine).check_limits(LIVE)
    EscalationPolicy.from_fields(remind_every="PT1S").check_limits(TESTS)


def test_a_reminder_before_the_deadline_may_come_at_the_deadline_itself():
    """Not a flood: one reminder, at the moment the deadline falls."""
    EscalationPolicy.from_fields(remind_before="PT0S").check_limits(LIVE)


def test_a_policy_recorded_before_the_floor_is_read_with_the_floor():
    flooding = EscalationPolicy.from_fields(remind_every="PT0S")
    assert flooding.within(LIVE).remind_every.shortest() == timedelta(hours=1)
    weekly = EscalationPolicy.from_fields(remind_every="5")
    assert weekly.within(LIVE) == weekly


def test_the_limits_read_from_settings_text():
    limits = PolicyLimits.parse("PT30S", " Hooks.Internal, 127.0.0.1 ,[::1]")
    assert limits.shortest_reminder_interval == timedelta(seconds=30)
    assert limits.webhook_allowed_hosts == {"hooks.internal", "127.0.0.1", "::1"}
    assert PolicyLimits.parse(None, None) == PolicyLimits()
    for bad in ("hourly", "PT0S", "0"):
        with pytest.raises(InvalidField):
            PolicyLimits.parse(bad, "")


@pytest.mark.parametrize("url", ["http://hooks.example.org/x", "ftp://hooks.example.org/x",
                                 "hooks.example.org/x", "https://", "https://x:99999/",
                                 "http://10.0.0.5/x", "file:///etc/passwd"])
def test_a_webhook_must_use_https_plain_http_only_to_this_machine(url):
    with pytest.raises(InvalidField) as refused:
        webhook_address(url)
    assert (refused.value.field, refused.value.rule) == ("webhook_url", HTTPS_ONLY)


def test_plain_http_to_loopback_is_read_with_its_port():
    for url in ("http://localhost:8080/hook", "http://127.0.0.1:9/x", "http://[::1]/x"):
        assert webhook_address(url).scheme == "http"
    assert webhook_address("https://Hooks.Example.org/x").host == "hooks.example.org"
    assert webhook_address("https://hooks.example.org/x").port == 443


@pytest.mark.parametrize("inside", [
    "127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "::1", "fe80::1%eth0", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "224.0.0.1", "192.0.2.1", "not an address"])
def test_an_address_inside_the_network_is_not_public(inside):
    assert not is_public(inside)


def test_a_host_is_refused_when_any_of_its_addresses_is_inside_unless_the_operator_allows_it():
    hook = webhook_address("https://hooks.example.org/x")
    check_resolved(hook, ["93.184.216.34", "2606:2800:220:1::1"], frozenset())
    for resolved, rule in ((["93.184.216.34", "10.0.0.5"], NOT_PUBLIC), ([], UNRESOLVED)):
        with pytest.raises(InvalidField) as refused:
            check_resolved(hook, resolved, frozenset())
        assert (refused.value.field, refused.value.rule) == ("webhook_url", rule)
        assert all(address in refused.value.message for address in resolved[1:])
    check_resolved(hook, ["10.0.0.5"], frozenset({"hooks.example.org"}))
