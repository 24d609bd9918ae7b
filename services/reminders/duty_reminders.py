"""Which rounds of which authority duties have been reminded, kept in the store itself.

A duty's reminder schedule lives in Temporal, and Temporal's state is not in a
backup (it is rebuilt). So after a restore on a new host every schedule is made
again, and a duty already due or overdue would be reminded at once, a second
time. Each reminder is therefore recorded here, beside the events (and so in
every backup), by round (`workflows/duty_schedules.cycle`), and the scheduler
does not remind again of a round recorded as reminded.
"""

from datetime import UTC, datetime

from services.eventstore.side_tables import SideTables

_SCHEMA = ["""CREATE TABLE IF NOT EXISTS duty_reminders (
    schedule_id TEXT NOT NULL, round TEXT NOT NULL, reminded_at TEXT NOT NULL,
    PRIMARY KEY (schedule_id, round))"""]


class DutyReminders(SideTables):
    """Reminders of authority duties already made, one row per duty and round."""

    schema = _SCHEMA

    def record(self, schedule_id: str, round_: str, at: datetime | None = None) -> None:
        """Once per round: a retried activity finds the row there and adds nothing."""
        with self._transaction() as cursor:
            cursor.execute("INSERT INTO duty_reminders VALUES (?, ?, ?) "
                           "ON CONFLICT (schedule_id, round) DO NOTHING",
                           (schedule_id, round_, (at or datetime.now(UTC)).isoformat()))

    def reminded(self, schedule_id: str, round_: str) -> bool:
        with self._read() as cursor:
            cursor.execute("SELECT 1 FROM duty_reminders WHERE schedule_id = ? AND round = ?",
                           (schedule_id, round_))
            return cursor.fetchone() is not None
