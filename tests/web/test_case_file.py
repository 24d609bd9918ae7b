"""The case file: an inspector downloads a case as a PDF holding the council, the timeline
and the head hash the verification answers; a reader without clearance finds the
Chatham House source withheld in it as on the page; the case page prints on A4 without
its navigation and with its whole history."""

import io
import json
import re
import sys

import httpx
import pytest
from pypdf import PdfReader

from api.main import create_app
from services.audit.signing import SigningKey
from tests.e2e.conftest import bearer, serve
from tests.helpers import OPEN_CASE
from tests.web.browser import sign_in
from tests.web.conftest import BOTH_STORES

SOURCE = "Chief executive of a neighbouring council"


def _text(pdf: bytes) -> str:
    """The PDF's text, its lines run together: a sentence may wrap at the page's edge."""
    pages = (p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(" ".join(pages).split())


def _unbroken(text: str) -> str:
    """The text with its line breaks and spaces gone: a hash may wrap across lines."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def case_id(site: str, people: dict[str, str]) -> str:
    """A case with Chatham House intelligence and a risk assessment, made through the API."""
    with httpx.Client(base_url=site, timeout=30) as api:
        opened = api.post("/cases", json=OPEN_CASE, headers=bearer(people["coordinator"]))
        assert opened.status_code == 201, opened.text
        added = api.post(f"/cases/{opened.json()['id']}/intelligence", json={
            "content": "Two senior officers resigned this month", "source": SOURCE,
            "confidentiality": "Chatham House"},
            headers={**bearer(people["coordinator"]), "If-Match": opened.headers["etag"]})
        assert added.status_code == 200, added.text
        return str(opened.json()["id"])


def _reference(site: str, people: dict[str, str], case_id: str) -> str:
    """The case's reference (NW-2026-0042), which names its case file."""
    answer = httpx.get(f"{site}/cases/{case_id}", headers=bearer(people["coordinator"]))
    reference = str(answer.json()["reference"])
    assert reference.startswith("NW-"), reference
    return reference


def _head_hash(site: str, token: str, case_id: str) -> str:
    answer = httpx.get(f"{site}/cases/{case_id}/verification", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is True
    return str(answer.json()["head_hash"])


@BOTH_STORES
def test_an_inspector_downloads_the_case_file_with_the_verified_head_hash(
        browser, site, people, case_id, tmp_path):
    ines = browser.new_context(accept_downloads=True).new_page()
    sign_in(ines, site, people["inspector"])
    ines.goto(f"{site}/case/{case_id}")
    shown = ines.inner_text("#head-hash")
    with ines.expect_download() as downloading:
        ines.get_by_role("link", name="Download the case file (PDF)").click()
    download = downloading.value
    assert download.suggested_filename == f"{_reference(site, people, case_id)}-case-file.pdf"
    saved = tmp_path / "case-file.pdf"
    download.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    head = _head_hash(site, people["inspector"], case_id)
    assert shown == head
    assert head in _unbroken(text)
    assert "Northshire County Council" in text
    assert _reference(site, people, case_id) in text  # quoted on the phone, in an email
    assert "History verified" in text
    assert "raised a concern about Northshire County Council" in text  # the timeline, in words
    assert "added intelligence under the Chatham House rule" in text
    assert SOURCE not in text  # an inspector is not of the confidential group
    exported = httpx.get(f"{site}/cases/{case_id}/export", headers=bearer(people["inspector"]))
    events = [json.loads(line) for line in exported.text.splitlines()]
    assert max((e for e in events if "hash" in e), key=lambda e: e["version"])["hash"] == head


def test_the_case_file_withholds_what_the_page_withholds_and_answers_as_a_download(
        site, people, case_id):
    for who, sees_source in (("coordinator", True), ("inspector", False)):
        with httpx.Client(base_url=site, timeout=60) as client:
            _signed_in(client, people[who])
            page = client.get(f"/case/{case_id}")
            answer = client.get(f"/case/{case_id}/case-file.pdf")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="{_reference(site, people, case_id)}-case-file.pdf"')
        assert (SOURCE in page.text) is sees_source
        if who == "coordinator":  # the page leads with what to do; the file comes after
            assert page.text.index("What you can do") < page.text.index("Download the case file")
        assert (SOURCE in _text(answer.content)) is sees_source, who


def test_only_a_reader_of_the_case_gets_its_file(site, people, case_id):
    for who, status in (("liaison", 200), ("peer", 404)):  # its council's; a peer not on it
        with httpx.Client(base_url=site, timeout=60) as client:
            _signed_in(client, people[who])
            assert client.get(f"/case/{case_id}/case-file.pdf").status_code == status, who
    signed_out = httpx.get(f"{site}/case/{case_id}/case-file.pdf", follow_redirects=False)
    assert signed_out.status_code == 303  # to the sign-in page first


def test_without_the_pdf_renderer_the_download_answers_503_in_words(
        site, people, case_id, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it were not installed
    with httpx.Client(base_url=site, timeout=30) as client:
        _signed_in(client, people["inspector"])
        answer = client.get(f"/case/{case_id}/case-file.pdf")
    assert answer.status_code == 503
    assert "cannot print PDF files" in answer.text
    assert "Traceback" not in answer.text


def test_the_case_file_names_the_checkpoint_that_holds_the_case(
        site, people, case_id, web_settings, web_services, tmp_path):
    key_file = tmp_path / "keys" / "checkpoint.pem"
    SigningKey.create(key_file)
    signing = web_settings.model_copy(update={"checkpoint_key_file": key_file})
    server, thread, url = serve(create_app(signing, services=web_services))
    try:
        written = httpx.post(f"{url}/checkpoints", headers=bearer(people["coordinator"]))
        assert written.status_code in (200, 201), written.text
        with httpx.Client(base_url=url, timeout=60) as client:
            _signed_in(client, people["inspector"])
            text = _text(client.get(f"/case/{case_id}/case-file.pdf").content)
        head = _head_hash(url, people["inspector"], case_id)  # the server that knows the key
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert "Last checkpoint Checkpoint 1, signed " in text
    assert "it holds this case's history up to its event number 2" in text
    assert head in _unbroken(text)


@BOTH_STORES
def test_the_case_page_prints_on_a4_without_navigation_and_with_its_whole_history(
        browser, site, people, case_id):
    page = browser.new_context().new_page()
    sign_in(page, site, people["coordinator"])
    page.goto(f"{site}/case/{case_id}")
    text = _text(page.pdf(format="A4"))
    for screen_only in ("My work", "Regional picture", "Sign out", "Skip to main content",
                        "Download the case file", "What you can do",
                        "Read the case as it stood on a date"):
        assert screen_only not in text, screen_only
    assert "raised a concern about Northshire County Council" in text
    assert "IntelligenceAdded" in text  # the recorded details, opened for print
    assert "History verified" in text
    assert _head_hash(site, people["coordinator"], case_id) in _unbroken(text)


def _signed_in(client: httpx.Client, token: str) -> None:
    form = client.get("/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/sign-in", data={"csrf_token": csrf, "token": token})
    assert answer.status_code == 303, answer.text


def _attached(services, case_id: str, *, title: str, body: bytes, confidentiality: str,
              kind: str, step: tuple[str, str]) -> str:
    """A document attached as the API's door does (the bytes kept, then the command);
    its SHA-256."""
    from uuid import UUID

    blob = services.documents.put(UUID(case_id), [body])
    services.cases.attach_document(
        UUID(case_id), title=title, kind=kind, step=step[0], step_ref=step[1],
        confidentiality=confidentiality, stored={
            "sha256": blob.sha256, "size": blob.size, "media_type": "application/pdf",
            "filename": f"{title}.pdf"}, actor_id="cora", actor_role="coordinator")
    return str(blob.sha256)


def test_the_case_file_lists_the_documents_its_reader_may_see_with_their_fingerprints(
        site, people, case_id, web_services):
    from api.web.document_words import size_words
    from tests.web.test_documents import LETTER, MINUTES

    letter = _attached(web_services, case_id, title="Ofsted inspection letter", body=LETTER,
                       confidentiality="normal", kind="inspection report",
                       step=("the concern's intelligence", ""))
    secret = _attached(web_services, case_id, title="Note from a neighbouring chief executive",
                       body=MINUTES, confidentiality="Chatham House", kind="letter",
                       step=("the case as a whole", ""))
    read = {}
    for who in ("coordinator", "inspector", "liaison"):
        with httpx.Client(base_url=site, timeout=60) as client:
            _signed_in(client, people[who])
            answer = client.get(f"/case/{case_id}/case-file.pdf")
        assert answer.status_code == 200, answer.text
        read[who] = _text(answer.content)
    for who, text in read.items():
        assert "Ofsted inspection letter Inspection report The concern's intelligence PDF, " \
               f"{size_words(len(LETTER))}" in text, who
        assert letter in _unbroken(text), who
    assert "Note from a neighbouring chief executive (Chatham House) Letter The case as a " \
           "whole" in read["coordinator"]
    assert secret in _unbroken(read["coordinator"])
    for who in ("inspector", "liaison"):  # neither is of the confidential group
        assert "neighbouring chief executive" not in read[who], who
        assert secret not in _unbroken(read[who]), who
