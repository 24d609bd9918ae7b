"""Documents over HTTP, on both stores: attached by streaming upload, listed and
downloaded by those who may read them, and every bad upload refused with nothing kept."""

import hashlib
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import psycopg
import pytest

from services.bootstrap import Services
from services.cases.service import CaseService
from services.documents.blobs import FileBlobStore
from tests.document_files import PDF, docx, png, png_that_is_html
from tests.e2e.conftest import bearer
from tests.e2e.document_uploads import (
    BOUNDARY,
    CONTENT_TYPE,
    FIELDS,
    body,
    form,
    part,
    send_until_answered,
    zeros,
)
from tests.helpers import OPEN_CASE
from tests.integration.test_case_lifecycle import C, plan_agreed
from tests.support_registers import seed_registers

CORA = dict(actor_id="cora", actor_role="coordinator")


@pytest.fixture
def client(api_without_workflows: str) -> Iterator[httpx.Client]:
    """A client of the API on the test's store (Temporal's `client` is not needed here)."""
    with httpx.Client(base_url=api_without_workflows, timeout=30) as client:
        yield client


@pytest.fixture
def case_id(cases: CaseService):
    return cases.open_case(**OPEN_CASE, **CORA)


def attach(client: httpx.Client, cases: CaseService, case_id, token: str, content: bytes,
           **headers: str) -> httpx.Response:
    version = cases.get_case(case_id)["version"]
    return client.post(f"/cases/{case_id}/documents", content=content, headers={
        **bearer(token), "Content-Type": CONTENT_TYPE, "If-Match": f'"{version}"', **headers})


def kept_files(services: Services) -> list[str]:
    """Every file the blob store keeps, and anything left in its incoming folder."""
    store = services.documents
    return [*(sha256 for _, sha256 in store.held()), *(p.name for p in store.incoming.iterdir())]


def test_a_document_is_attached_listed_and_downloaded_with_safe_headers(
        client, cases, case_id, tokens, services):
    attached = attach(client, cases, case_id, tokens["coordinator"],
                      form(PDF, "Ofsted letter – March.pdf"))
    assert attached.status_code == 201, attached.text
    document = attached.json()
    assert document["document_id"] == "document-1"
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (document["media_type"], document["size"]) == ("application/pdf", len(PDF))
    assert attached.headers["ETag"] == f'"{cases.get_case(case_id)["version"]}"'
    assert attached.headers["Location"] == f"/cases/{case_id}/documents/document-1"

    listed = client.get(f"/cases/{case_id}/documents", headers=bearer(tokens["inspector"]))
    assert [d["title"] for d in listed.json()["documents"]] == [FIELDS["title"]]

    download = client.get(attached.headers["Location"], headers=bearer(tokens["inspector"]))
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Ofsted letter – March.pdf')}" in \
        download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox"
    assert kept_files(services) == [document["sha256"]]


BAD_UPLOADS = [
    (form(b"", "notes.txt"), 422, "file_empty"),
    (form(b"", "report.pdf"), 422, "file_empty"),
    (form(docx(zeros=40_000_000), "plan.docx"), 422, "archive_refused"),
    (form(png_that_is_html(), "chart.png"), 415, "markup_in_file"),
    (form(b"<!doctype html><script>alert(1)</script>", "letter.pdf"), 415, "markup_in_file"),
    (form(b"MZ\x90\x00 a program", "minutes.pdf"), 415, "type_not_accepted"),
    (form(PDF, "../../etc/passwd"), 422, "filename_is_a_path"),
    (form(PDF, "C:\\Users\\cora\\letter.pdf"), 422, "filename_is_a_path"),
    (form(PDF, b"letter\x00.pdf"), 422, "no_control_characters"),
    (form(PDF, b"letter\x1b[31m.pdf"), 422, "no_control_characters"),
    (body(*(part(k, v) for k, v in FIELDS.items())), 422, "required"),
    (body(part("file", PDF, "a.pdf"), part("file", png(), "b.png")), 422, "one_file_only"),
    (form(PDF)[:-60], 422, "body_incomplete"),
    (form(PDF, title="x" * 201), 422, "invalid_field"),
]


