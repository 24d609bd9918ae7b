"""Users, tokens and idempotency keys on both stores, surviving a restart."""

import time

import pytest

from services.idempotency import IdempotencyStore, KeyInUse
from services.identity import Unauthenticated, UserExists, build_identity_service


@pytest.fixture
def open_identity(settings):
    opened = []

    def make():
        opened.append(build_identity_service(settings))
        return opened[-1]

    yield make
    for service in opened:
        service.close()


def test_a_token_is_recognised_after_a_restart_and_only_its_digest_is_stored(open_identity):
    first = open_identity()
    first.register_user(username="cora", role="coordinator", region="North West")
    token = first.issue_token("cora")
    stored = b"".join(e.state for e in first.recorder.select_notifications(start=1, limit=100))
    assert token.encode() not in stored
    again = open_identity()
    assert again.authenticate(token).id == "cora"
    with pytest.raises(Unauthenticated):
        again.authenticate(token + "x")


def test_a_recognised_token_is_believed_only_for_the_cache_time(open_identity, settings):
    """Deactivation here ends the token at once; one made elsewhere within the cache time."""
    api = open_identity()
    api.token_cache_seconds = 0.5
    api.register_user(username="cora", role="coordinator", region="North West")
    api.register_user(username="ines", role="inspector")
    cora, ines = api.issue_token("cora"), api.issue_token("ines")
    assert api.authenticate(cora).id == "cora" and api.authenticate(ines).id == "ines"

    api.deactivate("ines")
    with pytest.raises(Unauthenticated):
        api.authenticate(ines)

    open_identity().deactivate("cora")  # the command line, in another process
    assert api.authenticate(cora).id == "cora"  # still believed within the cache time
    time.sleep(0.6)
    with pytest.raises(Unauthenticated):
        api.authenticate(cora)


def test_a_username_is_taken_once(open_identity):
    service = open_identity()
    service.register_user(username="ines", role="inspector")
    with pytest.raises(UserExists):
        service.register_user(username="ines", role="admin")


def test_an_answered_idempotency_key_replays_after_a_restart(open_identity):
    keys = IdempotencyStore(open_identity())
    reservation = keys.reserve(owner="cora", key="k1", request="POST /cases abc")
    keys.answer(reservation.record, status=201, body={"id": "1"}, headers={})
    replay = IdempotencyStore(open_identity()).reserve(owner="cora", key="k1",
                                                      request="POST /cases abc")
    assert replay.record is None and replay.replay["body"] == {"id": "1"}


def test_a_key_still_running_or_reused_for_another_request_is_refused(open_identity):
    keys = IdempotencyStore(open_identity())
    keys.reserve(owner="cora", key="k2", request="A")
    with pytest.raises(KeyInUse) as running:
        keys.reserve(owner="cora", key="k2", request="A")
    assert running.value.status == 409
    with pytest.raises(KeyInUse) as other:
        keys.reserve(owner="cora", key="k2", request="B")
    assert other.value.status == 422
    assert keys.reserve(owner="olga", key="k2", request="A").record is not None


def test_an_abandoned_request_may_be_retried(open_identity):
    keys = IdempotencyStore(open_identity())
    reservation = keys.reserve(owner="cora", key="k3", request="A")
    keys.abandon(reservation.record)
    assert keys.reserve(owner="cora", key="k3", request="A").record is not None
