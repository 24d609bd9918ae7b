"""Sessions over real HTTP (no browser): cookie flags, CSRF, deactivation, idle expiry."""

import re

import httpx
import pytest

from api.main import create_app
from services.identity import web_sessions as session_module
from services.identity.web_sessions import SessionStore
from tests.e2e.conftest import serve


def _sign_in(client: httpx.Client, token: str) -> httpx.Response:
    form = client.get("/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return client.post("/sign-in", data={"csrf_token": csrf, "token": token, "next": "/my-work"})


def test_the_cookie_is_secure_when_configured(web_settings, web_services, people):
    settings = web_settings.model_copy(update={"session_cookie_secure": True})
    server, thread, url = serve(create_app(settings, services=web_services))
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            cookie = client.get("/sign-in").headers["set-cookie"]
            # Over plain HTTP a browser keeps a Secure cookie back, so signing in fails.
            assert _sign_in(client, people["coordinator"]).status_code == 403
        assert "Secure" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_behind_tls_the_cookie_is_secure_and_locally_it_is_not(site, people):
    with httpx.Client(base_url=site, timeout=30) as client:
        assert "Secure" not in _sign_in(client, people["coordinator"]).headers["set-cookie"]
    with httpx.Client(base_url=site, timeout=30, headers={"X-Forwarded-Proto": "https"}) as client:
        assert "Secure" in _sign_in(client, people["coordinator"]).headers["set-cookie"]


def test_a_wrong_token_or_a_missing_csrf_token_signs_nobody_in(site, people):
    with httpx.Client(base_url=site, timeout=30) as client:
        assert _sign_in(client, "cw_not-a-real-token").status_code == 401
        refused = client.post("/sign-in", data={"token": people["coordinator"]})
        assert refused.status_code == 403 and "casework_session" not in client.cookies


def test_a_deactivated_user_is_signed_out_at_once(site, people, web_identity):
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["inspector"])
        assert client.get("/my-work").status_code == 200
        web_identity.deactivate("ines")
        answer = client.get("/my-work")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")


def test_a_session_unused_for_longer_than_the_idle_time_ends(
        web_settings, monkeypatch: pytest.MonkeyPatch):
    now = [1000.0]
    monkeypatch.setattr(session_module.time, "time", lambda: now[0])
    web_settings.data_dir.mkdir(parents=True)
    store = SessionStore(web_settings, idle_seconds=60)
    try:
        session = store.start("a token")
        now[0] += 59
        assert store.find(session.id) == session
        now[0] += 61
        assert store.find(session.id) is None
    finally:
        store.close()


def test_every_api_process_knows_a_session_and_a_sign_out_ends_it_everywhere(
        site, web_settings, web_services, people):
    """Behind a load balancer each request may reach another process."""
    server, thread, other = serve(create_app(web_settings, services=web_services))
    try:
        with httpx.Client(base_url=site, timeout=30) as first:
            _sign_in(first, people["coordinator"])
            cookie = first.cookies["casework_session"]
            with httpx.Client(base_url=other, timeout=30, cookies={"casework_session": cookie}) as second:
                assert second.get("/my-work").status_code == 200
                page = second.get("/account").text
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
                assert second.post("/sign-out", data={"csrf_token": csrf}).status_code == 303
            answer = first.get("/my-work")
            assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_database_holds_no_session_id_and_no_token_in_the_clear(site, web_settings, people):
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, people["coordinator"])
        cookie = client.cookies["casework_session"]
    stored = b"".join(path.read_bytes() for path in web_settings.data_dir.glob("casework.sqlite*"))
    assert b"casework session" not in stored  # sanity: the hash's label never appears
    assert cookie.encode() not in stored
    assert people["coordinator"].encode() not in stored


def test_an_admin_signing_in_lands_on_their_first_page_not_a_refusal(site, web_identity):
    """An admin has no My work (they manage people and registers, not cases): signing in
    takes them to the first place they may go, not to "You cannot do that"."""
    web_identity.register_user(username="alan", name="Alan Admin", role="admin")
    token = web_identity.issue_token("alan")
    with httpx.Client(base_url=site, timeout=30) as client:
        _sign_in(client, token)
        landed = client.get("/my-work", follow_redirects=True)
        assert landed.status_code == 200, landed.text[:300]
        assert landed.url.path == "/notifications"  # what needs them: disposals proposed
        assert "You cannot do that" not in landed.text
