"""Every main page each role has, checked as a person meets it: axe finds no WCAG 2.2 AA
violation, the page fits 320 px and a 1280 px window at 200% zoom without scrolling
sideways, and its visible text holds no code word (id, field path, rule code, version
number, API path, command line or class name).

The cases are made through the API (one door with the pages), at the stages a person
meets them: a concern just raised, a drafted plan, an agreed plan with a peer deployed
and support commissioned, and a closed case.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin
from uuid import UUID, uuid4

import httpx
import pytest

from services.bootstrap import Services
from services.identity.service import IdentityService
from tests.e2e.conftest import bearer
from tests.helpers import EXIT_STRATEGY, OPEN_CASE
from tests.support_registers import seed_registers
from tests.web.browser import accessible, fits, plain_words, sign_in
from tests.web.conftest import PEOPLE

STAFF = {
    **{who: {**user, "name": name} for (who, user), name in zip(PEOPLE.items(), (
        "Cora Coordinator", "Lia Liaison", "Adam Adviser", "Pete Peer", "Ines Inspector"),
        strict=True)},
    "government office": dict(username="gina", role="government office", name="Gina Office"),
    "admin": dict(username="alan", role="admin", name="Alan Admin"),
}
MEASURE = "Ofsted monitoring visit finds progress"
PLAN = {"summary": "Stabilise leadership, then rebuild capacity", "adviser_id": "adam",
        "actions": [{"description": "Interim director of children's services",
                     "owner": "Chief executive", "provider": "the national improvement body",
                     "cost": "0", "due": "2027-03-31", "measure": MEASURE}]}
IMPROVED = {"outcome": "improved and handed back", "exit_strategy": EXIT_STRATEGY}


@pytest.fixture
def staff(web_identity: IdentityService) -> dict[str, str]:
    """A token for one named person in each of the seven roles."""
    tokens = {}
    for who, user in STAFF.items():
        web_identity.register_user(**user)
        tokens[who] = web_identity.issue_token(user["username"])
    return tokens


class Case:
    """One case driven through the API, each command by the person whose role it is."""

    def __init__(self, site: str, staff: dict[str, str]) -> None:
        self.api, self.staff = httpx.Client(base_url=site, timeout=30), staff
        due = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        opened = self.api.post("/cases", json={**OPEN_CASE, "diagnosis_due": due},
                               headers=bearer(staff["coordinator"]))
        assert opened.status_code == 201, opened.text
        self.id, self.etag = opened.json()["id"], opened.headers["etag"]

    def do(self, who: str, command: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.api.post(f"/cases/{self.id}/{command}", json=body,
                               headers={**bearer(self.staff[who]), "If-Match": self.etag})
        assert answer.status_code == 200, f"{who} {command}: {answer.text}"
        self.etag = answer.headers["etag"]
        return answer.json()


def _planned(case: Case) -> Case:
    case.do("coordinator", "intelligence", {
        "content": "Two senior officers resigned this month",
        "source": "Chief executive of a neighbouring council",
        "confidentiality": "Chatham House"})
    case.do("coordinator", "risk-assessments", {
        "kind": "inherent", "impact": "high", "likelihood": "medium", "reason": "Safeguarding"})
    case.do("coordinator", "diagnosis", {"summary": "Weak corporate capacity",
                                         "problem_natures": ["capacity", "capability"]})
    case.do("coordinator", "plan", PLAN)
    return case


def _supported(case: Case, ids: dict[str, Any]) -> Case:
    case.do("liaison", "plan/agreement", {"reason": "The cabinet accepts the plan"})
    case.do("coordinator", "support", {"offer_id": str(ids["offer"]), "days": 3,
                                       "problem_natures": ["capacity"],
                                       "reason": "Fits the diagnosis"})
    case.do("coordinator", "peer-deployments", {
        "peer_id": str(ids["peer"]), "peer_user": "pete", "days": 2,
        "role": "officer peer", "reason": "Experienced, no conflict"})
    case.do("peer", "peer-visits", {"deployment_id": "deployment-1",
                                    "visited_at": "2026-11-20T10:00:00Z",
                                    "notes": "Met the leader and the chief executive"})
    case.do("coordinator", "confidential-access", {  # the government office reads it now
        "grantee": STAFF["government office"]["username"], "reason": "Before any notice"})
    return case


def _with_documents(case: Case, services: Services) -> Case:
    """A document about the case as a whole, one on the plan's action and one under
    Chatham House, attached as the upload's door does (the bytes kept, then the command)."""
    for title, step, ref, confidentiality in (
            ("Ofsted inspection letter", "the case as a whole", "", "normal"),
            ("Interim director's first report", "a plan action", "action-1", "normal"),
            ("Note from a neighbouring chief executive", "the concern's intelligence", "",
             "Chatham House")):
        blob = services.documents.put(UUID(case.id), [f"%PDF-1.4\n{title}\n%%EOF\n".encode()])
        services.cases.attach_document(
            UUID(case.id), title=title, kind="letter", step=step, step_ref=ref,
            confidentiality=confidentiality, stored={
                "sha256": blob.sha256, "size": blob.size, "media_type": "application/pdf",
                "filename": f"{title}.pdf"}, actor_id="cora", actor_role="coordinator")
    case.etag = f'"{services.cases.get_case(UUID(case.id))["version"]}"'
    return case


