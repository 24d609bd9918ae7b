"""Documents in the pages, as caseworkers use them in Chromium: attached beside a step,
listed there, downloaded as the same bytes; withheld under Chatham House from those a
confidential source is withheld from; a file of the wrong type refused in plain words;
and the form worked with the keyboard alone."""

from typing import Any
from uuid import UUID

import pytest

from services.bootstrap import Services
from tests.helpers import OPEN_CASE
from tests.web.browser import accessible, fits, plain_words, sign_in
from tests.web.conftest import BOTH_STORES, register_people

CORA = dict(actor_id="cora", actor_role="coordinator")
NAMED = {"coordinator": dict(username="cora", role="coordinator", region="North West",
                             name="Cora Coordinator"),
         "liaison": dict(username="lia", role="authority liaison", name="Lia Liaison",
                         authority="Northshire County Council")}
MEETING = dict(outcome="strong local plan", reason="A credible plan of the council's own",
               attendees=[{"kind": "council or partnership", "name": "Leader of the council"}])


def a_pdf(text: str) -> bytes:
    """A small, real one-page PDF saying `text` (offsets computed, as a reader checks)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, start)
    return bytes(out)


LETTER = a_pdf("Ofsted: children's services judged inadequate")
MINUTES = a_pdf("Minutes of the joint local meeting")


@pytest.fixture
def named(web_identity) -> dict[str, str]:
    return register_people(web_identity, NAMED)


@pytest.fixture
def case_id(web_cases, named) -> UUID:
    """A concern with a joint local meeting held."""
    opened = web_cases.open_case(**OPEN_CASE, **CORA)
    web_cases.hold_joint_local_meeting(opened, **MEETING, **CORA)
    return opened


def attached(services: Services, case_id: UUID, *, title: str, body: bytes,
             confidentiality: str = "normal",
             step: tuple[str, str] = ("the case as a whole", "")) -> None:
    """A document attached as the API's door does: the bytes kept, then the command."""
    blob = services.documents.put(case_id, [body])
    services.cases.attach_document(
        case_id, title=title, kind="letter", step=step[0], step_ref=step[1],
        confidentiality=confidentiality, stored={
            "sha256": blob.sha256, "size": blob.size, "media_type": "application/pdf",
            "filename": f"{title}.pdf"}, **CORA)


def attach(page: Any, link: str | None, *, title: str, kind: str, name: str, body: bytes,
           mime: str = "application/pdf") -> None:
    if link:
        page.get_by_role("link", name=link).click()
    accessible(page)
    page.set_input_files("#file", files=[{"name": name, "mimeType": mime, "buffer": body}])
    page.fill("#title", title)
    page.get_by_label(kind).check()
    page.get_by_role("button", name="Attach the document").click()
    page.wait_for_load_state()


def section_text(page: Any, selector: str) -> str:
    return page.locator(selector).inner_text()


