"""Checkpoints over HTTP: written on demand, downloaded by an inspector, checked offline."""

import json
from pathlib import Path

import httpx
import pytest

from api.main import create_app
from deploy.cli import main as verify_cli
from services.audit.signing import SigningKey, public_path
from tests.e2e.conftest import bearer, serve
from tests.integration.test_checkpoints import a_case, rewrite_with_recomputed_links


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "keys" / "checkpoint.pem"
    SigningKey.create(path)
    return path


@pytest.fixture
def api_settings(api_settings, key_file):
    return api_settings.model_copy(update={"checkpoint_key_file": key_file})


async def test_an_inspector_checks_an_export_against_a_checkpoint_it_downloaded(
        http, tokens, cases, settings, key_file, tmp_path):
    case_id = a_case(cases)
    written = await http.post("/checkpoints", headers=bearer(tokens["coordinator"]))
    assert written.status_code == 201, written.text
    checkpoint_id = written.json()["checkpoint"]["id"]
    inspector = bearer(tokens["inspector"])
    listed = (await http.get("/checkpoints", headers=inspector)).json()
    assert [c["id"] for c in listed] == [checkpoint_id]
    kept = (await http.get(f"/checkpoints/{checkpoint_id}", params={"case": str(case_id)},
                           headers=inspector)).json()
    assert kept["inclusion_proof"]["version"] == 5
    assert kept["public_key"]["pem"] == public_path(key_file).read_text()
    verification = (await http.get(f"/cases/{case_id}/verification", headers=inspector)).json()
    assert verification["ok"] and verification["checkpoint"]["included_version"] == 5

    cp_file, export = tmp_path / "cp.json", tmp_path / "case.jsonl"
    cp_file.write_text(json.dumps(kept))
    export.write_text((await http.get(f"/cases/{case_id}/export", headers=inspector)).text)
    assert json.loads(export.read_text().splitlines()[-1])["checkpoint"]["id"] == checkpoint_id
    pem = str(public_path(key_file))
    assert verify_cli(["verify", str(export), "--public-key", pem]) == 0
    assert verify_cli(["verify", str(export), "--checkpoint", str(cp_file),
                       "--public-key", pem]) == 0

    rewrite_with_recomputed_links(cases, settings, case_id, version=2)
    verification = (await http.get(f"/cases/{case_id}/verification", headers=inspector)).json()
    assert not verification["ok"] and "rewritten" in verification["problem"]
    export.write_text((await http.get(f"/cases/{case_id}/export", headers=inspector)).text)
    assert verify_cli(["verify", str(export), "--checkpoint", str(cp_file),
                       "--public-key", pem]) == 1


async def test_only_coordinators_and_admins_write_checkpoints(http, tokens):
    for who, status in (("inspector", 403), ("peer", 403), ("admin", 201)):
        response = await http.post("/checkpoints", headers=bearer(tokens[who]))
        assert response.status_code == status, (who, response.text)
    assert (await http.get("/checkpoints/99", headers=bearer(tokens["inspector"]))
            ).status_code == 404


async def test_a_service_without_a_signing_key_says_so(api_settings, services, tokens):
    unkeyed = api_settings.model_copy(update={"checkpoint_key_file": None})
    server, thread, url = serve(create_app(unkeyed, services=services))
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            response = await client.post("/checkpoints", headers=bearer(tokens["coordinator"]))
        assert response.status_code == 409
        assert response.json()["rule"] == "checkpoint_key_missing"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def test_a_checkpoint_number_no_store_can_hold_is_refused_by_name(http, tokens):
    """Found by fuzzing: 2**96 reached PostgreSQL's bigint and answered 500."""
    inspector = bearer(tokens["inspector"])
    answer = await http.get(f"/checkpoints/{2**96}", headers=inspector)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["checkpoint_id"]
    assert (await http.get("/checkpoints/12345", headers=inspector)).status_code == 404
