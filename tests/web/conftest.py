"""A real browser (Debian's Chromium, driven by Playwright) against the app on a real port.

Browser tests skip where Chromium is absent, and fail instead under CI=true,
as the PostgreSQL tests do. The assets come from `make assets` (npm tarballs,
integrity-checked); axe-core is injected from the same fetched tarball.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.main import create_app
from api.web.assets import VENDOR, all_fetched
from services.bootstrap import Services, build_services
from services.cases.service import CaseService
from services.identity.service import IdentityService
from services.platform.settings import Settings
from services.registers.service import RegisterService
from tests.conftest import free_port
from tests.e2e.conftest import AUTHORITIES, register_authorities, serve
from tests.support_registers import seed_registers

CHROMIUM = Path(os.environ.get("CASEWORK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE = VENDOR / "axe-core" / "axe.min.js"

PEOPLE = {
    "coordinator": dict(username="cora", role="coordinator", region="North West"),
    "liaison": dict(username="lia", role="authority liaison",
                    authority="Northshire County Council"),
    "adviser": dict(username="adam", role="adviser"),
    "peer": dict(username="pete", role="peer"),
    "inspector": dict(username="ines", role="inspector"),
}


def _needed(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {what}")
    pytest.skip(what)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _needed(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not all_fetched():
        _needed("the front-end assets are not fetched (make assets)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


BOTH_STORES = pytest.mark.parametrize(
    "web_store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
"""Mark a browser test (or module, as `pytestmark`) to run once on each store."""


@pytest.fixture
def web_store(request: pytest.FixtureRequest) -> str:
    """The pages' store: SQLite, unless the test is marked BOTH_STORES."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def web_settings(request: pytest.FixtureRequest, tmp_path: Path, web_store: str) -> Settings:
    # No Temporal here: the pages work without it (the worker's reconciler starts workflows).
    no_temporal = f"127.0.0.1:{free_port()}"
    if web_store == "sqlite":
        return Settings(data_dir=tmp_path / "var", store="sqlite", temporal_address=no_temporal)
    return Settings(data_dir=tmp_path / "var", store="postgres",
                    postgres_url=request.getfixturevalue("postgres_url"),
                    postgres_schema=request.getfixturevalue("postgres_schema"),
                    temporal_address=no_temporal)


@pytest.fixture
def web_services(web_settings: Settings) -> Iterator[Services]:
    """The pages' services, built as the API builds its own."""
    built = build_services(web_settings)
    for authority in AUTHORITIES:  # the councils the pages' cases and liaisons name
        built.registers.register_authority(actor_id="test", **authority)
    yield built
    built.close()


@pytest.fixture
def web_cases(web_services: Services) -> CaseService:
    return web_services.cases


@pytest.fixture
def web_identity(web_services: Services) -> IdentityService:
    return web_services.identity


@pytest.fixture
def people(web_identity: IdentityService) -> dict[str, str]:
    """A token for one person in each role, made as the command line makes them."""
    return register_people(web_identity, PEOPLE)


def register_people(identity: IdentityService, people: dict[str, dict[str, Any]]
                    ) -> dict[str, str]:
    """Each person registered, and a token for each, by the name the test calls them."""
    tokens = {}
    for who, user in people.items():
        identity.register_user(**user)
        tokens[who] = identity.issue_token(user["username"])
    return tokens


@pytest.fixture
def site(web_settings: Settings, web_services: Services) -> Iterator[str]:
    register_authorities(web_settings)
    server, thread, url = serve(create_app(web_settings, services=web_services))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def registers(web_settings):
    """The registers with a peer from another council, one from the case's own council
    and an offer of support."""
    env = web_settings.eventsourcing_env()
    seeded = seed_registers(env)
    registers = RegisterService(dict(env))
    registers.accredit_peer(name="Pat Peer", role="officer", council="Northshire County Council",
                            problem_natures=["capacity"], service_areas=["finance"],
                            days_per_quarter=5, actor_id="cora")
    registers.seeded = seeded  # type: ignore[attr-defined]
    yield registers
    registers.close()