@pytest.mark.parametrize("content, status, rule", BAD_UPLOADS,
                         ids=["empty", "empty-pdf", "zip-bomb", "png-html", "html", "exe",
                              "path", "windows-path", "nul", "control", "no-file",
                              "two-files", "cut-short", "long-title"])
def test_a_bad_upload_is_refused_naming_its_rule_and_nothing_is_kept(
        client, cases, case_id, tokens, services, content, status, rule):
    before = cases.get_case(case_id)["version"]
    refused = attach(client, cases, case_id, tokens["coordinator"], content)
    assert (refused.status_code, refused.json()["rule"]) == (status, rule), refused.text
    assert refused.json()["field"]
    assert cases.get_case(case_id)["version"] == before
    assert cases.get_case(case_id)["documents"] == []
    assert kept_files(services) == []


def _change_a_stored_byte(services: Services, case_id, sha256: str) -> None:
    store = services.documents
    if isinstance(store, FileBlobStore):
        path = store.folder / str(case_id) / sha256
        data = bytearray(path.read_bytes())
        data[10] ^= 0x01
        path.write_bytes(bytes(data))
        return
    with psycopg.connect(store.url, options=store.options, autocommit=True) as conn:
        # one bit flipped: the sealed bytes are random, so writing a fixed byte left them
        # unchanged one run in 256
        conn.execute("UPDATE case_document_chunks SET data = "
                     "set_byte(data, 10, get_byte(data, 10) # 1) "
                     "WHERE case_id = %s AND blob = %s AND seq = 0", (str(case_id), sha256))


def test_a_document_whose_stored_bytes_changed_is_refused_not_served(
        client, cases, case_id, tokens, services):
    location = attach(client, cases, case_id, tokens["coordinator"], form(PDF)).headers["Location"]
    _change_a_stored_byte(services, case_id, hashlib.sha256(PDF).hexdigest())

    refused = client.get(location, headers=bearer(tokens["inspector"]))
    assert (refused.status_code, refused.json()["rule"]) == (409, "document_tampered")
    assert b"%PDF" not in refused.content
    assert "casework_documents_tampered_total" in client.get("/metrics").text


def test_a_chatham_house_document_is_not_found_by_a_liaison_guessing_its_address(
        client, cases, case_id, tokens):
    location = attach(client, cases, case_id, tokens["coordinator"],
                      form(PDF, confidentiality="Chatham House")).headers["Location"]
    assert location.endswith("/documents/document-1")

    guessed = client.get(location, headers=bearer(tokens["authority liaison"]))
    assert guessed.status_code == 404
    assert b"%PDF" not in guessed.content
    [listed] = client.get(f"/cases/{case_id}/documents",
                          headers=bearer(tokens["authority liaison"])).json()["documents"]
    assert listed["title"] == "withheld (Chatham House)" and "sha256" not in listed
    assert client.get(location, headers=bearer(tokens["coordinator"])).content == PDF


