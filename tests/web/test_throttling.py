"""Wrong tokens are slowed per client address and per account, then refused with 429 and
Retry-After; the right token works again soon after; all of it logged and counted.

Each test sets its own small limits so it stays fast; the defaults are in
services/platform/settings.py and docs/security.md.
"""

import asyncio
import logging
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.main import create_app
from api.throttling import Gate, Throttled
from services.platform.throttle import FailureThrottle, Key, Limits
from tests.e2e.conftest import bearer, serve

FAST = {"throttle_address_failures": 3, "throttle_account_failures": 2,
        "throttle_first_delay": 0.4, "throttle_max_delay": 2.0, "throttle_max_hold": 0.5}


@pytest.fixture
def limits() -> dict[str, float]:
    return FAST


@pytest.fixture
def throttled_site(web_settings, web_services, people, limits) -> Iterator[str]:
    settings = web_settings.model_copy(update=limits)
    server, thread, url = serve(create_app(settings, services=web_services))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def _metric(site: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    found = re.search(rf"^{name}{{{wanted}}} (\S+)$", httpx.get(site + "/metrics").text, re.M)
    return float(found.group(1)) if found else 0.0


def test_wrong_bearer_tokens_are_slowed_then_refused_and_the_right_one_soon_works(
        throttled_site, people, caplog):
    caplog.set_level(logging.INFO, logger="casework.throttle")
    failures_before = _metric(throttled_site, "casework_sign_in_failures_total", way="bearer")
    with httpx.Client(base_url=throttled_site, timeout=30) as client:
        statuses = [client.get("/cases", headers=bearer(f"cw_guess-{n}")).status_code
                    for n in range(4)]
        assert statuses == [401] * 4  # 3 free, the 4th sets a 0.4 s wait
        began = time.monotonic()
        held = client.get("/cases", headers=bearer("cw_guess-4"))
        assert held.status_code == 401 and time.monotonic() - began >= 0.3  # held, not refused
        refused = client.get("/cases", headers=bearer("cw_guess-5"))  # 0.8 s > 0.5 s hold
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["rule"] == "too_many_failed_sign_ins"
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= FAST["throttle_max_delay"]
        # even the right token is refused while this address waits: a guess learns nothing
        assert client.get("/cases", headers=bearer(people["coordinator"])).status_code == 429
        time.sleep(wait)
        assert client.get("/cases", headers=bearer(people["coordinator"])).status_code == 200
    failures_after = _metric(throttled_site, "casework_sign_in_failures_total", way="bearer")
    assert failures_after - failures_before == 5  # the refusals were never checked
    assert _metric(throttled_site, "casework_sign_ins_throttled_total", way="bearer",
                   outcome="refused") >= 2
    logged = [r for r in caplog.records if r.name == "casework.throttle"]
    assert sum("failed sign-in" in r.getMessage() for r in logged) == 5
    assert any("refused" in r.getMessage() for r in logged)
    assert all("127.0.0.1" in r.getMessage() for r in logged)
    assert not any("cw_guess" in r.getMessage() for r in logged), "a token reached the log"


# A first delay longer than the burst lasts, so what gets through does not depend on
# how the machine spreads forty connections over time.
@pytest.mark.parametrize("limits", [dict(FAST, throttle_first_delay=20.0,
                                         throttle_max_delay=40.0)])
def test_a_burst_of_simultaneous_guesses_is_throttled_and_none_is_held(throttled_site):
    def guess(n: int) -> tuple[int, float]:
        began = time.monotonic()
        answer = httpx.get(throttled_site + "/cases", headers=bearer(f"cw_burst-{n}"),
                           timeout=10)
        return answer.status_code, time.monotonic() - began

    # threads, not asyncio.run: the browser tests' Playwright holds this thread's loop
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(guess, range(40)))
    statuses = [status for status, _ in answers]
    assert set(statuses) <= {401, 429}
    # counted as they are admitted: the free three and the fourth, whose failure set
    # the wait; every other is refused at once rather than held behind it
    assert statuses.count(401) == 4, statuses
    # none was held behind the wait (20 s): each was answered or refused at once
    assert max(took for _, took in answers) < 19, sorted(took for _, took in answers)


def test_a_held_attempt_claims_its_turn_so_a_burst_is_not_held_all_together(web_settings):
    gate = Gate(web_settings.model_copy(update=FAST))
    here = [Key("address", "192.0.2.7")]

    async def attempt() -> str:
        try:
            await gate.admit(here, "bearer", count=True)
            return "checked"
        except Throttled:
            return "refused"

    async def burst() -> list[str]:
        return await asyncio.gather(*(attempt() for _ in range(40)))

    # its own thread and loop: the browser tests' Playwright holds this thread's loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        outcomes = pool.submit(asyncio.run, burst()).result()
    # three free, the fourth sets a 0.4 s wait, the fifth is held for it and pushes the
    # next turn past the 0.5 s hold: the other 35 are refused, not held all together
    assert outcomes.count("checked") == 5 and outcomes.count("refused") == 35


def test_the_sign_in_page_answers_429_as_a_page_with_retry_after(throttled_site, people):
    with httpx.Client(base_url=throttled_site, timeout=30) as client:
        def attempt(token: str) -> httpx.Response:
            form = client.get("/sign-in").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            return client.post("/sign-in", data={"csrf_token": csrf, "token": token})

        answers = [attempt(f"cw_wrong-{n}") for n in range(8)]
        statuses = [a.status_code for a in answers]
        assert statuses[:4] == [401] * 4 and statuses[-1] == 429, statuses
        page = answers[-1]
        assert page.headers["content-type"].startswith("text/html")
        assert int(page.headers["retry-after"]) >= 1
        assert "Too many wrong tokens" in page.text
        time.sleep(int(page.headers["retry-after"]))
        assert attempt(people["coordinator"]).status_code == 303  # signed in


def test_an_accounts_failures_count_from_any_address_and_its_success_forgives_them():
    throttle = FailureThrottle(Limits(address_failures=100, account_failures=2,
                                      first_delay=1, max_delay=8))
    dana = Key("account", "dana@northwest.example")
    for n, address in enumerate(("192.0.2.1", "192.0.2.2", "192.0.2.3")):
        throttle.begin([Key("address", address), dana], now=n)
    assert throttle.wait([Key("address", "192.0.2.4"), dana], now=2) == 1  # 3rd failure: 1 s
    throttle.begin([Key("address", "192.0.2.4"), dana], now=3)
    assert throttle.wait([dana], now=3) == 2  # doubling
    throttle.succeeded([dana])
    assert throttle.wait([dana], now=3) == 0


def test_the_wait_never_exceeds_the_maximum_and_quiet_keys_are_forgotten():
    throttle = FailureThrottle(Limits(address_failures=0, first_delay=1, max_delay=5,
                                      forget_after=60, max_tracked=3))
    here = Key("address", "192.0.2.9")
    for _ in range(50):
        throttle.begin([here], now=100)
    assert throttle.wait([here], now=100) == 5
    for n in range(5):  # more keys than may be tracked: the oldest go
        throttle.begin([Key("address", f"198.51.100.{n}")], now=101)
    assert throttle.failures(here) == 0
    throttle.begin([here], now=200)
    throttle.begin([Key("address", "203.0.113.1")], now=300)  # `here` has been quiet 100 s
    assert throttle.failures(here) == 0
