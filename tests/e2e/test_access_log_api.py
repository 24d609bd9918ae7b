"""Who has seen what, over HTTP on both stores: every read and search recorded once, in
the access log; read back only by those the role rule allows; exported and verified."""

import json

import pytest

from deploy.cli import main as cli
from services.audit.signing import SigningKey, public_path
from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE
from tests.integration.test_access_log import run_sql
from tests.integration.test_checkpoints import a_case


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "keys" / "checkpoint.pem"
    SigningKey.create(path)
    return path


@pytest.fixture
def api_settings(api_settings, key_file):
    return api_settings.model_copy(update={"checkpoint_key_file": key_file})


async def log_of(http, tokens, case_id, who="inspector"):
    answer = await http.get(f"/cases/{case_id}/access-log", headers=bearer(tokens[who]))
    assert answer.status_code == 200, answer.text
    return answer.json()["records"]


async def test_every_read_of_a_case_is_recorded_with_who_what_and_the_door(http, tokens,
                                                                         cases):
    case_id = a_case(cases, reminders=1)
    reference = cases.readable_case(case_id)["reference"]
    cora = bearer(tokens["coordinator"])
    for path in ("", "/history", "/as-of?version=1", "/export", "/stage", "/verification"):
        answer = await http.get(f"/cases/{case_id}{path}", headers=cora)
        assert answer.status_code == 200, (path, answer.text)
    assert (await http.get(f"/cases/{reference}/history", headers=cora)).status_code == 200
    records = await log_of(http, tokens, case_id)
    assert [(r["username"], r["what"], r["door"]) for r in records] == [  # newest first
        ("cora", "history", "api"), ("cora", "verification", "api"), ("cora", "state", "api"),
        ("cora", "export", "api"), ("cora", "as of", "api"), ("cora", "history", "api"),
        ("cora", "state", "api")]
    assert {r["role"] for r in records} == {"coordinator"}
    again = await log_of(http, tokens, case_id)  # reading the log was a read of the case too
    assert (again[0]["username"], again[0]["what"]) == ("ines", "access log")
    assert {r["case_id"] for r in records} == {str(case_id)}
    assert {r["reference"] for r in records} == {reference}


async def test_a_read_under_another_spelling_of_the_case_id_is_recorded_all_the_same(
        http, tokens, cases):
    case_id = a_case(cases, reminders=0)
    cora = bearer(tokens["coordinator"])
    spellings = [str(case_id).upper(), case_id.hex, f"{{{case_id}}}", f"urn:uuid:{case_id}"]
    for spelt in spellings:
        answer = await http.get(f"/cases/{spelt}/history", headers=cora)
        assert answer.status_code == 200, (spelt, answer.text)
    records = await log_of(http, tokens, case_id)
    assert [(r["what"], r["case_id"]) for r in records] == [
        ("history", str(case_id))] * len(spellings)


async def test_refusals_health_checks_and_lists_are_not_reads(http, tokens, cases):
    case_id = a_case(cases, reminders=0)
    assert (await http.get(f"/cases/{case_id}", headers=bearer(tokens["other coordinator"]))
            ).status_code == 404
    assert (await http.get(f"/cases/{case_id}/history")).status_code == 401
    assert (await http.get("/health")).status_code == 200
    assert (await http.get("/cases", headers=bearer(tokens["coordinator"]))).status_code == 200
    assert await log_of(http, tokens, case_id) == []
    mine = (await http.get("/me/access-log", headers=bearer(tokens["coordinator"]))).json()
    assert mine["records"] == []


async def test_a_search_is_recorded_with_its_words_for_the_person_who_searched(http, tokens,
                                                                             cases):
    a_case(cases, reminders=0)
    cora = bearer(tokens["coordinator"])
    assert (await http.get("/cases", params={"q": "Northshire"}, headers=cora)
            ).status_code == 200
    mine = (await http.get("/me/access-log", headers=cora)).json()["records"]
    assert [(r["what"], r["door"], r["query"], r["case_id"]) for r in mine] == [
        ("search", "api", "Northshire", None)]
    theirs = (await http.get("/me/access-log", headers=bearer(tokens["inspector"]))).json()
    assert theirs["records"] == []  # each sees only their own


