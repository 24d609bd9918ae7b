"""The new doors of issue 22 as an attacker tries them, over real HTTP on both stores:
a low role's token, a guessed path, text made to look like syntax or markup."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from api.web.case_file import pdf_of
from services.caselist.inbox_marks import InboxMarks
from services.caselist.saved_views import SavedViews
from services.identity.sign_in_links import LinkRefused, SignInLinks
from tests.helpers import OPEN_CASE
from tests.integration.conftest import bearer
from tests.integration.test_case_lifecycle import plan_agreed, supported
from tests.unit.case_builder import ACTIONS

MARKUP = ('<img src="http://127.0.0.1:9/seen.png"> <link rel="stylesheet" '
          'href="file:///etc/passwd"> <b>bold</b>')


def test_a_peer_finds_a_case_only_by_what_a_peer_may_read(cases, identity, api, tokens):
    """A peer reads a case's summary, not its intelligence, diagnosis or plan: a search
    neither finds the case by those words nor shows them in a snippet."""
    case_id = plan_agreed(cases)
    supported(cases, case_id)
    identity.register_user(username="peer-7", role="peer")
    peer = bearer(identity.issue_token("peer-7"))
    for hidden in ("leadership gap", "stabilise", "interim director", "turnover"):
        answer = api.get("/cases", params={"q": hidden}, headers=peer)
        assert answer.status_code == 200 and answer.json()["total"] == 0, hidden
    answer = api.get("/cases", params={"q": "northshire"}, headers=peer)
    assert [c["case_id"] for c in answer.json()["cases"]] == [str(case_id)]
    shown = str(answer.json())
    assert "Leadership" not in shown and "Stabilise" not in shown
    assert "inadequate" in shown  # the summary, which a peer reads
    inspector = bearer(tokens["ines"])  # who reads the whole case finds it by them
    assert api.get("/cases", params={"q": "leadership gap"}, headers=inspector
                   ).json()["total"] == 1


def test_a_coordinator_reaches_no_one_beyond_their_region_and_writes_nothing(identity, api,
                                                                           tokens):
    """cora coordinates East Midlands: she can neither make an admin, nor add or change
    anyone of another region (nor herself), nor take over a name already used."""
    identity.register_user(username="sam", role="adviser", region="South East",
                           email="sam@se.example")
    before = {u["username"]: u for u in identity.users()}
    refused = [
        api.post("/users", json={"username": "eve", "role": "admin"}),
        api.post("/users", json={"username": "eve", "role": "coordinator",
                                 "region": "East Midlands"}),
        api.post("/users", json={"username": "eve", "role": "adviser",
                                 "region": "South East"}),
        api.post("/users", json={"username": "sam", "role": "adviser",
                                 "region": "East Midlands", "email": "cora@em.example"}),
        api.patch("/users/sam", json={"email": "cora@em.example"}),
        api.patch("/users/otto", json={"email": "cora@em.example"}),
        api.patch("/users/cora", json={"email": "cora@em.example"}),
        api.post("/users/sam/tokens"),
        api.post("/users/otto/deactivation"),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 409, 403, 403, 403, 403, 403], [
        r.text for r in refused]
    assert {u["username"]: u for u in identity.users()} == before


def page_client(api: httpx.Client, token: str) -> httpx.Client:
    """A browser's view of the pages: signed in through the sign-in form, with its cookie."""
    http = httpx.Client(base_url=str(api.base_url), timeout=30)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/sign-in").text)
    assert csrf is not None
    signed = http.post("/sign-in", data={"csrf_token": csrf.group(1), "token": token})
    assert signed.status_code == 303, signed.text
    return http


@pytest.fixture
def marked_case(cases, identity, api):
    """A North West case whose text is made to look like markup and links, and a page
    client for nora, its region's coordinator."""
    case_id = plan_agreed(cases)
    cases.add_intelligence(case_id, content=f"Officers said {MARKUP}", source="a letter",
                           confidentiality="normal", actor_id="c", actor_role="coordinator")
    identity.register_user(username="nora", role="coordinator", region="North West")
    http = page_client(api, identity.issue_token("nora"))
    yield case_id, http
    http.close()


@pytest.mark.parametrize("page", ["0", "2", "99999999999999999999", "9" * 5000, "x", "²", "١"])
def test_any_page_number_of_a_search_is_answered_never_an_error(marked_case, page):
    _, http = marked_case
    answer = http.get("/search", params={"q": "officers", "page": page})
    assert answer.status_code == 200, answer.text[:300]


def test_a_snippet_shows_markup_in_case_text_as_text(marked_case):
    _, http = marked_case
    answer = http.get("/search", params={"q": "officers"})
    assert answer.status_code == 200
    assert "<img" not in answer.text and "&lt;img src=" in answer.text
    assert "<mark>Officers</mark>" in answer.text.replace("\n", "")


