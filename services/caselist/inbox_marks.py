"""What a person has marked on their notifications: seen, done (a side table, migration 12).

Only the marks are kept, keyed by (username, item key): the items themselves are read
afresh from the case list and the cases' own records each time, so a task done on its
case leaves the list by itself, and nothing here can disagree with the case.
"""

from datetime import UTC, datetime

from services.eventstore.side_tables import SideTables

SEEN, DONE = "seen", "done"
SCHEMA = ["""CREATE TABLE IF NOT EXISTS inbox_marks (
    username TEXT NOT NULL, item_key TEXT NOT NULL, seen_at TEXT, done_at TEXT,
    PRIMARY KEY (username, item_key))"""]


class InboxMarks(SideTables):
    """Seen and done marks on each person's notifications."""

    schema = SCHEMA

    def marks_of(self, username: str) -> dict[str, tuple[bool, bool]]:
        """Every item key the person marked: (seen, done)."""
        with self._read() as db:
            db.execute("SELECT item_key, seen_at, done_at FROM inbox_marks WHERE username = ?",
                       (username,))
            return {key: (seen is not None or done is not None, done is not None)
                    for key, seen, done in db.fetchall()}

    def mark(self, username: str, item_key: str, what: str) -> None:
        """Mark an item seen or done (done is seen too); marking again changes nothing."""
        column = "done_at" if what == DONE else "seen_at"
        with self._transaction() as db:
            db.execute(f"INSERT INTO inbox_marks (username, item_key, {column}) "
                       f"VALUES (?, ?, ?) ON CONFLICT (username, item_key) DO UPDATE SET "
                       f"{column} = COALESCE(inbox_marks.{column}, excluded.{column})",
                       (username, item_key, datetime.now(UTC).isoformat()))
