"""Over real HTTP: every answer carries the security headers, confidential ones are never
stored by a browser or proxy, HSTS only over TLS, and a 405 names every allowed method."""

import re
import threading
import time

import httpx
import uvicorn

from api.main import create_app
from tests.conftest import free_port
from tests.e2e.conftest import bearer, serve
from tests.helpers import OPEN_CASE

BASE = {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin"}


def _signed_in(client: httpx.Client, token: str) -> None:
    form = client.get("/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/sign-in", data={"csrf_token": csrf, "token": token})
    assert answer.status_code == 303, answer.text


def _base_headers(answer: httpx.Response) -> None:
    for name, value in BASE.items():
        assert answer.headers.get(name) == value, (answer.url, name)
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], answer.url


def test_pages_carry_a_strict_csp_with_a_fresh_nonce_and_are_not_stored(site, people):
    with httpx.Client(base_url=site, timeout=30) as client:
        _signed_in(client, people["coordinator"])
        nonces = []
        for path in ("/sign-in", "/my-work", "/regional-picture", "/docs", "/redoc"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            _base_headers(answer)
            policy = answer.headers["content-security-policy"]
            nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", policy).group(1)
            assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
            assert "object-src 'none'" in policy and "base-uri 'none'" in policy, path
            # every inline script on the page carries this answer's nonce; none without it
            inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", answer.text)
            assert all(f'nonce="{nonce}"' in attributes for attributes in inline), path
            assert answer.headers["cache-control"] == "no-store", path
            nonces.append(nonce)
        assert len(set(nonces)) == len(nonces), "a nonce was used twice"


def test_json_and_exports_about_cases_are_not_stored_and_cannot_be_framed(
        site, people, web_cases):
    case = web_cases.open_case(actor_id="cora", actor_role="coordinator", **OPEN_CASE)
    headers = bearer(people["coordinator"])
    for path in (f"/cases/{case}", f"/cases/{case}/export", f"/cases/{case}/history",
                 "/cases", "/openapi.json", "/no-such-page"):
        answer = httpx.get(site + path, headers=headers)
        _base_headers(answer)
        assert answer.headers["cache-control"] == "no-store", path
        assert answer.headers["content-security-policy"] == \
            "default-src 'none'; frame-ancestors 'none'", path


def test_the_fixed_front_end_assets_may_be_cached(site):
    answer = httpx.get(site + "/vendor/govuk-frontend/dist/govuk/govuk-frontend.min.css")
    assert answer.status_code == 200
    _base_headers(answer)
    assert "no-store" not in answer.headers.get("cache-control", "")


def test_hsts_only_over_tls_as_told_by_a_trusted_proxy(web_settings, web_services):
    app = create_app(web_settings, services=web_services)
    trusted, thread, url = serve(app)  # uvicorn trusts X-Forwarded-* from 127.0.0.1
    try:
        plain = httpx.get(url + "/sign-in")
        over_tls = httpx.get(url + "/sign-in", headers={"X-Forwarded-Proto": "https"})
    finally:
        trusted.should_exit = True
        thread.join(timeout=10)
    assert "strict-transport-security" not in plain.headers
    assert over_tls.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"

    port = free_port()  # the same header from a client that is not a trusted proxy
    untrusted = uvicorn.Server(uvicorn.Config(
        create_app(web_settings, services=web_services), host="127.0.0.1",
        port=port, log_level="warning", forwarded_allow_ips="192.0.2.1"))
    server, thread, url = _started(untrusted, port)
    try:
        forged = httpx.get(url + "/sign-in", headers={"X-Forwarded-Proto": "https"})
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert "strict-transport-security" not in forged.headers


def _started(server: uvicorn.Server, port: int):
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def test_a_405_names_every_method_the_path_allows(site, people):
    headers = bearer(people["coordinator"])
    case = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    for method, path, allowed in (("OPTIONS", "/authorities", "GET, POST"),
                                  ("DELETE", "/authorities", "GET, POST"),
                                  ("PUT", "/cases", "GET, POST"),
                                  ("DELETE", "/budgets", "GET, PUT"),
                                  ("GET", f"/cases/{case}/diagnosis", "POST")):
        answer = httpx.request(method, site + path, headers=headers)
        assert answer.status_code == 405, (method, path)
        assert answer.headers["allow"] == allowed, (method, path)
        assert answer.headers["content-type"] == "application/problem+json"
