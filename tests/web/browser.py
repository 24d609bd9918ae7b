"""What a person does in the browser, and the accessibility check run on every page."""

import json
from typing import Any

from tests.web.conftest import AXE

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def sign_in(page: Any, site: str, token: str) -> None:
    page.goto(f"{site}/sign-in")
    page.fill("#token", token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def accessible(page: Any) -> None:
    """axe-core, from the fetched npm tarball, finds no WCAG 2.2 AA violation on the page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the driver, not added as an inline <script>: the pages' CSP
        # (rightly) refuses inline scripts without the page's nonce.
        page.evaluate(f"(() => {{ {AXE.read_text()}\n}})()")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA)
    found = [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
             for v in result["violations"]]
    assert not found, f"{page.url}: " + json.dumps(found, indent=1)


def visit(page: Any, url: str) -> None:
    page.goto(url)
    accessible(page)
