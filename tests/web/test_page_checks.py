"""The checks run on every page visited catch what they are for, on small pages."""

import pytest

from tests.web.browser import fits, plain_words, too_wide


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def test_plain_words_finds_each_kind_of_code_word_a_person_should_not_read(page):
    page.set_content("""<main>
      <p>Deploy peer 14991c95-1b2a-4c3d-8e4f-0123456789ab.</p>
      <p>Enter a date (actions.0.due). Refused: stale_version, peer_own_council.</p>
      <p>It was version 1, it is now version 2. See POST /cases/{id}/closure or GET /peers.</p>
      <p>Check it with python -m services.integrity verify, or casework verify.</p>
      <p>SupportPlanAgreed by cora.</p></main>""")
    found = plain_words(page, usernames=["cora"])
    for expected in ("an id: 14991c95-1b2a-4c3d-8e4f-0123456789ab", "a field path: actions.0.due",
                     "a rule code: stale_version", "a rule code: peer_own_council",
                     "a version number: version 1", "an API path: /cases/", "an API path: POST ",
                     "an API path: GET ", "a command line: python -m",
                     "a command line: casework verify", "a class name: SupportPlanAgreed",
                     "a username for a name: cora"):
        assert expected in found


def test_plain_words_passes_plain_english_and_what_a_closed_details_holds(page):
    page.set_content("""<main><h1>Northshire County Council</h1>
      <p>Lia Liaison, council liaison, agreed the support plan on 3 March 2027 at 2:05pm.
         Sign in to casework. Cost £5,600,000; revision 2 of the plan; 10 working days.</p>
      <p>Email cora.smith@example.org or Cllr Fiona McDonald.</p>
      <details class="govuk-details"><summary>What was recorded</summary>
        <p>SupportPlanAgreed, version 4, actor_id cora</p></details></main>""")
    assert plain_words(page, usernames=["cora"]) == []


def test_fits_refuses_a_page_that_scrolls_sideways_at_320_or_640_px(page):
    page.set_content('<main><p>Fits</p><div style="width: 500px">Too wide at 320</div></main>')
    assert too_wide(page, 320)["page"] > 320 and too_wide(page, 640)["page"] <= 640
    with pytest.raises(AssertionError, match="scrolls sideways"):
        fits(page)
    page.set_content('<main><div style="width: 700px">Too wide at 200% zoom</div></main>')
    with pytest.raises(AssertionError, match="scrolls sideways"):
        fits(page)


def test_fits_allows_a_wide_table_that_scrolls_inside_its_own_box(page):
    page.set_content("""<main><div style="overflow-x: auto" role="region" aria-label="Cases"
      tabindex="0"><table><tr><td style="min-width: 900px">A wide row</td></tr></table></div>
      <p>averyveryverylongwordthatwraps</p></main>""")
    fits(page)
    assert page.viewport_size == {"width": 1280, "height": 800}  # put back as it was
