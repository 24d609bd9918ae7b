"""Searching cases, on both stores: by part of a council's name, accents and case aside,
by words of a case, ranked and paged, within the person's reach, and never by or with
Chatham House intelligence."""

from uuid import UUID

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.caselist import search
from services.caselist.projection import CaseListView
from services.caselist.worklist import CaseFilter
from tests.helpers import OPEN_CASE
from tests.integration.conftest import bearer

C = dict(actor_id="cora", actor_role="coordinator")


class Opened(str):
    """A case's id as the list gives it, and as commands take it."""

    @property
    def uuid(self):
        return UUID(self)


def opened(cases, **spec) -> Opened:
    return Opened(cases.open_case(**dict(OPEN_CASE, region="East Midlands", **spec), **C))


@pytest.fixture
def view(settings):
    made = CaseListView(settings)
    yield made
    made.close()


def found(view, cases, text: str, chosen: CaseFilter = CaseFilter(), **paging) -> list[str]:
    view.catch_up(cases)
    rows, _ = view.search(search.Query.of(text), chosen, **paging)
    return [r["case_id"] for r in rows]


def test_part_of_a_councils_name_finds_it_whatever_its_case_or_accents(cases, view):
    north = opened(cases, authority="Northshire County Council")
    bow = opened(cases, authority="Bromley-by-Bów Borough Council")
    opened(cases, authority="Eastvale District Council")
    assert found(view, cases, "north") == [north]
    assert found(view, cases, "SHIRE") == [north]  # the middle of a word
    assert found(view, cases, "bow") == [bow]
    assert found(view, cases, "Bromley-by-Bow") == [bow]
    assert found(view, cases, "bromley by bo") == [bow]


def test_words_of_the_summary_diagnosis_and_intelligence_are_found(cases, view):
    leaders = opened(cases, summary="Leadership instability after the chief executive left")
    money = opened(cases, summary="Budget gap")
    cases.add_intelligence(money.uuid, content="Section 114 notice being considered",
                           source="finance network", confidentiality="normal", **C)
    cases.record_diagnosis(leaders.uuid, summary="Governance weak", problem_natures=["capability"],
                           evidence=["peer report"], root_causes=["Turnover"], **C)
    assert found(view, cases, "instability") == [leaders]
    assert found(view, cases, "section 114") == [money]
    assert found(view, cases, "governance") == [leaders]
    assert found(view, cases, "chief exec") == [leaders]  # the last word a prefix


def test_chatham_house_intelligence_never_matches_nor_shows(cases, view):
    case_id = opened(cases, summary="Budget gap")
    cases.add_intelligence(case_id.uuid, content="Whistleblower says monitoring officer resigned",
                           source="a senior officer", confidentiality="Chatham House", **C)
    assert found(view, cases, "whistleblower") == []
    view.catch_up(cases)
    rows, _ = view.search(search.Query.of("budget"), CaseFilter())
    assert rows and "Whistleblower" not in rows[0]["body"]
    assert "Whistleblower" not in str(search.result(rows[0], search.Query.of("budget")))


def test_results_are_ranked_and_paged(cases, view):
    in_name = opened(cases, authority="Harbourside Council", summary="Budget gap")
    in_words = opened(cases, authority="Eastvale Council", summary="Harbourside depot sold")
    assert found(view, cases, "harbourside") == [in_name, in_words]
    ids = [opened(cases, summary=f"Housing backlog {n}") for n in range(5)]
    first = found(view, cases, "housing", limit=2)
    second = found(view, cases, "housing", offset=2, limit=2)
    third = found(view, cases, "housing", offset=4, limit=2)
    assert sorted(first + second + third) == sorted(ids) and len(set(first + second)) == 4
    _, total = view.search(search.Query.of("housing"), CaseFilter(), limit=2)
    assert total == 5