@BOTH_STORES
def test_a_coordinator_attaches_the_letter_and_the_minutes_beside_their_steps_and_downloads_one(
        browser, site, named, case_id, web_cases):
    page = browser.new_context(accept_downloads=True).new_page()
    sign_in(page, site, named["coordinator"])
    page.goto(f"{site}/case/{case_id}")
    attach(page, "Attach a document to the concern's intelligence",
           title="Ofsted inspection letter", kind="Inspection report",
           name="inspection-letter.pdf", body=LETTER)
    accessible(page)
    assert "Done: the document is attached" in page.inner_text("main")
    intelligence = page.locator("#intelligence ~ ul.app-documents").first.inner_text()
    assert "Ofsted inspection letter" in intelligence
    assert f"Inspection report, PDF, {len(LETTER)} bytes. Attached by Cora Coordinator on " \
           in intelligence
    meeting = page.locator("#meetings + ul li").first
    meeting.get_by_role("link", name="Attach a document").click()
    assert page.locator("#step option:checked").inner_text().startswith(
        "Joint local meeting on ")
    page.go_back()
    attach(page, "Attach a document to the joint local meeting on", title="Minutes, joint local "
           "meeting", kind="Minutes of a meeting", name="minutes.pdf", body=MINUTES)
    assert "Minutes, joint local meeting" in page.locator("#meetings + ul li").first.inner_text()
    assert "Minutes, joint local meeting" not in page.locator("#documents ~ ul.app-documents"
                                                           ).all_inner_texts()
    elsewhere = page.locator("#documents-elsewhere").inner_text()  # where it landed
    assert "Minutes of a meeting, listed under the joint local meeting on " in elsewhere
    assert "Inspection report, listed under the concern's intelligence" in elsewhere
    assert "Minutes, joint local meeting" in elsewhere
    page.locator("#documents-elsewhere").get_by_role("link", name="the concern's "
                                                     "intelligence").click()
    assert page.url.endswith("#intelligence")
    assert not plain_words(page, ["cora", "lia"])
    timeline = page.locator("#history ~ .moj-timeline").inner_text()
    assert "attached \u201cOfsted inspection letter\u201d (inspection report) to the " \
           "concern's intelligence" in timeline
    assert "attached \u201cMinutes, joint local meeting\u201d (minutes) to the joint local " \
           "meeting on " in timeline
    with page.expect_download() as download:
        page.get_by_role("link", name="Ofsted inspection letter").first.click()
    assert download.value.suggested_filename == "inspection-letter.pdf"
    assert open(download.value.path(), "rb").read() == LETTER
    answer = page.request.get(site + page.locator("a", has_text="Ofsted inspection letter")
                              .first.get_attribute("href"))
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-type"] == "application/pdf"
    documents = web_cases.get_case(case_id)["documents"]
    assert [(d["title"], d["step"], d["step_ref"]) for d in documents] == [
        ("Ofsted inspection letter", "the concern's intelligence", ""),
        ("Minutes, joint local meeting", "a joint local meeting", "joint-meeting-1")]


@BOTH_STORES
def test_a_liaison_reads_normal_documents_but_never_a_chatham_house_one(
        browser, site, named, case_id, web_services):
    attached(web_services, case_id, title="The council's improvement plan", body=LETTER)
    attached(web_services, case_id, title="Letter from a neighbouring chief executive",
             body=MINUTES, confidentiality="Chatham House")
    page = browser.new_context().new_page()
    sign_in(page, site, named["liaison"])
    page.goto(f"{site}/case/{case_id}")
    accessible(page)
    shown = section_text(page, "main")
    assert "The council's improvement plan" in shown
    assert "neighbouring chief executive" not in shown
    assert "Chatham House" not in page.locator("#documents ~ ul").first.inner_text()
    assert page.request.get(f"{site}/case/{case_id}/documents/document-1").status == 200
    guessed = page.goto(f"{site}/case/{case_id}/documents/document-2")
    assert guessed.status == 404
    assert "Page not found" in page.inner_text("main")
    cora = browser.new_context().new_page()
    sign_in(cora, site, named["coordinator"])
    cora.goto(f"{site}/case/{case_id}")
    both = cora.locator("#documents ~ ul").first.inner_text()
    assert "neighbouring chief executive" in both and "Chatham House" in both


