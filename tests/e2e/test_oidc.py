"""OIDC: JWTs signed by the identity provider's key, fetched from its JWKS URL over HTTP."""

import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import UUID

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from api.main import create_app
from tests.e2e.conftest import bearer, register_authorities, serve
from tests.helpers import OPEN_CASE

ISSUER = "https://login.example.gov.uk"


def _key(kid: str):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture(scope="module")
def provider():
    """A real local HTTP server publishing the provider's signing key as a JWKS."""
    private, jwk = _key("key-1")
    body = json.dumps({"keys": [jwk]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield private, f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def _token(private, *, kid: str = "key-1", issuer: str = ISSUER, minutes: int = 5,
           **claims) -> str:
    now = datetime.now(UTC)
    payload = {"iss": issuer, "sub": "dana@northwest.example", "aud": "casework",
               "iat": now, "exp": now + timedelta(minutes=minutes), **claims}
    return jwt.encode(payload, private, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def oidc_url(provider, settings, services):
    configured = settings.model_copy(update={
        "oidc_issuer": ISSUER, "oidc_jwks_url": provider[1], "oidc_audience": "casework",
        "temporal_address": "127.0.0.1:1"})
    register_authorities(settings)
    server, thread, url = serve(create_app(configured, services=services))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_coordinator_signed_in_with_the_identity_provider_opens_a_case(
        provider, oidc_url, cases):
    token = _token(provider[0], casework_role="coordinator", casework_region="North West")
    response = httpx.post(f"{oidc_url}/cases", json=OPEN_CASE, headers=bearer(token))
    assert response.status_code == 201, response.text
    history = cases.history(UUID(response.json()["id"]))
    assert history[0]["actor"] == {"id": "dana@northwest.example", "role": "coordinator"}


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_tokens_that_are_expired_forged_foreign_or_roleless_are_refused(provider, oidc_url,
                                                                        cases):
    forger, _ = _key("key-1")
    refused = {
        "expired": _token(provider[0], minutes=-1, casework_role="coordinator",
                          casework_region="North West"),
        "forged": _token(forger, casework_role="coordinator", casework_region="North West"),
        "other issuer": _token(provider[0], issuer="https://evil.example",
                               casework_role="coordinator", casework_region="North West"),
        "no role": _token(provider[0]),
        "unknown role": _token(provider[0], casework_role="superuser"),
    }
    for why, token in refused.items():
        response = httpx.post(f"{oidc_url}/cases", json=OPEN_CASE, headers=bearer(token))
        assert response.status_code == 401, why
    assert cases.case_ids() == []


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_local_tokens_still_work_beside_oidc(oidc_url, tokens):
    response = httpx.get(f"{oidc_url}/cases", headers=bearer(tokens["inspector"]))
    assert response.status_code == 200


def _post_on(url: str, token: str, case_id: str, path: str, body: dict) -> httpx.Response:
    current = httpx.get(f"{url}/cases/{case_id}", headers=bearer(token))
    return httpx.post(f"{url}/cases/{case_id}/{path}", json=body,
                      headers={**bearer(token), "If-Match": current.headers["etag"]})


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_government_office_signed_in_with_the_provider_reads_a_case_while_granted(
        provider, oidc_url, tokens):
    gus = _token(provider[0], sub="gus@locality.example.gov.uk",
                 casework_role="government office")
    cora = tokens["coordinator"]
    opened = httpx.post(f"{oidc_url}/cases", json=OPEN_CASE, headers=bearer(cora)).json()
    grant = {"grantee": "gus@locality.example.gov.uk", "reason": "The locality team joins"}

    unknown = _post_on(oidc_url, cora, opened["id"], "confidential-access", grant)
    assert unknown.status_code == 422, unknown.text  # never signed in: not known here
    assert httpx.get(f"{oidc_url}/cases", headers=bearer(gus)).json()["cases"] == []
    granted = _post_on(oidc_url, cora, opened["id"], "confidential-access", grant)
    assert granted.status_code == 200, granted.text

    read = httpx.get(f"{oidc_url}/cases/{opened['id']}", headers=bearer(gus))
    assert read.status_code == 200 and read.json()["authority"] == OPEN_CASE["authority"]
    refused = _post_on(oidc_url, gus, opened["id"], "intelligence",
                       {"content": "x", "source": "y"})
    assert refused.status_code == 403
    revoked = _post_on(oidc_url, cora, opened["id"], "confidential-access/revocation",
                       {**grant, "reason": "The review is over"})
    assert revoked.status_code == 200, revoked.text
    gone = httpx.get(f"{oidc_url}/cases/{opened['id']}", headers=bearer(gus))
    assert gone.status_code == 404


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_directory_follows_the_provider_and_a_deactivation_here_still_refuses(
        provider, oidc_url, tokens, identity):
    sub = "dana@northwest.example"
    as_coordinator = _token(provider[0], sub=sub, casework_role="coordinator",
                            casework_region="North West")
    cora = tokens["coordinator"]
    opened = httpx.post(f"{oidc_url}/cases", json=OPEN_CASE, headers=bearer(cora))
    unknown = _post_on(oidc_url, cora, opened.json()["id"], "owner",
                       {"owner": sub, "reason": "Dana takes the case on"})
    assert unknown.status_code == 422, unknown.text  # never signed in: not known here
    assert httpx.get(f"{oidc_url}/cases", headers=bearer(as_coordinator)).status_code == 200
    assert identity.user(sub)["role"] == "coordinator"
    handed = _post_on(oidc_url, cora, opened.json()["id"], "owner",
                      {"owner": sub, "reason": "Dana takes the case on"})
    assert handed.status_code == 200 and handed.json()["owner"] == sub, handed.text

    as_inspector = _token(provider[0], sub=sub, casework_role="inspector")
    assert httpx.get(f"{oidc_url}/cases", headers=bearer(as_inspector)).status_code == 200
    assert (identity.user(sub)["role"], identity.user(sub)["region"]) == ("inspector", None)
    identity.deactivate(sub)
    refused = httpx.get(f"{oidc_url}/cases", headers=bearer(as_inspector))
    assert refused.status_code == 401, refused.text