def test_a_snippet_marks_the_matched_words_as_written(cases, view):
    opened(cases, summary="Children's services judged inadequate by Ofsted")
    view.catch_up(cases)
    rows, _ = view.search(search.Query.of("ofst"), CaseFilter())
    parts = search.result(rows[0], search.Query.of("ofst"))["snippet"]
    assert [p["text"] for p in parts if p["matched"]] == ["Ofst"]
    assert "".join(p["text"] for p in parts) == "Children's services judged inadequate by Ofsted"


def test_the_search_rebuilds_with_the_list(cases, view):
    case_id = opened(cases, summary="Planning backlog")
    view.rebuild(cases)
    assert found(view, cases, "planning") == [case_id]


def test_the_api_finds_only_the_cases_a_liaison_may_know_of(cases, identity, api):
    mine = opened(cases, authority="Northshire County Council")
    opened(cases, authority="Northfield Borough Council")
    identity.register_user(username="liz", role="authority liaison",
                           authority="Northshire County Council")
    answer = api.get("/cases", params={"q": "north"},
                     headers=bearer(identity.issue_token("liz")))
    assert answer.status_code == 200
    assert [c["case_id"] for c in answer.json()["cases"]] == [mine]
    assert answer.json()["total"] == 1
    everyone = api.get("/cases", params={"q": "north"}).json()
    assert everyone["total"] == 2
    assert {"text": "North", "matched": True} in everyone["cases"][0]["authority_marked"]


def test_a_search_too_long_is_a_problem_naming_q(api):
    answer = api.get("/cases", params={"q": "x" * 10_000})
    assert answer.status_code == 422 and "q" in answer.text


@hypothesis_settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300) | st.sampled_from(
    ['"', 'NEAR(a b)', '*', '-north', 'a OR b', "'", '\x00', 'north"*', ':*', '& | !']))
def test_any_text_is_answered_never_an_error(cases, api, text):
    answer = api.get("/cases", params={"q": text})
    assert answer.status_code in (200, 422), answer.text
    if len(text) > search.MAX_QUERY:
        assert answer.status_code == 422


def test_a_reference_is_matched_exactly_and_first(cases, view):
    """Cases get references in another change (a `reference` key of the case view, which
    the index reads when present); here one is set on the index row itself."""
    other = opened(cases, summary="Budget gap, see NW 2026 0042 in the minutes")
    numbered = opened(cases, summary="Budget gap")
    view.catch_up(cases)
    with view._transaction() as db:
        db.execute("UPDATE case_search SET reference = ? WHERE case_id = ?",
                   ("NW-2026-0042", numbered))
    assert found(view, cases, "nw-2026-0042") == [numbered, other]
    rows, _ = view.search(search.Query.of("NW-2026-0042"), CaseFilter())
    assert rows[0]["reference"] == "NW-2026-0042"
    assert found(view, cases, "NW-2026-0043") == []


def test_the_api_finds_only_the_cases_an_adviser_advises_and_counts_them(cases, identity, api):
    advised = opened(cases, summary="Budget gap")
    opened(cases, summary="Budget gap")
    opened(cases, summary="Budget gap")
    cases.record_diagnosis(advised.uuid, summary="Money", problem_natures=["capability"],
                           evidence=["accounts"], root_causes=["Overspend"], **C)
    cases.draft_plan(advised.uuid, summary="Balance the budget", adviser_id="ada",
                     actions=[dict(description="Savings plan", owner="Section 151 officer",
                                   provider="CIPFA", cost=0, due="2027-03-31",
                                   measure="Savings agreed")],
                     actor_id="ada", actor_role="adviser")
    identity.register_user(username="ada", role="adviser")
    answer = api.get("/cases", params={"q": "budget"},
                     headers=bearer(identity.issue_token("ada")))
    assert answer.status_code == 200
    assert [c["case_id"] for c in answer.json()["cases"]] == [advised]
    assert answer.json()["total"] == 1
    assert api.get("/cases", params={"q": "budget"}).json()["total"] == 3
