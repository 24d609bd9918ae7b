"""Saved views of My work, kept beside the case list (a side table, migration 11).

A view is a person's (keyed by username), so it is there again after signing out
and in, on any device. A coordinator may share one with their region: every
coordinator of the region then sees it too, as the sharer's.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.saved_views import check_name_free, view_name, view_query
from services.eventstore.side_tables import SideTables
from services.eventstore.store import NotFound

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS saved_views (
        username TEXT NOT NULL, name TEXT NOT NULL, query TEXT NOT NULL,
        shared_region TEXT, saved_at TEXT NOT NULL, PRIMARY KEY (username, name))""",
    "CREATE INDEX IF NOT EXISTS saved_views_shared ON saved_views (shared_region)",
]


class ViewNotFound(NotFound):
    """No view of this person's by that name."""


@dataclass(frozen=True)
class SavedView:
    """A named set of My work's filters; `owner` is who saved it."""

    owner: str
    name: str
    query: dict[str, str]
    shared_region: str | None = None

    def public(self) -> dict[str, Any]:
        return {"owner": self.owner, "name": self.name, "query": self.query,
                "shared_with_region": self.shared_region}


class SavedViews(SideTables):
    """Every person's saved views, in the event store's own database."""

    schema = SCHEMA

    def views_for(self, username: str, region: str | None = None) -> list[SavedView]:
        """The person's own views, then those shared with their region by others."""
        with self._read() as db:
            db.execute("SELECT username, name, query, shared_region FROM saved_views WHERE "
                       "username = ? OR (shared_region IS NOT NULL AND shared_region = ?) "
                       "ORDER BY saved_at, name", (username, region or ""))
            rows = [SavedView(u, n, json.loads(q), r) for u, n, q, r in db.fetchall()]
        return ([v for v in rows if v.owner == username]
                + [v for v in rows if v.owner != username])

    def save(self, username: str, name: str, asked: dict[str, str]) -> SavedView:
        """Keep the filters under a new name of the person's own."""
        name, query = view_name(name), view_query(asked)
        with self._transaction(lock=True) as db:
            check_name_free(name, self._names(db, username))
            db.execute("INSERT INTO saved_views VALUES (?, ?, ?, NULL, ?)",
                       (username, name, json.dumps(query), _now()))
        return SavedView(username, name, query)

    def rename(self, username: str, name: str, new_name: str) -> None:
        new_name = view_name(new_name)
        with self._transaction(lock=True) as db:
            names = self._names(db, username)
            self._check_known(name, names)
            check_name_free(new_name, [n for n in names if n != name])
            db.execute("UPDATE saved_views SET name = ? WHERE username = ? AND name = ?",
                       (new_name, username, name))

    def delete(self, username: str, name: str) -> None:
        with self._transaction(lock=True) as db:
            self._check_known(name, self._names(db, username))
            db.execute("DELETE FROM saved_views WHERE username = ? AND name = ?",
                       (username, name))

    def share(self, username: str, name: str, region: str | None) -> None:
        """Share the view with a region (None: keep it to oneself again)."""
        with self._transaction(lock=True) as db:
            self._check_known(name, self._names(db, username))
            db.execute("UPDATE saved_views SET shared_region = ? WHERE username = ? AND "
                       "name = ?", (region, username, name))

    @staticmethod
    def _names(db: Any, username: str) -> list[str]:
        db.execute("SELECT name FROM saved_views WHERE username = ?", (username,))
        return [n for (n,) in db.fetchall()]

    @staticmethod
    def _check_known(name: str, names: list[str]) -> None:
        if name not in names:
            raise ViewNotFound(f"you have no view called {name}", field="name")


def _now() -> str:
    return datetime.now(UTC).isoformat()
