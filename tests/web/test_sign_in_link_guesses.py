"""Guessed sign-in links, over real HTTP: one answer for every link that cannot be used,
and slowed then refused (429, Retry-After) like wrong tokens."""

import re
from collections.abc import Iterator

import httpx
import pytest

from api.main import create_app
from tests.e2e.conftest import serve

FAST = {"throttle_address_failures": 3, "throttle_account_failures": 2,
        "throttle_first_delay": 0.4, "throttle_max_delay": 2.0, "throttle_max_hold": 0.5}


@pytest.fixture
def throttled_site(web_settings, web_services) -> Iterator[str]:
    server, thread, url = serve(create_app(web_settings.model_copy(update=FAST),
                                           services=web_services))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def _press_sign_in(client: httpx.Client, link: str) -> httpx.Response:
    """Open the link's page (it spends nothing) and press its Sign in button."""
    page = client.get(link)
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(link, data={"csrf_token": csrf})


def test_every_unusable_link_gets_the_same_answer_then_guessing_is_throttled(
        throttled_site, web_services):
    web_services.identity.register_user(username="lena", role="adviser",
                                        email="lena@example.org")
    spent = web_services.sign_in_links.make("lena", sent_by="cora")
    with httpx.Client(base_url=throttled_site, timeout=30) as client:
        assert _press_sign_in(client, f"/sign-in/link/{spent}").status_code == 303
    with httpx.Client(base_url=throttled_site, timeout=30) as client:
        answers = [_press_sign_in(client, f"/sign-in/link/{link}")
                   for link in (spent, spent[:-1], "x" * 43)]
        assert {a.status_code for a in answers} == {403}
        assert len({re.sub(r'value="[^"]+"|/sign-in/link/\S+"|nonce-\S+|nonce="[^"]+"', "",
                           a.text) for a in answers}) == 1  # nothing tells them apart
        assert "This sign-in link cannot be used. Ask for a new one." in answers[0].text
        statuses = [_press_sign_in(client, f"/sign-in/link/guess-{n}").status_code
                    for n in range(4)]
        assert statuses[-1] == 429
        refused = _press_sign_in(client, "/sign-in/link/guess-9")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
