"""A case whose history lost a row: GET /cases still answers everyone, flagging that case."""

import httpx

from api.main import create_app
from tests.e2e.conftest import USERS, bearer, serve
from tests.integration.test_history_integrity import key, run_sql
from tests.integration.test_poison_streams import three_cases


async def _set_aside_so_far(http: httpx.AsyncClient) -> float:
    metrics = (await http.get("/metrics")).text
    line = next(ln for ln in metrics.splitlines()
                if ln.startswith("casework_case_streams_set_aside_total "))
    return float(line.split()[1])


async def test_the_case_list_answers_every_role_when_one_stream_is_broken(
        http, tokens, cases, settings):
    broken, *others = three_cases(cases)
    alerts_before = await _set_aside_so_far(http)
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version=2",
            (key(broken, settings),))
    for who in USERS:
        if who == "admin":
            continue  # an admin manages users and lists no cases
        for _ in range(2):  # and keeps answering
            response = await http.get("/cases", headers=bearer(tokens[who]))
            assert response.status_code == 200, (who, response.text)
    rows = {r["case_id"]: r for r in (await http.get(
        "/cases", headers=bearer(tokens["inspector"]))).json()["cases"]}
    assert {str(i) for i in others} <= set(rows)
    assert rows[str(broken)]["verification"]["ok"] is False
    assert all(rows[str(i)]["verification"] is None for i in others)
    assert await _set_aside_so_far(http) == alerts_before + 1  # the alert's metric
    verification = (await http.get(f"/cases/{broken}/verification",
                                   headers=bearer(tokens["inspector"]))).json()
    assert verification["ok"] is False and verification["first_broken_version"] == 2


async def test_a_broken_case_still_answers_its_verification_history_and_export(
        api_settings, cases, identity, tokens, settings):
    """In a process that never cached the case: nothing about it answers 500."""
    broken, *_ = three_cases(cases)
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version=2",
            (key(broken, settings),))
    server, thread, url = serve(create_app(api_settings))  # its own services
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            inspector = bearer(tokens["inspector"])
            verification = await http.get(f"/cases/{broken}/verification", headers=inspector)
            assert verification.status_code == 200
            assert verification.json()["first_broken_version"] == 2
            for path in ("", "/history", "/export"):
                response = await http.get(f"/cases/{broken}{path}", headers=inspector)
                assert response.status_code == 200, (path, response.text)
            assert (await http.get(f"/cases/{broken}", headers=inspector)).json()[
                "history_broken"] is True
            as_of = await http.get(f"/cases/{broken}/as-of", params={"version": 3},
                                   headers=inspector)
            command = await http.post(f"/cases/{broken}/diagnosis", json={"summary": "x"},
                                      headers={**bearer(tokens["coordinator"]),
                                               "If-Match": '"3"'})
            for refused in (as_of, command):
                assert refused.status_code == 409, refused.text
                assert refused.json()["rule"] == "case_history_broken"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