def test_a_web_page_renamed_as_a_pdf_is_refused_in_plain_words_and_nothing_is_attached(
        browser, site, named, case_id, web_cases):
    page = browser.new_context().new_page()
    sign_in(page, site, named["coordinator"])
    page.goto(f"{site}/case/{case_id}")
    page.get_by_role("link", name="Attach a document", exact=True).first.click()
    attach(page, None, title="Inspection letter", kind="Letter",
           name="letter.pdf", body=b"<!doctype html><html><body><script>alert(1)</script>"
                                    b"</body></html>")
    accessible(page)
    page.screenshot(path="/tmp/documents-attach-error.png", full_page=True)
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "This file is an HTML page. Attach a PDF, Word or ODF document" in summary
    assert page.locator("#file-error").is_visible()
    page.locator(".govuk-error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "file"
    assert web_cases.get_case(case_id)["documents"] == []
    page.set_input_files("#file", files=[{"name": "empty.pdf", "mimeType": "application/pdf",
                                         "buffer": b""}])
    page.fill("#title", "Inspection letter")
    page.get_by_role("button", name="Attach the document").click()
    assert "The selected file is empty" in page.locator(".govuk-error-summary").inner_text()
    assert web_cases.get_case(case_id)["documents"] == []


def choose_with_the_keyboard(page: Any) -> Any:
    """The file chooser, opened by Enter on the focused file field (under load Chromium
    may let a first press pass before the page is ready for it; Space is asked next)."""
    from playwright.sync_api import TimeoutError as Late

    for key in ("Enter", "Space", "Enter"):
        try:
            with page.expect_file_chooser(timeout=5000) as chooser:
                page.keyboard.press(key)
            return chooser.value
        except Late:
            continue
    raise AssertionError("the file field did not open a file chooser from the keyboard")


def test_a_document_is_attached_with_the_keyboard_alone(browser, site, named, case_id,
                                                        web_cases):
    page = browser.new_context().new_page()
    sign_in(page, site, named["coordinator"])
    page.goto(f"{site}/case/{case_id}/attach-document")
    page.keyboard.press("Tab")  # the skip link
    while page.evaluate("document.activeElement.id") != "title":
        page.keyboard.press("Tab")
    page.keyboard.type("Letter to the chief executive")
    page.keyboard.press("Tab")  # the first kind
    page.keyboard.press("ArrowDown")  # minutes
    page.keyboard.press("ArrowDown")  # peer findings
    page.keyboard.press("ArrowDown")  # letter
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "step"
    page.keyboard.press("Tab")  # who may see it: everyone who works on the case
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "file"
    choose_with_the_keyboard(page).set_files(files=[{"name": "letter.pdf", "mimeType": "application/pdf",
                                    "buffer": LETTER}])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Attach the document"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/case/{case_id}?done=attach_document#documents")
    [document] = web_cases.get_case(case_id)["documents"]
    assert (document["title"], document["kind"], document["step"]) == (
        "Letter to the chief executive", "letter", "the case as a whole")
    assert document["confidentiality"] == "normal"


def test_the_case_page_with_documents_and_the_form_fit_a_phone(
        browser, site, named, case_id, web_services):
    """Screenshots for a person to look at (/tmp), and the reflow check at 320 px."""
    from tests.integration.test_case_lifecycle import plan_agreed

    attached(web_services, case_id, title="The council's improvement plan", body=LETTER)
    planned = plan_agreed(web_services.cases)
    attached(web_services, planned, title="Interim director's first report", body=MINUTES,
             step=("a plan action", "action-1"))
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, site, named["coordinator"])
    page.goto(f"{site}/case/{planned}#plan")
    fits(page)
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"/tmp/documents-plan-{width}.png", full_page=True)
    for name, url in (("case", f"{site}/case/{case_id}#documents"),
                      ("attach", f"{site}/case/{case_id}/attach-document")):
        page.goto(url)
        fits(page)
        for width in (1280, 320):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"/tmp/documents-{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def web_settings(web_settings):
    """A documents' limit of 100 KB here, so a file past it is quick to make."""
    return web_settings.model_copy(update={"document_size_limit": 100_000})


def test_a_file_past_the_limit_is_refused_in_words_and_nothing_is_kept(
        browser, site, named, case_id, web_cases, web_services):
    page = browser.new_context().new_page()
    sign_in(page, site, named["coordinator"])
    page.goto(f"{site}/case/{case_id}/attach-document")
    big = a_pdf("Appendix " + "x" * 150_000)
    page.set_input_files("#file", files=[{"name": "big.pdf", "mimeType": "application/pdf",
                                         "buffer": big}])
    page.fill("#title", "Appendices")
    page.get_by_label("Something else").check()
    page.get_by_role("button", name="Attach the document").click()
    accessible(page)
    assert "The selected file must be smaller than 0.1 MB" in page.locator(
        ".govuk-error-summary").inner_text()
    assert web_cases.get_case(case_id)["documents"] == []
    assert list(web_services.documents.held()) == []


