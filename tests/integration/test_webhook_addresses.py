"""Webhook addresses resolved for real (literal IPs and `localhost`, no internet DNS), when a
policy is set and again at delivery: a delivery to an address now forbidden is not made,
and is recorded as refused at its first attempt, not retried."""

import logging
from collections.abc import Iterator

import pytest

from domain.errors import InvalidField
from domain.webhook_address import HTTPS_ONLY, NOT_PUBLIC
from services.cases.workflow_gateway import WorkflowGateway
from services.platform.settings import Settings
from services.policy.service import PolicyService
from services.policy.webhook_address import checked_address, resolve
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, REGION, fast_policy

NOBODY_ALLOWED: frozenset[str] = frozenset()


@pytest.mark.parametrize("url", [
    "https://localhost/hook", "https://127.0.0.1/hook", "https://10.0.0.5/hook",
    "https://169.254.169.254/latest/meta-data/", "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://2130706433/hook",  # 127.0.0.1 in decimal
    "https://192.168.0.1:8443/hook"])
def test_a_host_resolving_inside_the_network_is_refused(url):
    with pytest.raises(InvalidField) as refused:
        checked_address(url, NOBODY_ALLOWED)
    assert (refused.value.field, refused.value.rule) == ("webhook_url", NOT_PUBLIC)


def test_localhost_resolves_to_loopback_and_an_allowed_host_may_use_it():
    assert resolve("localhost", 443) and all(a in ("127.0.0.1", "::1")
                                             for a in resolve("localhost", 443))
    assert checked_address("http://localhost:8080/hook", frozenset({"localhost"})).port == 8080
    with pytest.raises(InvalidField) as refused:  # allowing 127.0.0.1 is not allowing a name
        checked_address("https://localhost/hook", frozenset({"127.0.0.1"}))
    assert refused.value.rule == NOT_PUBLIC


def test_a_public_address_is_accepted_and_plain_http_to_it_is_not():
    assert checked_address("https://93.184.216.34/hook", NOBODY_ALLOWED).host == "93.184.216.34"
    with pytest.raises(InvalidField) as refused:
        checked_address("http://93.184.216.34/hook", NOBODY_ALLOWED)
    assert refused.value.rule == HTTPS_ONLY


def test_setting_a_forbidden_webhook_writes_nothing(settings: Settings):
    live = PolicyService({**settings.eventsourcing_env(), "CASEWORK_WEBHOOK_ALLOWED_HOSTS": ""})
    try:
        with pytest.raises(InvalidField) as refused:
            live.set_policy(REGION, actor_id="ada", webhook_url="https://127.0.0.1:9/hook")
        assert refused.value.rule == NOT_PUBLIC
        assert live.history(REGION) == []
    finally:
        live.close()


@pytest.fixture
def policies(settings: Settings) -> Iterator[PolicyService]:
    """The worker's policy store: the operator has since taken loopback off the allowed
    hosts (as when a host's DNS moves inside the network after the policy was set)."""
    service = PolicyService({**settings.eventsourcing_env(), "CASEWORK_WEBHOOK_ALLOWED_HOSTS": ""})
    yield service
    service.close()


async def test_a_delivery_to_an_address_now_forbidden_is_not_made_and_is_recorded_refused(
    settings, cases, mailbox, receiver, escalation_worker, client, task_queue, caplog
):
    caplog.set_level(logging.INFO, logger="casework.notices")
    then = PolicyService(settings.eventsourcing_env())  # when loopback was allowed
    try:
        fast_policy(then, receiver, remind_before="PT0S", missed_reminder_limit=1,
                    remind_every="PT1H")
    finally:
        then.close()
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    [failed] = await eventually(lambda: [e["data"] for e in cases.history(case_id)
                                         if e["type"] == "NoticeFailed"], timeout=30)
    assert (failed["channel"], failed["address"], failed["attempts"]) == (
        "webhook", receiver.url, 1)  # three attempts allowed: refused at the first
    assert "refused" in failed["reason"] and "127.0.0.1" in failed["reason"]
    assert receiver.posts == [] and receiver.unsigned == 0  # no request was made at all
    logged = [r.getMessage() for r in caplog.records if "refused, not retried" in r.getMessage()]
    assert len(logged) == 1 and receiver.url in logged[0]
    await eventually(lambda: mailbox[0].messages)  # the email went regardless