@pytest.fixture
def listener():
    """A web server on loopback that counts what is asked of it: the case file must ask
    nothing, whatever its case's text names."""
    asked: list[str] = []

    class Counting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def test_the_case_file_fetches_nothing_its_text_names(marked_case, listener, tmp_path):
    case_id, http = marked_case
    url, asked = listener
    answer = http.get(f"/case/{case_id}/case-file.pdf")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    # Even markup that reached the renderer unescaped fetches nothing, on the web or on disk.
    pdf_of(f'<img src="{url}/img.png"><link rel="stylesheet" href="{url}/x.css">'
           f'<img src="file://{secret}"><p style="background: url({url}/bg.png)">x</p>')
    assert asked == []


def test_nobody_changes_their_own_role_or_deactivates_themselves(identity, api):
    """Another administrator does it: else the last one could shut everyone out."""
    identity.register_user(username="ada", role="admin")
    token = identity.issue_token("ada")
    http = page_client(api, token)
    before = identity.user("ada")
    own = http.get("/people/ada")
    assert own.status_code == 200 and "/people/ada/change" not in own.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', own.text).group(1)
    assert http.get("/people/ada/change").status_code == 403
    assert http.post("/people/ada/change", data={
        "csrf_token": csrf, "role": "inspector"}).status_code == 403
    assert http.get("/people/ada/deactivate").status_code == 403
    assert http.post("/people/ada/deactivate", data={"csrf_token": csrf}).status_code == 403
    assert api.post("/users/ada/deactivation", headers=bearer(token)).status_code == 403
    assert identity.user("ada") == before
    http.close()


@pytest.mark.parametrize("email", sorted([
    "lia@council.example\nBcc:eve@evil.example", "lia@council.example\nX-Priority:1",
    "lia\t@council.example", "lia@council.example\x00", "lia@council.example\u2028x"]))
def test_an_address_that_would_break_an_email_header_is_refused_naming_email(identity, api,
                                                                            email):
    identity.register_user(username="sam", role="adviser", region="East Midlands",
                           email="sam@council.example")
    created = api.post("/users", json={"username": "eve", "role": "adviser",
                                       "region": "East Midlands", "email": email})
    identity.register_user(username="ada", role="admin")
    changed = api.patch("/users/sam", json={"email": email},
                        headers=bearer(identity.issue_token("ada")))  # who may move one
    for answer in (created, changed):
        assert answer.status_code == 422, answer.text
        assert "email" in answer.text
    assert identity.user("sam")["email"] == "sam@council.example"
    assert "eve" not in {u["username"] for u in identity.users()}


def test_a_deactivated_persons_role_is_not_changed(identity, api):
    identity.register_user(username="ada", role="admin")
    identity.register_user(username="gone", role="inspector")
    identity.deactivate("gone")
    before = identity.user("gone")
    http = page_client(api, identity.issue_token("ada"))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/people").text).group(1)
    refused = http.post("/people/gone/change", data={"csrf_token": csrf, "role": "admin"})
    assert refused.status_code == 422 and "The user is deactivated" in refused.text
    assert identity.user("gone") == before
    http.close()


def test_a_notification_reaches_only_its_council_and_no_one_marks_anothers(cases, identity,
                                                                           api, settings):
    case_id = cases.open_case(**OPEN_CASE, actor_id="cora", actor_role="coordinator")
    cases.record_diagnosis(case_id, summary="Weak leadership", problem_natures=["capability"],
                           actor_id="cora", actor_role="coordinator")
    cases.draft_plan(case_id, summary="Stabilise", actions=ACTIONS, adviser_id="adam",
                     actor_id="cora", actor_role="coordinator")
    cases.ask_council_to_agree(case_id, note="Ready for cabinet", actor_id="cora",
                               actor_role="coordinator")
    identity.register_user(username="lia", role="authority liaison",
                           authority=OPEN_CASE["authority"])
    identity.register_user(username="sol", role="authority liaison",
                           authority="Southshire District Council")
    lia = page_client(api, identity.issue_token("lia"))
    key = re.search(r'name="item" value="([^"]+)"', lia.get("/notifications").text).group(1)
    assert key.startswith(f"agree:{case_id}")
    sol = page_client(api, identity.issue_token("sol"))
    listed = sol.get("/notifications")
    assert listed.status_code == 200 and OPEN_CASE["authority"] not in listed.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', listed.text).group(1)
    refused = sol.post("/notifications/mark", data={"csrf_token": csrf, "item": key,
                                                    "mark": "seen"})
    assert refused.status_code == 404
    marks = InboxMarks(settings)  # read as another process would
    assert marks.marks_of("sol") == {}
    marks.close()
    lia.close()
    sol.close()


