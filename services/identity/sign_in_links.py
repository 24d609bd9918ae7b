"""Sign-in links: a person let in by an email, once, within a day.

A coordinator or administrator sends someone a link instead of a token; the
person follows it and presses "Sign in". The table keeps only the SHA-256 of
each link's secret, so a copy of the database lets no one in; a link is used
up by one atomic UPDATE (a second browser, or a replay, finds it spent), and
refused after it expires. Deactivating a person cancels their links.
"""

import hashlib
import logging
import secrets
import time

from domain.errors import DomainError
from services.eventstore.side_tables import SideTables
from services.platform.settings import Settings

log = logging.getLogger("casework.sign_in_links")

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sign_in_links (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, sent_by TEXT NOT NULL,
    sent_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
    used_at DOUBLE PRECISION)""",
    "CREATE INDEX IF NOT EXISTS sign_in_links_user ON sign_in_links (username)",
]


class LinkRefused(DomainError):
    """A link unknown, tampered with, expired, already used or cancelled: one answer for all,
    so a guesser learns nothing."""

    rule = "sign_in_link_refused"


def link_digest(token: str) -> str:
    return hashlib.sha256(b"casework sign-in link:" + token.encode()).hexdigest()


class SignInLinks(SideTables):
    """The links sent and not yet spent, by the digest of their secret."""

    schema = _SCHEMA

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.lifetime = settings.sign_in_link_hours * 3600.0

    def make(self, username: str, *, sent_by: str, now: float | None = None) -> str:
        """A new link's secret for this person; only its digest is kept."""
        token = secrets.token_urlsafe(32)
        at = time.time() if now is None else now
        with self._transaction() as cursor:
            cursor.execute("DELETE FROM sign_in_links WHERE expires_at < ?", (at - 86400.0,))
            cursor.execute("INSERT INTO sign_in_links VALUES (?, ?, ?, ?, ?, NULL)",
                           (link_digest(token), username, sent_by, at, at + self.lifetime))
        log.info("casework: sign-in link for %s sent by %s", username, sent_by,
                 extra={"username": username, "sent_by": sent_by})
        return token

    def use(self, token: str, *, now: float | None = None) -> str:
        """Spend the link: the person it lets in. Raises LinkRefused for any link that
        cannot be used, whatever the reason."""
        at = time.time() if now is None else now
        with self._transaction() as cursor:
            cursor.execute("UPDATE sign_in_links SET used_at = ? WHERE token_hash = ? AND "
                           "used_at IS NULL AND expires_at > ? RETURNING username",
                           (at, link_digest(token), at))
            row = cursor.fetchone()
        if row is None:
            log.info("casework: a sign-in link was refused")
            raise LinkRefused("this sign-in link cannot be used")
        log.info("casework: sign-in link used by %s", row[0], extra={"username": row[0]})
        return str(row[0])

    def cancel(self, username: str) -> None:
        """Every unused link of this person stops working (they were deactivated)."""
        with self._transaction() as cursor:
            cursor.execute("DELETE FROM sign_in_links WHERE username = ? AND used_at IS NULL",
                           (username,))
