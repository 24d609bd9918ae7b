"""How far the worker's reconciler has woken case workflows, kept beside the event log.

The reconciler (workflows/reconciler.py) wakes the workflow of every case a person's
command changed, in case the API that answered the command died before telling it.
Its position in the log is kept here, in `read_model_tracking` (as the case list and
the retention book keep theirs), so that a worker started again wakes what changed
while it was down, and only that, not every case the store has ever held.
"""

from services.eventstore.side_tables import SideTables

PROJECTION = "workflow wakes"
SCHEMA = ["""CREATE TABLE IF NOT EXISTS read_model_tracking (
    projection TEXT PRIMARY KEY, position INTEGER NOT NULL)"""]


class WakePosition(SideTables):
    """The last notification whose case the reconciler has woken (or had no need to)."""

    schema = SCHEMA

    def load(self, head: int) -> int:
        """The position to go on from. A store never followed starts at its head (`head`):
        the API told each workflow itself before this was kept. A position beyond the
        head (the log restored from a backup taken before it) goes back to the head."""
        with self._transaction() as cursor:
            cursor.execute("INSERT INTO read_model_tracking VALUES (?, ?) "
                           "ON CONFLICT (projection) DO NOTHING", (PROJECTION, head))
            cursor.execute("SELECT position FROM read_model_tracking WHERE projection = ?",
                           (PROJECTION,))
            kept = int(cursor.fetchone()[0])
        return min(kept, head)

    def kept(self) -> int | None:
        """The position kept; None before any reconciler has followed this store."""
        with self._read() as cursor:
            cursor.execute("SELECT position FROM read_model_tracking WHERE projection = ?",
                           (PROJECTION,))
            row = cursor.fetchone()
        return int(row[0]) if row else None

    def save(self, position: int) -> None:
        """Never backwards: two workers' reconcilers may both keep it."""
        with self._transaction() as cursor:
            cursor.execute("UPDATE read_model_tracking SET position = ? "
                           "WHERE projection = ? AND position < ?",
                           (position, PROJECTION, position))