def chosen(page: Any) -> tuple[str, str, str, str]:
    """The answers the form shows: title, kind, step and who may see it, in words."""
    return (page.input_value("#title"),
            page.locator("input[name=kind]:checked + label").inner_text(),
            page.locator("#step option:checked").inner_text(),
            page.locator("input[name=confidentiality]:checked + label").inner_text())


@pytest.mark.parametrize("name, body, said", [
    ("minutes.pdf", a_pdf("Minutes " + "x" * 250_000),
     "The selected file must be smaller than 0.1 MB. Choose a smaller file"),
    ("minutes.pdf", b"<!doctype html><html><body>minutes</body></html>",
     "This file is an HTML page. Attach a PDF"),
    ("minutes.pdf", b"", "The selected file is empty"),
    ("minutes\\draft.pdf", MINUTES, "The file's name cannot be used"),
])
def test_a_refused_file_leaves_the_answers_kept_and_asks_for_the_file_again(
        browser, site, named, case_id, web_cases, web_services, name, body, said):
    page = browser.new_context().new_page()
    sign_in(page, site, named["coordinator"])
    page.goto(f"{site}/case/{case_id}")
    page.get_by_role("link", name="Attach a document to the joint local meeting on").click()
    page.fill("#title", "Minutes, joint local meeting")
    page.get_by_label("Minutes of a meeting").check()
    page.get_by_label("Chatham House: only the confidential group").check()
    page.set_input_files("#file", files=[{"name": name, "mimeType": "application/pdf",
                                         "buffer": body}])
    page.get_by_role("button", name="Attach the document").click()
    accessible(page)
    assert said in page.locator(".govuk-error-summary").inner_text()
    title, kind, step, who = chosen(page)
    assert (title, kind, who) == ("Minutes, joint local meeting", "Minutes of a meeting",
                                  "Chatham House: only the confidential group")
    assert step.startswith("Joint local meeting on ")
    assert "Choose the file again" in page.locator("#file-hint").inner_text()
    assert web_cases.get_case(case_id)["documents"] == []
    page.set_input_files("#file", files=[{"name": "minutes.pdf",
                                         "mimeType": "application/pdf", "buffer": MINUTES}])
    page.get_by_role("button", name="Attach the document").click()
    page.wait_for_url(f"{site}/case/{case_id}?done=attach_document#documents")
    [document] = web_cases.get_case(case_id)["documents"]
    assert (document["title"], document["kind"], document["step_ref"],
            document["confidentiality"]) == ("Minutes, joint local meeting", "minutes",
                                             "joint-meeting-1", "Chatham House")


def test_a_document_changed_since_it_was_attached_is_not_given_out(
        browser, site, named, case_id, web_services):
    attached(web_services, case_id, title="Ofsted inspection letter", body=LETTER)
    [(_, sha256)] = web_services.documents.held()
    stored = web_services.settings.documents_dir / str(case_id) / sha256
    stored.chmod(0o600)
    stored.write_bytes(LETTER.replace(b"inadequate", b"excellent!"))
    page = browser.new_context().new_page()
    sign_in(page, site, named["coordinator"])
    answer = page.goto(f"{site}/case/{case_id}/documents/document-1")
    assert answer.status == 409
    assert "no longer matches the one recorded in the case's history" in page.inner_text("main")