async def test_a_search_naming_its_words_twice_is_recorded_with_the_words_searched(
        http, tokens, cases):
    a_case(cases, reminders=0)
    cora = bearer(tokens["coordinator"])
    found = await http.get("/cases?q=nothing+here&q=Northshire", headers=cora)
    assert [c["authority"] for c in found.json()["cases"]] == [OPEN_CASE["authority"]]
    mine = (await http.get("/me/access-log", headers=cora)).json()["records"]
    assert [r["query"] for r in mine] == ["Northshire"]


@pytest.mark.parametrize("who, status", [
    ("inspector", 200), ("admin", 200), ("coordinator", 200),
    ("adviser", 404), ("peer", 404), ("authority liaison", 403),
    ("government office", 404), ("other coordinator", 404)])
async def test_only_inspectors_admins_and_the_regions_coordinators_read_a_cases_log(
        http, tokens, cases, who, status):
    case_id = a_case(cases, reminders=0)
    answer = await http.get(f"/cases/{case_id}/access-log", headers=bearer(tokens[who]))
    assert answer.status_code == status, (who, answer.text)


async def test_only_inspectors_and_admins_export_the_whole_log(http, tokens, cases):
    for who, status in (("coordinator", 403), ("authority liaison", 403), ("inspector", 200),
                        ("admin", 200)):
        answer = await http.get("/access-log/export", headers=bearer(tokens[who]))
        assert answer.status_code == status, (who, answer.text)


async def test_an_auditor_verifies_the_export_offline_against_a_checkpoint(
        http, tokens, cases, key_file, tmp_path):
    case_id = a_case(cases, reminders=0)
    cora = bearer(tokens["coordinator"])
    await http.get(f"/cases/{case_id}", headers=cora)
    await http.get("/cases", params={"q": OPEN_CASE["authority"]}, headers=cora)
    assert (await http.post("/checkpoints", headers=cora)).status_code == 201
    await http.get(f"/cases/{case_id}/history", headers=cora)
    export = (await http.get("/access-log/export", headers=bearer(tokens["admin"]))).text
    lines = export.splitlines()
    assert json.loads(lines[-1])["inclusion_proof"]["version"] == 2
    path, pem = tmp_path / "log.jsonl", str(public_path(key_file))
    path.write_text(export)
    assert cli(["verify-access-log", str(path), "--public-key", pem]) == 0
    path.write_text("\n".join(lines[:1] + lines[2:]))  # the first read taken out
    assert cli(["verify-access-log", str(path), "--public-key", pem]) == 1


async def test_a_read_that_cannot_be_recorded_is_refused_not_answered(http, tokens, cases,
                                                                     settings):
    case_id = a_case(cases, reminders=0)
    run_sql(settings, "DROP TABLE access_log")
    answer = await http.get(f"/cases/{case_id}", headers=bearer(tokens["coordinator"]))
    assert answer.status_code == 503
    assert answer.json()["rule"] == "access_not_recorded"
    assert OPEN_CASE["summary"] not in answer.text  # nothing of the case went out
    listed = await http.get("/cases", headers=bearer(tokens["coordinator"]))
    assert listed.status_code == 200  # what is not a read of a case is still answered


async def test_an_inspector_checks_the_log_online_and_a_changed_record_is_named(
        http, tokens, cases, settings):
    case_id = a_case(cases, reminders=0)
    cora, ines = bearer(tokens["coordinator"]), bearer(tokens["inspector"])
    for _ in range(3):
        await http.get(f"/cases/{case_id}", headers=cora)
    assert (await http.post("/checkpoints", headers=cora)).status_code == 201
    checked = (await http.get("/access-log/verification", headers=ines)).json()
    assert checked["ok"] and checked["signed"]["seq"] == 3, checked
    run_sql(settings, "UPDATE access_log SET username = 'ines' WHERE seq = 2")
    checked = (await http.get("/access-log/verification", headers=ines)).json()
    assert not checked["ok"] and "record 2 was altered" in checked["problem"]
