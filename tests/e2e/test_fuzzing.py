"""Schemathesis against the served API: generated requests from the OpenAPI document.

At least 1,000 requests, valid and invalid, as a coordinator and as an inspector:
no answer is a 5xx,
every status is one the document declares for that route, and every body and
content type conforms to it. Half of the requests name a real case, so case
routes are exercised past their 404.
"""

import asyncio
import os
from collections.abc import Callable

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE

pytestmark = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROLES = ("coordinator", "inspector")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
EXAMPLES_PER_OPERATION = int(os.environ.get("CASEWORK_FUZZ_EXAMPLES", "10"))
AT_LEAST = 1000


def _strategy(operation, case_id: str) -> st.SearchStrategy:
    names = {p.name for p in operation.iter_parameters()}
    known = {k: v for k, v in {"case_id": case_id, "name": OPEN_CASE["authority"]}.items()
             if k in names}
    strategies = [operation.as_strategy(mode) for mode in MODES]
    if known:
        strategies += [operation.as_strategy(mode, path_parameters=known) for mode in MODES]
    return st.one_of(*strategies)


def _fuzz(operation, strategy, url: str, headers: dict[str, str],
          seen: Callable[[str], None], session: requests.Session) -> None:
    @given(case=strategy)
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        response = case.call(base_url=url, headers=headers, session=session, timeout=30)
        seen(f"{case.method} {case.path} {response.status_code}")
        case.validate_response(response, checks=CHECKS)

    check()


async def test_generated_requests_get_no_5xx_and_only_documented_answers(api_url, tokens):
    opened = httpx.post(f"{api_url}/cases", json=OPEN_CASE,
                        headers=bearer(tokens["coordinator"]))
    assert opened.status_code == 201, opened.text
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json")
    answers: list[str] = []
    failures: list[str] = []
    session = requests.Session()

    def fuzz_every_operation() -> None:
        for result in schema.get_all_operations():
            operation = result.ok()
            strategy = _strategy(operation, opened.json()["id"])
            for role in ROLES:
                try:
                    _fuzz(operation, strategy, api_url, bearer(tokens[role]), answers.append,
                          session)
                except Exception as failure:  # noqa: BLE001 - collected, reported together
                    failures.append(f"{role} {operation.label}: {failure}"[:3000])

    # Off the event loop, where the test's Temporal worker runs (it answers /stage).
    await asyncio.to_thread(fuzz_every_operation)
    assert failures == [], "\n\n".join(failures)
    assert len(answers) >= AT_LEAST, len(answers)
