"""`make screenshots`: PNGs of the main pages, signed in as each role, for the README.

Runs the app on a free port over a throwaway data directory with the demo
registers and one case taken through diagnosis, plan, agreement and a peer visit.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from api.main import create_app
from services.bootstrap import build_services
from services.ops.demo_data import load_demo
from services.platform.settings import Settings
from tests.conftest import free_port
from tests.e2e.conftest import serve
from tests.web.browser import sign_in
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PEOPLE
from tests.web.test_journeys import draft_plan, open_case, record_diagnosis


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), store="sqlite",
                            temporal_address=f"127.0.0.1:{free_port()}")
        services = build_services(settings)
        load_demo(services.registers)
        identity = services.identity
        tokens = {}
        for who, user in PEOPLE.items():
            identity.register_user(**user)
            tokens[who] = identity.issue_token(user["username"])
        server, thread, site = serve(create_app(settings, services=services))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                     args=CHROMIUM_ARGS)
                shoot(browser, site, tokens, out)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            services.close()


def shoot(browser, site: str, tokens: dict[str, str], out: Path) -> None:
    cora = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    sign_in(cora, site, tokens["coordinator"])
    case_url = open_case(cora, site)
    record_diagnosis(cora, case_url)
    draft_plan(cora, case_url)
    pages = {"my-work": f"{site}/my-work", "case": case_url,
             "command-form": f"{case_url}/do/plan/reviews",
             "regional-picture": f"{site}/regional-picture",
             "registers": f"{site}/registers/authorities"}
    for name, url in pages.items():
        cora.goto(url)
        cora.screenshot(path=str(out / f"{name}.png"), full_page=name != "case")
    lia = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    sign_in(lia, site, tokens["liaison"])
    lia.goto(f"{case_url}#tasks")
    lia.screenshot(path=str(out / "council-view.png"))
    ines = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    sign_in(ines, site, tokens["inspector"])
    ines.goto(f"{case_url}#history")
    ines.screenshot(path=str(out / "inspector-view.png"))
    print(f"screenshots: {', '.join(sorted(p.name for p in out.glob('*.png')))} in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
