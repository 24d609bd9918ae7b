"""`make screenshots`: PNGs of the main pages each role sees, for the README and docs/.

Runs the app on a free port over a throwaway data directory with the demo registers
and four cases made through the API (one door with the pages): a concern just raised,
a drafted plan, an agreed plan with support commissioned and a peer's visit, and a
closed case. Each page is taken 1280 px wide, named by role and page
(`coordinator-my-work.png`); My work and the case page also at 320 px
(`coordinator-my-work-320px.png`), as a phone shows them.
"""

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from api.main import create_app
from services.bootstrap import build_services
from services.ops.demo_data import load_demo
from services.platform.settings import Settings
from tests.conftest import free_port
from tests.e2e.conftest import serve
from tests.support_registers import seed_registers
from tests.web.browser import sign_in
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.test_every_page import IMPROVED, STAFF, Case, _planned, _supported

WIDE, NARROW = 1280, 320
# Each role's main pages: a name for the file, and the page's address given the cases.
Pages = dict[str, Callable[[dict[str, str]], str]]
CASE_PAGES: Pages = {"my-work": lambda c: "/my-work", "case": lambda c: c["supported"]}
PAGES: dict[str, Pages] = {
    "coordinator": {
        **CASE_PAGES, "case-just-raised": lambda c: c["concern"],
        "case-closed": lambda c: c["closed"],
        "form-progress-review": lambda c: c["supported"] + "/do/progress-reviews",
        "support-matches": lambda c: c["planned"] + "/support-matches",
        "regional-picture": lambda c: "/regional-picture",
        "registers-authorities": lambda c: "/registers/authorities",
        "registers-peers": lambda c: "/registers/peers",
        "registers-offers": lambda c: "/registers/offers",
        "region-policy": lambda c: "/region-policy/North West",
        "search-results": lambda c: "/search?q=Northshire",
        "people": lambda c: "/people",
        "notifications": lambda c: "/notifications",
        "account": lambda c: "/account"},
    "liaison": {**CASE_PAGES, "form-agree-plan": lambda c: c["planned"] + "/do/plan/agreement"},
    "adviser": {**CASE_PAGES, "case-plan-drafted": lambda c: c["planned"]},
    "peer": {**CASE_PAGES, "form-record-visit": lambda c: c["supported"] + "/do/peer-visits"},
    "inspector": {**CASE_PAGES, "case-history": lambda c: c["supported"] + "#history",
                  "regional-picture": lambda c: "/regional-picture"},
    "government office": {"my-work": lambda c: "/my-work", "account": lambda c: "/account"},
    "admin": {"registers-authorities": lambda c: "/registers/authorities",
              "region-policy": lambda c: "/region-policy", "account": lambda c: "/account"},
}
AT_320 = ("my-work", "case")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), store="sqlite",
                            temporal_address=f"127.0.0.1:{free_port()}")
        services = build_services(settings)
        load_demo(services.registers)
        ids = seed_registers(settings.eventsourcing_env())
        tokens = {}
        for who, user in STAFF.items():
            services.identity.register_user(**user)
            tokens[who] = services.identity.issue_token(user["username"])
        server, thread, site = serve(create_app(settings, services=services))
        try:
            cases = _cases(site, tokens, ids)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                     args=CHROMIUM_ARGS)
                shoot(browser, site, tokens, cases, out)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            services.close()


def _cases(site: str, tokens: dict[str, str], ids: dict[str, Any]) -> dict[str, str]:
    """The case's page at each stage the screenshots show."""
    closed = _planned(Case(site, tokens))
    closed.do("liaison", "plan/agreement", {"reason": "The cabinet accepts the plan"})
    closed.do("coordinator", "closure", IMPROVED)
    made = {"concern": Case(site, tokens), "planned": _planned(Case(site, tokens)),
            "supported": _supported(_planned(Case(site, tokens)), ids), "closed": closed}
    return {stage: f"/case/{case.id}" for stage, case in made.items()}


def shoot(browser: Any, site: str, tokens: dict[str, str], cases: dict[str, str],
          out: Path) -> None:
    page = browser.new_context(viewport={"width": WIDE, "height": 900}).new_page()
    page.goto(f"{site}/sign-in")
    page.screenshot(path=str(out / "sign-in.png"), full_page=True)
    for role, pages in PAGES.items():
        page = browser.new_context(viewport={"width": WIDE, "height": 900}).new_page()
        sign_in(page, site, tokens[role])
        for name, address in pages.items():
            answer = page.goto(site + address(cases))  # None: the same page, another part
            if answer is not None and answer.status != 200:
                print(f"screenshots: {role} has no {name} page", file=sys.stderr)
                continue
            _shot(page, out / f"{role.replace(' ', '-')}-{name}.png")
            if role == "coordinator" and name in AT_320:
                page.set_viewport_size({"width": NARROW, "height": 900})
                _shot(page, out / f"{role}-{name}-{NARROW}px.png")
                page.set_viewport_size({"width": WIDE, "height": 900})
        page.context.close()
    print(f"screenshots: {len(list(out.glob('*.png')))} pages in {out}")


def _shot(page: Any, path: Path) -> None:
    """What the screen shows on arrival (what a person meets first: the case page leads with
    what to do next), or from the section an address names (#history); a screen, not the
    whole page, so the committed pictures stay small."""
    fragment = page.url.partition("#")[2]
    if fragment:
        page.evaluate("id => document.getElementById(id).scrollIntoView()", fragment)
    page.screenshot(path=str(path), full_page=False)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
