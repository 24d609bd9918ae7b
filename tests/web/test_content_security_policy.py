"""In a real browser, the pages, /docs and /redoc work under the strict CSP: no violation."""

from typing import Any

from tests.web.browser import sign_in
from tests.web.test_journeys import open_case

# Registered before any page script runs (Playwright's init scripts are not subject to
# the page's CSP), so every violation the browser reports is kept.
CATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e => window.__violations.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber, column: e.columnNumber}));
"""


def _violations(page: Any) -> list[dict[str, str]]:
    return page.evaluate("window.__violations")


def test_the_main_pages_and_the_api_docs_run_with_no_csp_violation(browser, site, people):
    context = browser.new_context()
    context.add_init_script(CATCH_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    try:
        sign_in(page, site, people["coordinator"])
        assert page.evaluate("document.body.classList.contains('js-enabled')"), \
            "the GOV.UK js-enabled snippet (nonce) did not run"
        case_url = open_case(page, site)
        for path in ("/my-work", "/regional-picture", "/registers/authorities",
                     "/region-policy", "/account", case_url.removeprefix(site)):
            answer = page.goto(site + path)
            assert "script-src 'self' 'nonce-" in answer.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            assert _violations(page) == [], (path, _violations(page))
        page.goto(site + "/docs")
        page.wait_for_selector(".opblock", timeout=15000)  # Swagger UI drew the operations
        assert _violations(page) == [], ("/docs", _violations(page))
        assert not [m for m in console if "Content Security Policy" in m], console
        page.goto(site + "/redoc")
        page.wait_for_selector(".menu-content", timeout=15000)  # Redoc drew its menu
        page.wait_for_load_state("networkidle")
        assert "case commands" in page.inner_text(".menu-content")  # the document read
        assert [v for v in _violations(page) if not _redoc_reaching_out(v)] == [], (
            "/redoc", _violations(page))
    finally:
        context.close()


def _redoc_reaching_out(violation: dict[str, Any]) -> bool:
    """What the policy blocks on purpose in Redoc 3 (docs/security.md): its logo from
    redocly's CDN, and its `Function` probe for a search worker (it searches without)."""
    logo = violation["directive"] == "img-src" and violation["blocked"].startswith(
        "https://cdn.redoc.ly/")
    probe = violation["directive"] == "script-src" and violation["blocked"] == "eval" and \
        violation["source"].endswith("/vendor/redoc/bundles/redoc.standalone.js")
    return logo or probe
