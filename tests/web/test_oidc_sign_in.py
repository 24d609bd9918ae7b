"""Signing in to the pages through an identity provider: authorization code with PKCE.

The provider is a real local HTTP server that publishes its discovery document
and keys, approves at /authorize, and at /token hands out an ID token only for
the right code, redirect URI and PKCE verifier.
"""

import base64
import hashlib
import json
import secrets
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from api.main import create_app
from tests.e2e.conftest import serve
from tests.web.browser import accessible

CLIENT = "casework-pages"


class Provider:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}
        self.refused: list[str] = []
        self.signed_out: list[dict[str, str]] = []
        self.claims = {"sub": "dana@northwest.example", "name": "Dana",
                       "casework_role": "coordinator", "casework_region": "North West"}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the standard library's name
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, {
                        "issuer": provider.issuer, "jwks_uri": f"{provider.issuer}/jwks",
                        "authorization_endpoint": f"{provider.issuer}/authorize",
                        "token_endpoint": f"{provider.issuer}/token",
                        "end_session_endpoint": f"{provider.issuer}/logout"})
                if url.path == "/logout":
                    provider.signed_out.append(query)
                    self.send_response(303)
                    self.send_header("Location", query["post_logout_redirect_uri"])
                    self.end_headers()
                    return None
                if url.path == "/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(provider.private.public_key()))
                    return self._json(200, {"keys": [{**jwk, "kid": "k1", "alg": "RS256"}]})
                if url.path == "/authorize":
                    assert query["code_challenge_method"] == "S256"
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    back = urlencode({"code": code, "state": query["state"]})
                    self.send_response(303)
                    self.send_header("Location", f"{query['redirect_uri']}?{back}")
                    self.end_headers()
                    return None
                return self._json(404, {})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                asked = provider.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(
                    hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if (asked is None or challenge != asked["code_challenge"]
                        or form.get("redirect_uri") != asked["redirect_uri"]
                        or form.get("client_id") != CLIENT):
                    provider.refused.append(form.get("code", ""))
                    return self._json(400, {"error": "invalid_grant"})
                now = datetime.now(UTC)
                token = jwt.encode({"iss": provider.issuer, "aud": CLIENT, "iat": now,
                                    "exp": now + timedelta(minutes=5),
                                    "nonce": asked["nonce"], **provider.claims},
                                   provider.private, algorithm="RS256", headers={"kid": "k1"})
                return self._json(200, {"id_token": token, "token_type": "Bearer"})

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_):
                pass

        return Handler


@pytest.fixture
def provider():
    found = Provider()
    threading.Thread(target=found.server.serve_forever, daemon=True).start()
    yield found
    found.server.shutdown()


@pytest.fixture
def sso_site(provider, web_settings, web_services):
    settings = web_settings.model_copy(update={
        "oidc_issuer": provider.issuer, "oidc_jwks_url": f"{provider.issuer}/jwks",
        "oidc_audience": CLIENT, "oidc_client_id": CLIENT})
    server, thread, url = serve(create_app(settings, services=web_services))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_a_coordinator_signs_in_with_the_identity_provider(browser, sso_site, provider):
    page = browser.new_context().new_page()
    page.goto(f"{sso_site}/my-work")
    accessible(page)
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    page.wait_for_url("**/my-work")
    assert "Signed in as Dana, regional coordinator in North West" in page.inner_text("header")
    assert page.get_by_role("button", name="Open a case").count() == 1
    assert provider.refused == []  # the code came back with the PKCE verifier that matched


def test_a_callback_that_this_browser_did_not_start_is_refused(browser, sso_site, provider):
    page = browser.new_context().new_page()
    answer = page.goto(f"{sso_site}/sign-in/oidc/callback?code=stolen&state=made-up")
    assert answer.status == 403
    assert "casework_session" not in {c["name"] for c in page.context.cookies()}


def test_a_token_without_a_casework_role_signs_nobody_in(browser, sso_site, provider):
    provider.claims = {"sub": "someone@example", "name": "Someone"}
    page = browser.new_context().new_page()
    page.goto(f"{sso_site}/sign-in")
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    assert "You are not signed in" in page.inner_text("h1")
    assert "casework_session" not in {c["name"] for c in page.context.cookies()}


def test_signing_out_also_ends_the_session_at_the_identity_provider(browser, sso_site, provider):
    page = browser.new_context().new_page()
    page.goto(f"{sso_site}/sign-in")
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    page.wait_for_url("**/my-work")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in?signed_out=1")
    [asked] = provider.signed_out
    assert asked["client_id"] == CLIENT
    assert jwt.decode(asked["id_token_hint"], options={"verify_signature": False})["sub"] \
        == "dana@northwest.example"
    page.goto(f"{sso_site}/my-work")
    assert "/sign-in" in page.url
