"""The authorities import takes a file chosen from the computer, as it takes pasted rows:
whole or not at all, each problem by its line, in words."""

from tests.web.browser import accessible, plain_words, sign_in, visit
from tests.web.test_journeys import submit

HEADER = "name,authority_type,region,sub_region,mutuality_signed_on,last_self_evaluation," \
         "last_peer_challenge\n"


def _choose(page, name: str, data: bytes) -> None:
    page.get_by_label("Upload a CSV file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data})


def _coordinator(browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    visit(cora, f"{site}/registers/authorities")
    return cora


def test_a_coordinator_imports_their_regions_councils_from_a_file(browser, site, people):
    cora = _coordinator(browser, site, people)
    _choose(cora, "councils.csv", (HEADER + "Ashby Vale District Council,district,North West,"
                                   ",2025-06-01,,\nFelton Borough Council,unitary,North West"
                                   ",,,,\n").encode())
    submit(cora, "Import")
    assert "2 authorities imported" in cora.inner_text(".govuk-notification-banner")
    table = cora.inner_text("table")
    assert "Ashby Vale District Council" in table and "Felton Borough Council" in table


def test_a_file_that_is_not_utf8_is_refused_in_words_and_nothing_is_imported(
        browser, site, people):
    cora = _coordinator(browser, site, people)
    _choose(cora, "councils.csv", (HEADER + "Caf\xe9 Town Council,district,North West,,,,\n")
            .encode("latin-1"))
    submit(cora, "Import")
    summary = cora.inner_text(".govuk-error-summary")
    assert "Line 2 is not UTF-8 text" in summary and "save the file as CSV UTF-8" in summary
    assert plain_words(cora) == []
    cora.get_by_role("link", name="Line 2 is not UTF-8 text", exact=False).click()
    assert cora.evaluate("document.activeElement.id") == "csv-file"
    assert "Caf" not in cora.inner_text("table")


def test_a_file_is_refused_line_by_line_as_the_same_rows_pasted_are(browser, site, people):
    rows = HEADER + "Oldtown Council,parish,North West,,,,\n,county,North West,,,,\n"
    cora = _coordinator(browser, site, people)
    _choose(cora, "councils.csv", rows.encode())
    submit(cora, "Import")
    from_file = cora.locator(".govuk-error-summary li").all_inner_texts()
    visit(cora, f"{site}/registers/authorities")
    cora.get_by_label("Or paste the rows, with the header row").fill(rows)
    submit(cora, "Import")
    pasted = cora.locator(".govuk-error-summary li").all_inner_texts()
    assert from_file == pasted and len(pasted) == 2
    assert pasted[0].startswith("Line 2: Authority type") and pasted[1].startswith("Line 3: Name")
    assert plain_words(cora) == []


def test_importing_with_no_file_and_no_rows_asks_for_one(browser, site, people):
    cora = _coordinator(browser, site, people)
    submit(cora, "Import")
    assert "Choose a CSV file, or paste its rows" in cora.inner_text(".govuk-error-summary")


def test_a_file_over_the_size_limit_is_refused_with_a_page_in_words(browser, site, people):
    """A file over the request limit is refused before it is read, with a page a person
    can act on (not the API's JSON problem), and nothing is imported."""
    cora = _coordinator(browser, site, people)
    row = "Oversize Borough Council,district,North West,,,,\n"
    _choose(cora, "councils.csv", (HEADER + row * (1_100_000 // len(row))).encode())
    submit(cora, "Import")
    assert "The file is too large" in cora.inner_text("h1")
    assert "choose a smaller file" in cora.inner_text("main")
    assert plain_words(cora) == []
    accessible(cora)
    visit(cora, f"{site}/registers/authorities")
    assert "Oversize Borough Council" not in cora.inner_text("main")