def test_a_document_without_a_title_comes_back_with_the_answers_kept(
        browser, site, named, case_id, web_cases):
    page = browser.new_context().new_page()
    sign_in(page, site, named["coordinator"])
    page.goto(f"{site}/case/{case_id}")
    page.get_by_role("link", name="Attach a document to the joint local meeting on").click()
    page.set_input_files("#file", files=[{"name": "minutes.pdf", "mimeType": "application/pdf",
                                         "buffer": MINUTES}])
    page.get_by_label("Minutes of a meeting").check()
    page.get_by_label("Chatham House: only the confidential group").check()
    page.get_by_role("button", name="Attach the document").click()
    accessible(page)
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter a title for the document" in summary and "Choose the file again" in summary
    assert page.locator("#step option:checked").inner_text().startswith("Joint local meeting on")
    assert page.get_by_label("Minutes of a meeting").is_checked()
    assert page.get_by_label("Chatham House: only the confidential group").is_checked()
    assert web_cases.get_case(case_id)["documents"] == []
    page.set_input_files("#file", files=[{"name": "minutes.pdf", "mimeType": "application/pdf",
                                         "buffer": MINUTES}])
    page.fill("#title", "Minutes, joint local meeting")
    page.get_by_role("button", name="Attach the document").click()
    page.wait_for_load_state()
    [document] = web_cases.get_case(case_id)["documents"]
    assert (document["step_ref"], document["confidentiality"]) == (
        "joint-meeting-1", "Chatham House")


def test_a_form_opened_before_someone_changed_the_case_says_what_changed(
        browser, site, named, case_id, web_cases, web_services):
    page = browser.new_context().new_page()
    sign_in(page, site, named["coordinator"])
    page.goto(f"{site}/case/{case_id}/attach-document")
    attached(web_services, case_id, title="The council's improvement plan", body=LETTER)
    page.set_input_files("#file", files=[{"name": "letter.pdf", "mimeType": "application/pdf",
                                         "buffer": MINUTES}])
    page.fill("#title", "Letter to the leader")
    page.get_by_label("Letter").check()
    page.get_by_role("button", name="Attach the document").click()
    accessible(page)
    assert "attached \u201cThe council's improvement plan\u201d (letter) to the case as a whole" \
        in page.locator("#expected-version").inner_text()
    assert "since you opened this form" in page.locator(".govuk-error-summary").inner_text()
    assert page.input_value("#title") == "Letter to the leader"
    assert len(web_cases.get_case(case_id)["documents"]) == 1
    assert list(web_services.documents.held()) == [
        (case_id, web_cases.get_case(case_id)["documents"][0]["sha256"])]


def test_a_peer_attaches_to_their_own_visits_and_sees_only_those_documents(
        browser, site, web_identity, web_cases, web_services):
    from tests.integration.test_case_lifecycle import C, plan_agreed
    from tests.support_registers import seed_registers

    web_identity.register_user(username="pete", role="peer", name="Pete Peer")
    web_identity.register_user(username="olaf", role="peer", name="Olaf Other")
    case_id = plan_agreed(web_cases)
    ids = seed_registers(web_cases.env)
    for peer_user in ("pete", "olaf"):
        web_cases.deploy_peer(case_id, peer_id=ids["peer"], days=1, peer_user=peer_user,
                              role="officer peer", reason="Expertise", **C)
    attached(web_services, case_id, title="The council's improvement plan", body=LETTER)
    page = browser.new_context().new_page()
    sign_in(page, site, web_identity.issue_token("pete"))
    page.goto(f"{site}/case/{case_id}/attach-document")
    accessible(page)
    offered = page.locator("#step option").all_inner_texts()
    assert len(offered) == 1 and offered[0].startswith("Peer visits: ")
    page.set_input_files("#file", files=[{"name": "findings.pdf", "mimeType": "application/pdf",
                                         "buffer": MINUTES}])
    page.fill("#title", "Findings of the first visit")
    page.get_by_label("Peer team's findings").check()
    page.get_by_role("button", name="Attach the document").click()
    accessible(page)
    assert "Findings of the first visit" in page.locator("#people ~ ul.app-documents"
                                                         ).first.inner_text()
    assert "The council's improvement plan" not in page.inner_text("main")
    shown = page.inner_text("main")  # what a peer is not shown is not said to be absent
    assert "No support plan yet" not in shown and "No owner" not in shown
    assert "The support plan is not shown to you" in shown
    assert page.request.get(f"{site}/case/{case_id}/documents/document-1").status == 404
    [_, own] = web_cases.get_case(case_id)["documents"]
    assert (own["step"], own["step_ref"]) == ("a peer deployment's visit", "deployment-1")