@pytest.fixture
def stages(site: str, staff: dict[str, str], web_settings, web_services
           ) -> Iterator[dict[str, str]]:
    """A case's page at each stage a person meets: concern, plan drafted, supported (with
    documents), closed."""
    ids = seed_registers(web_settings.eventsourcing_env())
    made = {"concern": Case(site, staff), "plan drafted": _planned(Case(site, staff)),
            "supported": _with_documents(_supported(_planned(Case(site, staff)), ids),
                                         web_services)}
    closed = _planned(Case(site, staff))
    closed.do("liaison", "plan/agreement", {"reason": "The cabinet accepts the plan"})
    closed.do("coordinator", "closure", IMPROVED)
    made["closed"] = closed
    yield {stage: f"{site}/case/{case.id}" for stage, case in made.items()}
    for case in made.values():
        case.api.close()


def _links(page: Any, selector: str) -> list[str]:
    return [urljoin(page.url, href) for href in
            page.eval_on_selector_all(selector, "links => links.map(a => a.getAttribute('href'))")
            if href and not href.startswith("#")]


def _pages(page: Any, site: str, cases: dict[str, str]) -> list[str]:
    """The main pages this person has: the service navigation's, each register and region,
    each case at each stage they may read, and each form and match page offered there."""
    page.goto(f"{site}/account")  # every role has an account page, and the navigation
    found = [f"{site}/account", *_links(page, ".govuk-service-navigation__list a")]
    if f"{site}/registers/authorities" in found:
        page.goto(f"{site}/registers/authorities")
        found += _links(page, "main a[href^='/registers/']")  # each register
    if f"{site}/region-policy" in found:  # an admin chooses a region; a coordinator has one
        page.goto(f"{site}/region-policy")
        found += _links(page, "main a[href^='/region-policy/']")[:1]
    if f"{site}/people" in found:  # the people this person manages, one of them, the forms
        page.goto(f"{site}/people")
        found += [f"{site}/people/add", *_links(page, "main td a[href^='/people/']")[:1]]
        if len(found) and found[-1].startswith(f"{site}/people/") and "/add" not in found[-1]:
            found.append(found[-1] + "/change")
    if f"{site}/records" in found:  # what names a person, and the redaction forms it links
        page.goto(f"{site}/records/naming?person=cora")
        found += [page.url, *_links(page, "main a[href*='/redact']")[:1],
                  *_links(page, "main a[href$='/redact']")[:1]]
    forms: dict[str, str] = {}
    for url in cases.values():
        if page.goto(url).status == 200:
            found.append(url)
            for link in _links(page, "main a[href*='/do/'], main a[href$='/support-matches'], "
                                     "main a[href$='/attach-document']"):
                forms.setdefault(link.rsplit(url, 1)[-1], link)  # each form once
    found += forms.values()
    if page.goto(f"{site}/account") and page.locator("form[role=search]").count():
        found += [f"{site}/search?q=shire", f"{site}/search?q=nothing+like+it",
                  f"{site}/search?q=&page=2"]  # results, none, and no words yet
    found.append(f"{site}/case/{uuid4()}")  # a problem page: no such case
    return list(dict.fromkeys(found))


ROLES = list(STAFF)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_has_fits_the_screen_passes_axe_and_speaks_plainly(
        browser, site, staff, stages, role):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{site}/sign-in")
    checked = {f"{site}/sign-in": _check(page)}
    sign_in(page, site, staff[role])
    for url in _pages(page, site, stages):
        page.goto(url)
        checked[url] = _check(page)
    broken = {url: seen["broken"] for url, seen in checked.items() if seen["broken"]}
    assert not broken, f"{role}: " + "\n".join(f"{u}: {b}" for u, b in broken.items())
    coded = {url: seen["words"] for url, seen in checked.items() if seen["words"]}
    assert not coded, f"{role} reads code words:\n" + "\n".join(
        f"{url.removeprefix(site)}: {words}" for url, words in coded.items())


def _check(page: Any) -> dict[str, Any]:
    """axe and reflow, as failures to list; the code words a person would read."""
    broken = []
    for check in (accessible, fits):
        try:
            check(page)
        except AssertionError as failure:
            broken.append(str(failure)[:1500])
    usernames = [user["username"] for user in STAFF.values()]
    return {"broken": broken, "words": plain_words(page, usernames)}
