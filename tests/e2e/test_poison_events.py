"""Poison in one case's history, through the real API: contained to that case.

Each kind of poison (tests/integration/test_poison_streams.py) is left in one event
row; a fresh API process (one that never cached the case) then answers everyone's
case list, My work and the regional picture; the case answers those who may know of
it with a problem naming the version and why, others with 404; verification names
the event; nothing answers 5xx, and the same keep-alive connection goes on serving.
"""

import httpx
import pytest

from api.main import create_app
from tests.e2e.conftest import USERS, bearer, register_authorities, serve
from tests.e2e.test_ladder import signed_in
from tests.helpers import OPEN_CASE
from tests.integration.test_poison_streams import (
    POISONED_VERSION,
    POISONS,
    poison,
    poisonable_case,
)

CASE_READS = ("", "/history", "/export", "/export?format=csv", "/stage", "/as-of?version=3")


def _unreadable(response: httpx.Response, version: int = POISONED_VERSION) -> None:
    assert response.status_code == 409, (response.request.url, response.text)
    problem = response.json()
    assert problem["rule"] == "case_history_unreadable"
    assert problem["version"] == version and problem["reason"]
    assert f"cannot be read from version {version}" in problem["detail"]


@pytest.mark.parametrize("kind", POISONS)
async def test_one_poisoned_event_is_contained_to_its_case(kind, settings, cases, tokens,
                                                           api_settings, identity):
    register_authorities(settings)
    healthy, broken = poisonable_case(cases), poisonable_case(cases)
    poison(settings, broken, kind)
    server, thread, url = serve(create_app(api_settings))
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            await _everyone_still_lists_cases(http, tokens, healthy, broken)
            cora, otto = bearer(tokens["coordinator"]), bearer(tokens["other coordinator"])
            for path in CASE_READS:
                _unreadable(await http.get(f"/cases/{broken}{path}", headers=cora))
                # the same connection goes on serving, a healthy case above all
                assert (await http.get(f"/cases/{healthy}", headers=cora)).status_code == 200
                hidden = await http.get(f"/cases/{broken}{path}", headers=otto)
                assert hidden.status_code == 404, (path, hidden.text)
            before = await http.get(f"/cases/{broken}/as-of", params={"version": 1},
                                    headers=cora)
            assert before.status_code == 200  # what was known before the poison still is
            verification = (await http.get(f"/cases/{broken}/verification",
                                           headers=cora)).json()
            assert verification["ok"] is False
            assert verification["first_broken_version"] == POISONED_VERSION
            assert "cannot be read" in verification["problem"]
            command = await http.post(f"/cases/{broken}/intelligence", headers={
                **cora, "If-Match": '"4"'}, json={"content": "x", "source": "y",
                                                 "confidentiality": "normal"})
            _unreadable(command)
        await _pages_still_answer(url, tokens["coordinator"], broken)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _everyone_still_lists_cases(http, tokens, healthy, broken) -> None:
    for who in USERS:
        if who == "admin":
            continue  # an admin manages users and lists no cases
        for _ in range(2):
            response = await http.get("/cases", headers=bearer(tokens[who]))
            assert response.status_code == 200, (who, response.text)
    rows = {r["case_id"]: r for r in (await http.get(
        "/cases", headers=bearer(tokens["inspector"]))).json()["cases"]}
    assert rows[str(healthy)]["verification"] is None
    flagged = rows[str(broken)]["verification"]
    assert flagged["ok"] is False and f"at version {POISONED_VERSION}" in flagged["problem"]
    mine = await http.get("/cases", params={"owner": "me"},
                          headers=bearer(tokens["coordinator"]))
    assert mine.status_code == 200


async def _pages_still_answer(url: str, token: str, broken) -> None:
    async with signed_in(url, token) as browser:
        for page in ("/my-work", "/regional-picture"):
            response = await browser.get(page)
            assert response.status_code == 200, (page, response.text[:500])
        response = await browser.get(f"/case/{broken}")
        assert response.status_code == 409
        assert f"cannot be read from version {POISONED_VERSION}" in response.text


async def test_a_case_whose_first_event_is_poisoned_is_known_only_to_whom_it_relates(
        settings, cases, tokens, api_settings, identity):
    """The region and council still come from the first event's stored values."""
    register_authorities(settings)
    broken = poisonable_case(cases)
    poison(settings, broken, "unknown topic", version=1)
    server, thread, url = serve(create_app(api_settings))
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            for who in ("coordinator", "inspector", "authority liaison"):
                _unreadable(await http.get(f"/cases/{broken}", headers=bearer(tokens[who])),
                            version=1)
            for who in ("other coordinator", "other liaison", "adviser", "peer"):
                response = await http.get(f"/cases/{broken}", headers=bearer(tokens[who]))
                assert response.status_code == 404, (who, response.text)
            assert OPEN_CASE["region"] == USERS["coordinator"]["region"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
