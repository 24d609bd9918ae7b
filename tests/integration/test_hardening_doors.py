"""The new doors of issue 22 as an attacker tries them, over real HTTP on both stores:
a low role's token, a guessed path, text made to look like syntax or markup."""

from tests.integration.conftest import bearer
from tests.integration.test_case_lifecycle import plan_agreed, supported


def test_a_peer_finds_a_case_only_by_what_a_peer_may_read(cases, identity, api, tokens):
    """A peer reads a case's summary, not its intelligence, diagnosis or plan: a search
    neither finds the case by those words nor shows them in a snippet."""
    case_id = plan_agreed(cases)
    supported(cases, case_id)
    identity.register_user(username="peer-7", role="peer")
    peer = bearer(identity.issue_token("peer-7"))
    for hidden in ("leadership gap", "stabilise", "interim director", "turnover"):
        answer = api.get("/cases", params={"q": hidden}, headers=peer)
        assert answer.status_code == 200 and answer.json()["total"] == 0, hidden
    answer = api.get("/cases", params={"q": "northshire"}, headers=peer)
    assert [c["case_id"] for c in answer.json()["cases"]] == [str(case_id)]
    shown = str(answer.json())
    assert "Leadership" not in shown and "Stabilise" not in shown
    assert "inadequate" in shown  # the summary, which a peer reads
    inspector = bearer(tokens["ines"])  # who reads the whole case finds it by them
    assert api.get("/cases", params={"q": "leadership gap"}, headers=inspector
                   ).json()["total"] == 1
