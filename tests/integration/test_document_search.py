"""Documents' titles are words of their case in search, on both stores; a Chatham House
document's title never enters the index, so it neither finds a case nor shows."""

import hashlib

import pytest

from services.caselist import search
from services.caselist.projection import CaseListView
from services.caselist.worklist import CaseFilter
from tests.helpers import OPEN_CASE

C = dict(actor_id="cora", actor_role="coordinator")
CONTENT = b"the file's bytes do not matter to search\n"


@pytest.fixture
def view(settings):
    made = CaseListView(settings)
    yield made
    made.close()


def attached(cases, summary: str, title: str, confidentiality: str = "normal") -> str:
    case_id = cases.open_case(**dict(OPEN_CASE, summary=summary), **C)
    cases.attach_document(
        case_id, title=title, kind="minutes", step="the case as a whole", step_ref="",
        confidentiality=confidentiality,
        stored=dict(sha256=hashlib.sha256(CONTENT).hexdigest(), size=len(CONTENT),
                    media_type="text/plain", filename="minutes.txt"), **C)
    return str(case_id)


def found(view, cases, text: str) -> list[dict]:
    view.catch_up(cases)
    rows, _ = view.search(search.Query.of(text), CaseFilter())
    return rows


def test_a_documents_title_finds_its_case_and_shows_in_the_snippet(cases, view):
    case_id = attached(cases, "Budget gap", "Minutes of the Tuesday scrutiny committee")
    attached(cases, "Planning backlog", "Peer team findings")
    [row] = found(view, cases, "scrutiny committee")
    assert row["case_id"] == case_id
    assert "scrutiny" in str(search.result(row, search.Query.of("scrutiny")))


def test_a_chatham_house_documents_title_never_matches_nor_shows(cases, view):
    attached(cases, "Budget gap", "Whistleblower's account of the monitoring officer",
             confidentiality="Chatham House")
    assert found(view, cases, "whistleblower") == []
    [row] = found(view, cases, "budget")
    assert "Whistleblower" not in row["body"]


def test_document_titles_survive_a_rebuild(cases, view):
    case_id = attached(cases, "Budget gap", "Section 114 notice")
    view.rebuild(cases)
    assert [r["case_id"] for r in found(view, cases, "section 114")] == [case_id]
