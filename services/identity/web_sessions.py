"""Signed-in sessions for the pages, kept in the event store's database.

Every API process behind a load balancer sees the same sessions, and a restart
signs nobody out. The cookie carries a random session id; the database keeps
only what cannot be used without it: the id's hash, and the token the person
signed in with sealed (AES-GCM) under a key derived from the id. Someone with a
copy of the database can neither sign in as anyone nor read a token.

A session ends when the person signs out (its row is deleted, so an old cookie
is worth nothing) or after `idle_seconds` without a request.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.eventstore.side_tables import SideTables
from services.platform.settings import Settings

_SCHEMA = ["""CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash TEXT PRIMARY KEY, sealed_token BYTEA NOT NULL, csrf TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL)"""]
TOUCH_AFTER_SECONDS = 30.0
"""A request records that the session is in use at most this often (one write, not one per page)."""


@dataclass(frozen=True)
class WebSession:
    """A signed-in person's session: the cookie's id, their token and the forms' CSRF token."""

    id: str
    token: str
    csrf: str


def _hash(session_id: str) -> str:
    return hashlib.sha256(b"casework session id:" + session_id.encode()).hexdigest()


def _key(session_id: str) -> bytes:
    return hashlib.sha256(b"casework session key:" + session_id.encode()).digest()


def _seal(session_id: str, token: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(_key(session_id)).encrypt(nonce, token.encode(), None)


def _unseal(session_id: str, sealed: bytes) -> str | None:
    try:
        return AESGCM(_key(session_id)).decrypt(sealed[:12], sealed[12:], None).decode()
    except (InvalidTag, ValueError):
        return None


class SessionStore(SideTables):
    """Sessions by id, shared by every process on the same store."""

    schema = _SCHEMA  # the same SQL on both stores (SQLite keeps BYTEA as a blob)

    def __init__(self, settings: Settings, *, idle_seconds: float) -> None:
        super().__init__(settings)
        self.idle_seconds = idle_seconds

    def start(self, token: str) -> WebSession:
        """A new session for this token; sessions idle too long are cleared away meanwhile."""
        session = WebSession(secrets.token_urlsafe(32), token, secrets.token_urlsafe(32))
        now = time.time()
        with self._transaction() as cursor:
            cursor.execute("DELETE FROM web_sessions WHERE last_seen < ?",
                           (now - self.idle_seconds,))
            cursor.execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?)",
                           (_hash(session.id), _seal(session.id, token), session.csrf, now, now))
        return session

    def find(self, session_id: str | None) -> WebSession | None:
        """The live session with this id, or None (unknown, signed out or idle too long)."""
        if not session_id:
            return None
        with self._read() as cursor:
            cursor.execute("SELECT sealed_token, csrf, last_seen FROM web_sessions "
                           "WHERE id_hash = ?", (_hash(session_id),))
            row = cursor.fetchone()
        if row is None:
            return None
        sealed, csrf, last_seen = bytes(row[0]), row[1], float(row[2])
        now = time.time()
        token = _unseal(session_id, sealed)
        if token is None or now - last_seen > self.idle_seconds:
            self.end(session_id)
            return None
        if now - last_seen > TOUCH_AFTER_SECONDS:
            with self._transaction() as cursor:
                cursor.execute("UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?",
                               (now, _hash(session_id)))
        return WebSession(session_id, token, csrf)

    def end(self, session_id: str | None) -> None:
        if not session_id:
            return
        with self._transaction() as cursor:
            cursor.execute("DELETE FROM web_sessions WHERE id_hash = ?", (_hash(session_id),))
