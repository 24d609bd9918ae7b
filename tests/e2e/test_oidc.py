"""OIDC: JWTs signed by the identity provider's key, fetched from its JWKS URL over HTTP."""

from uuid import UUID

import httpx
import pytest

from api.main import create_app
from tests.e2e.conftest import bearer, register_authorities, serve
from tests.helpers import ISSUER, OPEN_CASE, id_token, signing_key


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
    token = id_token(provider[0], casework_role="coordinator", casework_region="North West")
    response = httpx.post(f"{oidc_url}/cases", json=OPEN_CASE, headers=bearer(token))
    assert response.status_code == 201, response.text
    history = cases.history(UUID(response.json()["id"]))
    assert history[0]["actor"] == {"id": "dana@northwest.example", "role": "coordinator"}


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_tokens_that_are_expired_forged_foreign_or_roleless_are_refused(provider, oidc_url,
                                                                        cases):
    forger, _ = signing_key("key-1")
    refused = {
        "expired": id_token(provider[0], minutes=-1, casework_role="coordinator",
                          casework_region="North West"),
        "forged": id_token(forger, casework_role="coordinator", casework_region="North West"),
        "other issuer": id_token(provider[0], issuer="https://evil.example",
                               casework_role="coordinator", casework_region="North West"),
        "no role": id_token(provider[0]),
        "unknown role": id_token(provider[0], casework_role="superuser"),
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
    gus = id_token(provider[0], sub="gus@locality.example.gov.uk",
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
    as_coordinator = id_token(provider[0], sub=sub, casework_role="coordinator",
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

    as_inspector = id_token(provider[0], sub=sub, casework_role="inspector")
    assert httpx.get(f"{oidc_url}/cases", headers=bearer(as_inspector)).status_code == 200
    assert (identity.user(sub)["role"], identity.user(sub)["region"]) == ("inspector", None)
    identity.deactivate(sub)
    refused = httpx.get(f"{oidc_url}/cases", headers=bearer(as_inspector))
    assert refused.status_code == 401, refused.text