def test_a_retry_with_the_same_idempotency_key_records_one_document(
        client, cases, case_id, tokens):
    first = attach(client, cases, case_id, tokens["coordinator"], form(PDF),
                   **{"Idempotency-Key": "letter-1"})
    version = cases.get_case(case_id)["version"]
    again = client.post(f"/cases/{case_id}/documents", content=form(PDF), headers={
        **bearer(tokens["coordinator"]), "Content-Type": CONTENT_TYPE,
        "If-Match": f'"{version - 1}"', "Idempotency-Key": "letter-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["document_id"] == first.json()["document_id"]
    assert len(cases.get_case(case_id)["documents"]) == 1


@pytest.fixture
def two_deployments(cases: CaseService, identity) -> object:
    """A case with an agreed plan and two peers deployed: pete (deployment-1) and olaf
    (deployment-2)."""
    identity.register_user(username="olaf", role="peer")
    case_id = plan_agreed(cases)
    ids = seed_registers(cases.env)
    cases.commission_support(case_id, offer_id=ids["offer"], days=3,
                             problem_natures=["capability"], reason="Best fit", **C)
    for peer_user in ("pete", "olaf"):
        cases.deploy_peer(case_id, peer_id=ids["peer"], days=1, peer_user=peer_user,
                          role="officer peer", reason="Expertise", **C)
    return case_id


def test_a_peer_attaches_to_their_own_visit_only_and_sees_only_its_documents(
        client, cases, two_deployments, tokens, identity, services):
    case_id, pete = two_deployments, tokens["peer"]
    own = attach(client, cases, case_id, pete, form(
        PDF, step="a peer deployment's visit", step_ref="deployment-1", kind="peer findings"))
    assert own.status_code == 201, own.text
    theirs = attach(client, cases, case_id, pete, form(
        png(), "photo.png", step="a peer deployment's visit", step_ref="deployment-2"))
    assert (theirs.status_code, theirs.json()["rule"]) == (403, "role_may_not")
    assert attach(client, cases, case_id, pete, form(png(), "photo.png")).status_code == 403
    assert len(cases.get_case(case_id)["documents"]) == 1
    assert kept_files(services) == [own.json()["sha256"]]  # the refused photo not kept

    olaf = identity.issue_token("olaf")
    assert client.get(own.headers["Location"], headers=bearer(olaf)).status_code == 404
    assert client.get(f"/cases/{case_id}", headers=bearer(olaf)).json()["documents"] == []
    assert client.get(own.headers["Location"], headers=bearer(pete)).content == PDF


LIMIT = 25_000_000


def test_a_2_gb_upload_is_refused_long_before_it_is_read(api_without_workflows, cases,
                                                         case_id, tokens, services):
    api = api_without_workflows
    version = cases.get_case(case_id)["version"]
    headers = {**bearer(tokens["coordinator"]), "Content-Type": CONTENT_TYPE,
               "If-Match": f'"{version}"'}
    head = b"".join(part(k, v) for k, v in FIELDS.items()) + (
        b"--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="huge.pdf"\r\n\r\n%PDF-')
    streamed = send_until_answered(api, f"/cases/{case_id}/documents", headers,
                                   [head, *zeros(2_000_000_000)], chunked=True)
    print(f"413 after {streamed.sent / 1e6:.1f} MB of a 2 GB upload")
    assert streamed.status == 413 and b"file_too_large" in streamed.answer
    assert streamed.sent < LIMIT + 16_000_000  # (what the sockets' buffers held)

    declared = send_until_answered(
        api, f"/cases/{case_id}/documents", {**headers, "Content-Length": "2000000000"},
        [head, *zeros(2_000_000_000)], chunked=False)
    assert declared.status == 413 and declared.sent < 16_000_000  # refused before reading
    assert cases.get_case(case_id)["documents"] == []
    assert kept_files(services) == []


@pytest.mark.parametrize("content_type, content, rule", [
    ("application/json", b'{"title": "letter"}', "multipart_required"),
    ("multipart/form-data", form(PDF), "multipart_required"),  # no boundary
    (f"multipart/form-data; boundary={'b' * 100}", form(PDF), "multipart_invalid"),
    (CONTENT_TYPE, b"--casework-test-boundary\r\nno headers at all\r\n\r\n", "multipart_invalid"),
])
def test_a_body_that_is_not_a_well_formed_form_is_refused(
        client, cases, case_id, tokens, services, content_type, content, rule):
    refused = client.post(f"/cases/{case_id}/documents", content=content, headers={
        **bearer(tokens["coordinator"]), "Content-Type": content_type, "If-Match": '"1"'})
    assert (refused.status_code, refused.json()["rule"]) == (422, rule), refused.text
    assert cases.get_case(case_id)["documents"] == [] and kept_files(services) == []
