"""A store written before services/ became packages opens, reads and verifies today.

Every stored topic of that release (`domain.*`, `services.identity:TokenIndex`,
`services.idempotency:KeyedRequest`: stored topic names) still resolves, every event decodes, the case's
history verifies against the checkpoint signed then, the token issued then still signs
in, the idempotency keys still answer, the page session still opens, and the case list
is brought up to date from that log.
"""

import shutil
from pathlib import Path
from uuid import UUID

import pytest

from services.audit.checkpoints import CheckpointLedger, verify_against_checkpoint
from services.bootstrap import build_services
from services.caselist.migrations import migrate
from services.caselist.projection import CaseListView
from services.cases.idempotency import IdempotencyStore, KeyedRequest
from services.identity.web_sessions import SessionStore
from services.ops.encrypt_store import encrypt_store
from services.platform.settings import Settings

FIXTURE = Path(__file__).parents[1] / "fixtures" / "store-before-packages"
CASE = UUID("a39aee3b-11e7-4568-9eb9-df8b13a4c4c5")
TOKEN = "cw_ltQSPT7G8QCmhYxdq6icrgH3mwc9MOJ0j7EarkgKGLU"
SESSION = "mU9-jHR0OZ6MthFMxBcWOMyREsQ8dahTwhRn3RJGmH4"


@pytest.fixture
def old_store(tmp_path: Path) -> Settings:
    data = tmp_path / "var"
    data.mkdir(mode=0o700)
    for name in ("casework.sqlite", "access.sqlite"):
        shutil.copy(FIXTURE / name, data / name)
    settings = Settings(data_dir=data, store="sqlite",
                        checkpoint_public_keys=str(FIXTURE / "checkpoint-ed25519.pub.pem"))
    encrypt_store(settings)  # the documented upgrade: the old release wrote in the clear
    return settings


def _notifications(application) -> list:
    return application.recorder.select_notifications(start=1, limit=100_000)


def test_every_stored_event_of_the_old_release_resolves_and_decodes(old_store: Settings):
    """Each event is read by the application that wrote it (its own transcodings)."""
    services = build_services(old_store)
    cases, people, registers = services.cases, services.identity, services.registers
    reader = {"domain.case": cases, "services.idempotency": cases,  # stored topic
              "domain.policy": services.policies}
    try:
        read = [(reader.get(n.topic.split(":")[0], registers).mapper.to_domain_event(n))
                for n in _notifications(cases)]
        read += [people.mapper.to_domain_event(n) for n in _notifications(people)]
        kinds = {type(event).__qualname__ for event in read}
        assert {"KeyedRequest.Answered", "TokenIndex.Created", "Case.ConcernRaised",
                "Authority.Registered", "Peer.Accredited", "SupportOffer.Published",
                "RegionPolicy.PolicySet", "User.UserRegistered"} <= kinds
        assert len(read) == 105 + 3  # every row of both files
    finally:
        services.close()


def test_the_old_case_verifies_against_the_checkpoint_signed_then(old_store: Settings):
    services = build_services(old_store)
    cases = services.cases
    ledger = CheckpointLedger.configured(old_store)
    try:
        result = verify_against_checkpoint(cases, ledger, CASE)
        assert result.ok, result.as_dict()
        assert result.checkpoint is not None and result.checkpoint["ok"]
        assert cases.get_case(CASE)["version"] == 2
    finally:
        ledger.close()
        services.close()


def test_the_old_token_signs_in_and_the_old_keys_still_answer(old_store: Settings):
    services = build_services(old_store)
    people, cases = services.identity, services.cases
    try:
        assert people.authenticate(TOKEN).id == "cora"
        store = IdempotencyStore(cases)
        record = cases.repository.get(KeyedRequest.create_id("cora", "fixture-1"))
        assert store.recorded(_keyed("cora", "fixture-1", record.request)).case_id == CASE
    finally:
        services.close()


def test_the_old_page_session_still_opens(old_store: Settings):
    sessions = SessionStore(old_store, idle_seconds=10 ** 9)
    try:
        session = sessions.find(SESSION)
        assert session is not None and session.token == TOKEN
    finally:
        sessions.close()


def test_the_case_list_catches_up_from_the_old_log(old_store: Settings):
    migrate(old_store)
    services = build_services(old_store)
    cases = services.cases
    view = CaseListView(old_store)
    try:
        view.catch_up(cases)
        page, _ = view.list_cases(limit=100)
        listed = {str(row["case_id"]) for row in page}
        assert str(CASE) in listed
        assert len(listed) == 4
    finally:
        view.close()
        services.close()


def _keyed(owner: str, key: str, request: str):
    from services.cases.idempotency import Keyed

    return Keyed(owner=owner, key=key, request=request)
