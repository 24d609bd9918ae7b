"""What a person does in the browser, and the accessibility check run on every page."""

import argparse
import json
import re
from collections.abc import Iterable
from typing import Any

from tests.web.conftest import AXE

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def sign_in(page: Any, site: str, token: str) -> None:
    page.goto(f"{site}/sign-in")
    page.click("#sign-in-with-a-token")  # tokens are tucked away: people use links
    page.fill("#token", token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def accessible(page: Any) -> None:
    """axe-core, from the fetched npm tarball, finds no WCAG 2.2 AA violation on the page.

    A button's click returns before the page it posts to has arrived: axe then runs on a
    page being replaced, so it waits for the page to load, and runs once more if the
    page moved under it."""
    from playwright.sync_api import Error

    for last in (False, True):
        page.wait_for_load_state()
        try:
            result = _axe(page)
            break
        except Error:
            if last:
                raise
    found = [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
             for v in result["violations"]]
    assert not found, f"{page.url}: " + json.dumps(found, indent=1)


def _axe(page: Any) -> Any:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the driver, not added as an inline <script>: the pages' CSP
        # (rightly) refuses inline scripts without the page's nonce.
        page.evaluate(f"(() => {{ {AXE.read_text()}\n}})()")
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA)


def visit(page: Any, url: str) -> None:
    page.goto(url)
    accessible(page)


def _subcommands() -> str:
    """The `casework` command line's subcommands, read from its own parser."""
    from deploy.cli import parser

    chosen = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return "|".join(sorted(map(re.escape, chosen.choices), key=len, reverse=True))


CODE_WORDS = {
    "an id": r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
    "a field path": r"\b[a-z_]+(?:\.\d+)+(?:\.[a-z_]+)*\b",
    "a rule code": r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b",
    "a version number": r"\b[Vv]ersion \d+\b",
    "an API path": r"/cases/|\b(?:GET|POST|PUT|PATCH|DELETE) ",
    "a command line": rf"\bpython3? -m\b|\bcasework (?:{_subcommands()})\b",
    "a class name": r"\b(?!Ma?c[A-Z])(?:[A-Z][a-z]+){2,}\b",  # not McDonald, MacLeod
}


def code_words(text: str, usernames: Iterable[str] = ()) -> list[str]:
    """The code words in a text, each as "what: the words", in the order of CODE_WORDS.

    `usernames`: accounts the directory knows by name; shown bare, they are a username
    standing in for a person's name."""
    found = [f"{what}: {hit.group(0)}" for what, pattern in CODE_WORDS.items()
             for hit in re.finditer(pattern, text)]
    found += [f"a username for a name: {hit.group(0)}" for name in usernames
              for hit in re.finditer(rf"(?<![\w@.-]){re.escape(name)}(?![\w@-]|\.\w)", text)]
    return list(dict.fromkeys(found))


def plain_words(page: Any, usernames: Iterable[str] = ()) -> list[str]:
    """The code words a person would read on the page: its visible text (innerText leaves
    out closed <details>, where the raw record may stay for inspectors)."""
    return code_words(page.evaluate("document.body.innerText"), usernames)


NARROW = (320, 640)  # a phone, and a 1280 px window at 200% zoom


def too_wide(page: Any, width: int) -> dict[str, Any]:
    """At `width` CSS px: how wide the page grows, and the innermost elements past the edge."""
    size = page.viewport_size or {"width": 1280, "height": 720}
    page.set_viewport_size({"width": width, "height": size["height"]})
    try:
        return page.evaluate("""() => {
            const edge = window.innerWidth;
            const boxed = e => { for (let a = e.parentElement; a && a !== document.body;
                                      a = a.parentElement) {
                if (getComputedStyle(a).overflowX !== 'visible') return true; } return false; };
            const past = [...document.body.querySelectorAll('*')].filter(e =>
                e.getBoundingClientRect().right > edge + 1
                && ![...e.children].some(c => c.getBoundingClientRect().right > edge + 1)
                && !boxed(e));
            const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + (e.classList.length ? '.' + [...e.classList].join('.') : '');
            return {page: document.documentElement.scrollWidth, window: edge,
                    past: past.slice(0, 5).map(name)};
        }""")
    finally:
        page.set_viewport_size(size)


def fits(page: Any) -> None:
    """At 320 and 640 CSS px wide the page does not scroll sideways (WCAG 1.4.10): only a
    table's own box may."""
    found = {width: too_wide(page, width) for width in NARROW}
    wide = {width: seen for width, seen in found.items() if seen["page"] > seen["window"]}
    assert not wide, f"{page.url} scrolls sideways: {json.dumps(wide)}"
