"""Sign-in links on both stores: used once, refused after a day, and never stored."""

import sqlite3
import time

import psycopg
import pytest

from services.identity.service import (
    IdentityService,
    Unauthenticated,
    build_identity_service,
    user_id,
)
from services.identity.sign_in_links import LinkRefused, SignInLinks
from services.platform.settings import Settings


@pytest.fixture
def links(settings: Settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    made = SignInLinks(settings)
    yield made
    made.close()


def _rows(settings: Settings) -> list[tuple]:
    """Everything the table holds, read as a copy of the database would be."""
    sql = "SELECT * FROM sign_in_links"
    if settings.store == "postgres":
        with psycopg.connect(settings.postgres_url,
                             options=f"-c search_path={settings.postgres_schema}") as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(settings.sqlite_path) as conn:
        return conn.execute(sql).fetchall()


def test_a_link_lets_its_person_in_once_and_another_process_finds_it_spent(settings, links):
    token = links.make("lia", sent_by="cora")
    other = SignInLinks(settings)
    try:
        assert other.use(token) == "lia"
        with pytest.raises(LinkRefused):
            links.use(token)
    finally:
        other.close()


def test_a_link_is_refused_after_it_expires(settings, links):
    sent = time.time()
    token = links.make("lia", sent_by="cora", now=sent)
    with pytest.raises(LinkRefused):
        links.use(token, now=sent + settings.sign_in_link_hours * 3600 + 1)
    assert links.use(token, now=sent + 60) == "lia"  # within the day it still works


def test_a_tampered_link_is_refused_like_a_spent_one(links):
    token = links.make("lia", sent_by="cora")
    for wrong in (token[:-1], token + "x", "", "a" * 43):
        with pytest.raises(LinkRefused) as refused:
            links.use(wrong)
        assert refused.value.rule == "sign_in_link_refused"
    assert links.use(token) == "lia"


def test_only_the_links_digest_is_stored(settings, links):
    token = links.make("lia", sent_by="cora")
    stored = _rows(settings)
    assert len(stored) == 1
    assert token not in repr(stored)
    assert ("lia", "cora") == stored[0][1:3]


def test_deactivating_a_person_ends_their_links(settings, links):
    identity = build_identity_service(settings, links=links)
    identity.register_user(username="lia", role="adviser", email="lia@example.org")
    cancelled, spent = links.make("lia", sent_by="cora"), links.make("lia", sent_by="cora")
    assert links.use(spent) == "lia"
    identity.deactivate("lia")
    with pytest.raises(LinkRefused):
        links.use(cancelled)
    with pytest.raises(Unauthenticated):  # a link used just before: its person is refused
        identity.signed_in_by_link("lia")
    identity.close()


def test_a_link_sent_and_used_is_recorded_on_the_persons_stream(identity: IdentityService):
    identity.register_user(username="lia", role="adviser", email="lia@example.org")
    identity.sign_in_link_sent("lia", sent_by="cora")
    token = identity.signed_in_by_link("lia")
    assert identity.authenticate(token).id == "lia"
    assert identity.user("lia")["last_signed_in"]
    pasted = identity.issue_token("lia", label="dashboard")
    identity.signed_out("lia", pasted)  # a token the person made stays theirs
    identity.signed_out("lia", token)  # the session's own token ends with the session
    assert identity.authenticate(pasted).id == "lia"
    with pytest.raises(Unauthenticated):
        identity.authenticate(token)
    topics = [e.topic for e in identity.recorder.select_events(user_id("lia"))]
    assert [t.rsplit(".", 1)[-1] for t in topics][1:] == [
        "SignInLinkSent", "SignInLinkUsed", "TokenCreated", "TokenCreated", "TokenRevoked"]
