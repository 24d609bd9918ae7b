"""One verification: the API, the case page, the export check and the command line agree.

Each way someone with the database could tamper with a history (flip a byte, delete
an event, swap two, rewrite one and recompute every later link, cut the head off) is
tried on its own case after a checkpoint signed every head; all four give the same
answer, because all four come from `verify_history` (services/eventstore/chain.py).
"""

import html
import json
import re
import subprocess
import sys

import httpx

from api.main import create_app
from services.audit.checkpoints import CheckpointLedger
from services.audit.exports import verify_export
from services.audit.signing import SigningKey, load_public_keys, public_path
from tests.e2e.conftest import bearer, register_authorities, serve
from tests.e2e.test_ladder import signed_in
from tests.helpers import OPEN_CASE
from tests.integration.test_checkpoints import rewrite_with_recomputed_links
from tests.integration.test_history_integrity import key, run_sql, write_state
from tests.integration.test_poison_streams import ACTOR, read_row


def _a_case(cases):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    for n in range(4):
        cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner",
                             reminder_key=f"k{n}")
    return case_id  # versions 1 to 5


def _flip(settings, case_id):
    topic, state = read_row(settings, case_id, 3)
    _set_state(settings, case_id, 3, state.replace(b'"k1"', b'"k9"'))


def _delete(settings, case_id):
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version=3",
            (key(case_id, settings),))


def _swap(settings, case_id):
    third, fourth = read_row(settings, case_id, 3)[1], read_row(settings, case_id, 4)[1]
    _set_state(settings, case_id, 3, fourth)
    _set_state(settings, case_id, 4, third)


def _cut_the_head(settings, case_id):
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version>=4",
            (key(case_id, settings),))


def _set_state(settings, case_id, version, state):
    write_state(settings, case_id, version, state)


TAMPERS = {"flip": _flip, "delete": _delete, "swap": _swap, "cut the head": _cut_the_head,
           "rewrite and recompute": None}
EXPECTED = {"flip": (3, "altered"), "delete": (3, "removed"), "swap": (3, "does not follow"),
            "cut the head": (4, "cut off"), "rewrite and recompute": (5, "rewritten")}


async def test_the_api_the_page_the_export_check_and_the_cli_agree(
        settings, cases, tokens, api_settings, identity, tmp_path):
    register_authorities(settings)
    key_file = tmp_path / "keys" / "checkpoint.pem"
    signing = SigningKey.create(key_file)
    tampered = {name: _a_case(cases) for name in TAMPERS}
    intact = _a_case(cases)
    ledger = CheckpointLedger(settings, key=signing)
    ledger.write(cases)
    ledger.close()
    for name, case_id in tampered.items():
        if name == "rewrite and recompute":
            rewrite_with_recomputed_links(cases, settings, case_id, version=3)
        else:
            TAMPERS[name](settings, case_id)
    served = api_settings.model_copy(update={"checkpoint_key_file": key_file})
    server, thread, url = serve(create_app(served))  # its own services
    try:
        for name, case_id in {**tampered, "intact": intact}.items():
            answers = await _four_answers(url, tokens["coordinator"], case_id,
                                          public_path(key_file), tmp_path)
            assert len(set(answers.values())) == 1, (name, answers)
            ok, version, problem = answers["api"]
            if name == "intact":
                assert ok and version is None
                continue
            assert not ok and version == EXPECTED[name][0], (name, answers)
            assert EXPECTED[name][1] in problem, (name, problem)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _four_answers(url, token, case_id, public_key, tmp_path) -> dict[str, tuple]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        api = (await http.get(f"/cases/{case_id}/verification", headers=bearer(token))).json()
        export = await http.get(f"/cases/{case_id}/export", headers=bearer(token))
        assert export.status_code == 200, export.text
    lines = export.text.splitlines()
    keys = load_public_keys([public_key.read_bytes()])
    checked = verify_export(lines, public_keys=keys).as_dict()
    file = tmp_path / f"{case_id}.jsonl"
    file.write_text(export.text)
    cli = json.loads(subprocess.run(
        [sys.executable, "-m", "deploy.cli", "verify", str(file), "--public-key",
         str(public_key)], capture_output=True, text=True, check=False).stdout)
    async with signed_in(url, token) as browser:
        page = (await browser.get(f"/case/{case_id}")).text
    return {"api": _answer(api), "export check": _answer(checked), "cli": _answer(cli),
            "page": _page_answer(page)}


def _answer(result: dict) -> tuple:
    return result["ok"], result["first_broken_version"], result["problem"]


def _page_answer(page: str) -> tuple:
    broken = re.search(r"The history breaks at its event number (\d+): (.*?)</p>", page, re.S)
    if broken:
        return False, int(broken.group(1)), html.unescape(broken.group(2)).strip()
    assert "none has been altered" in page
    return True, None, None