def test_a_coordinator_holds_no_key_of_the_people_they_manage(services, api):
    """sam advises cases in any region: cora (East Midlands, who manages him) could read
    them as him with his token, or with a link sent to an address she gave him."""
    services.identity.register_user(username="sam", role="adviser", region="East Midlands",
                                    email="sam@council.example")
    token = api.post("/users/sam/tokens")
    moved = api.patch("/users/sam", json={"email": "cora@em.example"})
    assert (token.status_code, moved.status_code) == (403, 403), (token.text, moved.text)
    assert services.identity.user("sam")["email"] == "sam@council.example"
    assert api.patch("/users/sam", json={"digest": True}).status_code == 200  # still hers


def test_a_link_sent_to_an_old_address_stops_working_when_the_address_changes(
        settings, services, api):
    """Sent to sam's old mailbox, which may no longer be his (or never was)."""
    services.identity.register_user(username="sam", role="adviser", region="East Midlands",
                                    email="sam@old.example")
    links = SignInLinks(settings)
    token = links.make("sam", sent_by="cora")
    services.identity.register_user(username="ada", role="admin")
    admin = bearer(services.identity.issue_token("ada"))  # only an admin moves an address
    assert api.patch("/users/sam", json={"email": "sam@new.example"},
                     headers=admin).status_code == 200
    with pytest.raises(LinkRefused):
        links.use(token)
    kept = links.make("sam", sent_by="cora")  # a link sent now is to the new address
    assert api.patch("/users/sam", json={"digest": True}).status_code == 200
    assert links.use(kept) == "sam"
    links.close()


def test_a_reference_of_a_case_one_may_not_see_is_answered_as_one_no_case_has(cases, api):
    """cora coordinates East Midlands: asking for North West's cases by reference tells
    her neither that they exist nor their ids, whatever the path or its case."""
    case_id = cases.open_case(**OPEN_CASE, actor_id="nora", actor_role="coordinator")
    reference = cases.get_case(case_id)["reference"]
    unused = reference[:-1] + "9"
    for path in ("", "/history", "/events"):
        asked = api.get(f"/cases/{reference}{path}")
        nothing = api.get(f"/cases/{unused}{path}")
        lower = api.get(f"/cases/{reference.lower()}{path}")
        assert asked.status_code == nothing.status_code == lower.status_code == 404
        assert str(case_id) not in asked.text + lower.text
        assert asked.json()["detail"] == nothing.json()["detail"].replace(unused, reference)


def test_a_view_shared_with_a_region_leaves_it_with_its_sharer(settings, services, api):
    """nora shared a view with North West, then moved to South East: its filters are no
    longer North West's to see."""
    for username, role, region in (("nora", "coordinator", "North West"),
                                   ("nick", "coordinator", "North West"),
                                   ("ada", "admin", None)):
        services.identity.register_user(username=username, role=role, region=region)
    views = SavedViews(settings)
    views.save("nora", "Nora's watch list", {"authority": "Northshire County Council"})
    views.share("nora", "Nora's watch list", "North West")
    views.close()
    nick = page_client(api, services.identity.issue_token("nick"))
    assert "Nora&#39;s watch list" in nick.get("/my-work").text
    ada = page_client(api, services.identity.issue_token("ada"))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', ada.get("/people").text).group(1)
    moved = ada.post("/people/nora/change", follow_redirects=False, data={
        "csrf_token": csrf, "role": "coordinator", "region": "South East"})
    assert moved.status_code == 303, moved.text
    assert "Nora&#39;s watch list" not in nick.get("/my-work").text
    nick.close()
    ada.close()


def test_the_government_office_finds_only_the_case_granted_to_it_while_the_grant_stands(
        services, api):
    cases, identity = services.cases, services.identity
    services.registers.register_authority(actor_id="test", name=OPEN_CASE["authority"],
                                          authority_type="county", region=OPEN_CASE["region"])
    identity.register_user(username="gus", role="government office")
    gus = bearer(identity.issue_token("gus"))
    cora = dict(actor_id="cora", actor_role="coordinator")
    granted, other = (cases.open_case(**OPEN_CASE, **cora) for _ in range(2))
    cases.add_intelligence(granted, content="Members were warned", source="A neighbour",
                           confidentiality="Chatham House", **cora)

    def found(q: str) -> list[str]:
        answer = api.get("/cases", params={"q": q}, headers=gus)
        assert answer.status_code == 200, answer.text
        return [c["case_id"] for c in answer.json()["cases"]]

    assert found("northshire") == []
    cases.grant_confidential_access(granted, grantee="gus", reason="Locality team", **cora)
    assert found("northshire") == [str(granted)] and str(other) not in str(found("children"))
    assert found("warned") == []  # Chatham House: never indexed, for anyone
    cases.revoke_confidential_access(granted, grantee="gus", reason="Over", **cora)
    assert found("northshire") == []
