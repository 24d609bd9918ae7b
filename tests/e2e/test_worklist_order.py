"""A worklist sorted over every matching case, page after page, not within one page."""

from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE


async def _open(http, token: str, days: int) -> str:
    due = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    response = await http.post("/cases", json={**OPEN_CASE, "diagnosis_due": due},
                               headers=bearer(token))
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _all_pages(http, token: str, **params) -> list[dict]:
    rows, cursor = [], None
    while True:
        answer = await http.get("/cases", params={**params, "limit": 2,
                                                  **({"cursor": cursor} if cursor else {})},
                                headers=bearer(token))
        assert answer.status_code == 200, answer.text
        rows += answer.json()["cases"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return rows


async def test_next_deadline_first_orders_the_whole_worklist_across_pages(http, tokens):
    cora = tokens["coordinator"]
    # Opened latest-deadline first, so the order raised is the reverse of the order due.
    opened = [await _open(http, cora, days) for days in (50, 40, 30, 20, 10)]
    by_due = await _all_pages(http, cora, sort="due")
    assert [r["case_id"] for r in by_due] == list(reversed(opened))
    by_raised = await _all_pages(http, cora)
    assert [r["case_id"] for r in by_raised] == opened
    first = await http.get("/cases", params={"sort": "due", "limit": 1}, headers=bearer(cora))
    assert first.json()["cases"][0]["case_id"] == opened[-1]  # the most pressing, on page 1


async def test_a_cursor_from_one_order_is_refused_in_another(http, tokens):
    cora = tokens["coordinator"]
    for days in (30, 20):
        await _open(http, cora, days)
    page = await http.get("/cases", params={"sort": "due", "limit": 1}, headers=bearer(cora))
    cursor = page.json()["next_cursor"]
    refused = await http.get("/cases", params={"sort": "risk", "cursor": cursor},
                             headers=bearer(cora))
    assert refused.status_code == 422
    assert (refused.json()["field"], refused.json()["rule"]) == ("cursor",
                                                                 "cursor_of_another_order")
    unknown = await http.get("/cases", params={"sort": "nonsense"}, headers=bearer(cora))
    assert unknown.status_code == 422 and "sort" in unknown.text
