"""Over HTTP, on a service left to its defaults (reminders at most hourly, no internal
webhooks): a flooding timetable or a webhook into the network is a 422 naming the field
and the rule, and nothing is recorded."""

from collections.abc import Iterator

import httpx
import pytest

from api.main import create_app
from tests.e2e.conftest import bearer, register_authorities, serve
from tests.helpers import OPEN_CASE

POLICY = f"/regions/{OPEN_CASE['region']}/policy"


@pytest.fixture
def live_url(api_settings, identity) -> Iterator[str]:
    """The API as `make run` starts it: the operator has lowered no limit."""
    live = api_settings.model_copy(update={"shortest_reminder_interval": "PT1H",
                                           "webhook_allowed_hosts": ""})
    register_authorities(live)
    server, thread, url = serve(create_app(live))  # its own services, on these settings
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_a_flooding_timetable_or_an_internal_webhook_is_refused_naming_the_field(
        live_url, tokens):
    cora = bearer(tokens["coordinator"])
    async with httpx.AsyncClient(base_url=live_url, timeout=10) as http:
        for body, field, rule in [
            ({"remind_every": "PT0S"}, "remind_every", "zero_duration"),
            ({"remind_every": "PT59M"}, "remind_every", "reminder_interval_too_short"),
            ({"diagnosis": "0"}, "diagnosis", "zero_duration"),
            ({"webhook_url": "http://hooks.example.org/casework"}, "webhook_url",
             "webhook_https_only"),
            ({"webhook_url": "https://169.254.169.254/latest/meta-data/"}, "webhook_url",
             "webhook_address_not_public"),
            ({"webhook_url": "https://localhost:8443/hook"}, "webhook_url",
             "webhook_address_not_public"),
        ]:
            refused = await http.put(POLICY, json=body, headers=cora)
            assert refused.status_code == 422, body
            assert (refused.json()["field"], refused.json()["rule"]) == (field, rule), body
        assert (await http.get(f"{POLICY}/history", headers=cora)).json()["changes"] == []
        accepted = await http.put(POLICY, json={"remind_every": "PT1H",
                                                "webhook_url": "https://93.184.216.34/hook"},
                                  headers=cora)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["policy"]["remind_every"] == "PT3600S"
