"""Closed cases and when the retention schedule lets each be disposed of.

A table beside the case list, `retention_cases`, holds one row per closed case: its
reference, council, region, outcome and when it was closed, and when the retention
sweep proposed its disposal to administrators. It follows the notification log's
closures and reopenings only (its own position in `read_model_tracking`), reading
each such case as it now stands, so a case reopened is dropped and one closed again
starts over. The schedule itself (domain/retention.py) is applied when the rows are
read, so a change of schedule applies at once to every closed case.

A disposed case's row is removed with its other rows (services/records/disposal.py).
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.case import Case
from domain.retention import DisposalCandidate, RetentionSchedule, disposal_allowed_from
from services.cases.service import CaseNotFound, CaseService
from services.eventstore.side_tables import SideTables

PROJECTION = "retention"
CLOSURE_TOPICS = [get_topic(Case.CaseClosed), get_topic(Case.CaseReopened)]
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS retention_cases (
        case_id TEXT PRIMARY KEY, reference TEXT, authority TEXT NOT NULL,
        region TEXT NOT NULL, outcome TEXT, closed_at TEXT NOT NULL, proposed_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS retention_cases_closed ON retention_cases (closed_at)",
    """CREATE TABLE IF NOT EXISTS read_model_tracking (
        projection TEXT PRIMARY KEY, position INTEGER NOT NULL)""",
]
_FIELDS = ("case_id", "reference", "authority", "region", "outcome", "closed_at",
           "proposed_at")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class RetentionBook(SideTables):
    """The closed cases, and which the schedule allows to be disposed of now."""

    schema = SCHEMA

    def catch_up(self, cases: CaseService, *, batch_size: int = 500) -> int:
        """Follow the closures and reopenings recorded since last time; how many read."""
        read = 0
        while True:
            with self._transaction(lock=True) as cursor:
                cursor.execute("INSERT INTO read_model_tracking VALUES (?, 0) "
                               "ON CONFLICT (projection) DO NOTHING", (PROJECTION,))
                cursor.execute("SELECT position FROM read_model_tracking WHERE projection = ?"
                               + (" FOR UPDATE" if self.postgres else ""), (PROJECTION,))
                position = int(cursor.fetchone()[0])
                batch = list(cases.recorder.select_notifications(
                    start=position + 1, limit=batch_size, topics=CLOSURE_TOPICS))
                for case_id in dict.fromkeys(n.originator_id for n in batch):
                    self._follow(cursor, cases, UUID(str(case_id)))
                if batch:
                    cursor.execute("UPDATE read_model_tracking SET position = ? "
                                   "WHERE projection = ?", (batch[-1].id, PROJECTION))
            read += len(batch)
            if len(batch) < batch_size:
                return read

    def _follow(self, cursor: Any, cases: CaseService, case_id: UUID) -> None:
        """The case's row as the case now stands: closed, or gone."""
        try:
            case = cases.get_case(case_id)
        except CaseNotFound:  # disposed of (its events erased) since
            case = None
        closure = (case or {}).get("closure") or {}
        if case is None or case["status"] != "closed" or not closure.get("closed_at"):
            cursor.execute("DELETE FROM retention_cases WHERE case_id = ?", (str(case_id),))
            return
        cursor.execute(
            "INSERT INTO retention_cases VALUES (?, ?, ?, ?, ?, ?, NULL) "
            "ON CONFLICT (case_id) DO UPDATE SET reference = excluded.reference, "
            "authority = excluded.authority, region = excluded.region, "
            "outcome = excluded.outcome, proposed_at = CASE WHEN "
            "retention_cases.closed_at = excluded.closed_at THEN retention_cases.proposed_at "
            "END, closed_at = excluded.closed_at",
            (str(case_id), case.get("reference"), case["authority"], case["region"],
             closure.get("outcome"), _iso(closure["closed_at"])))

    # -- reading -----------------------------------------------------------------

    def due(self, schedule: RetentionSchedule, now: datetime) -> list[dict[str, Any]]:
        """Every closed case the schedule lets be disposed of now, longest closed first,
        each with the rule applied and the date it allowed disposal from."""
        latest = _iso(now - schedule.shortest())  # no case closed since then is due
        with self._read() as cursor:
            cursor.execute(f"SELECT {', '.join(_FIELDS)} FROM retention_cases "
                           "WHERE closed_at <= ? ORDER BY closed_at, case_id", (latest,))
            rows = [dict(zip(_FIELDS, r, strict=True)) for r in cursor.fetchall()]
        found = []
        for row in rows:
            allowed = _allowed(schedule, row)
            if allowed is not None and allowed[1] <= now:
                found.append({**row, "rule": allowed[0].name, "allowed_from": allowed[1]})
        return found

    def closed_case(self, case_id: UUID | str) -> dict[str, Any] | None:
        with self._read() as cursor:
            cursor.execute(f"SELECT {', '.join(_FIELDS)} FROM retention_cases "
                           "WHERE case_id = ?", (str(case_id),))
            row = cursor.fetchone()
        return dict(zip(_FIELDS, row, strict=True)) if row else None

    def proposed(self) -> list[dict[str, Any]]:
        """The cases whose disposal the sweep has proposed, and that are still closed."""
        with self._read() as cursor:
            cursor.execute(f"SELECT {', '.join(_FIELDS)} FROM retention_cases "
                           "WHERE proposed_at IS NOT NULL ORDER BY proposed_at, case_id")
            return [dict(zip(_FIELDS, r, strict=True)) for r in cursor.fetchall()]

    # -- writing -----------------------------------------------------------------

    def propose_due(self, schedule: RetentionSchedule, now: datetime) -> list[dict[str, Any]]:
        """Mark as proposed every case now due that was not yet; those newly proposed."""
        fresh = [row for row in self.due(schedule, now) if row["proposed_at"] is None]
        with self._transaction(lock=True) as cursor:
            for row in fresh:
                cursor.execute("UPDATE retention_cases SET proposed_at = ? WHERE case_id = ? "
                               "AND closed_at = ? AND proposed_at IS NULL",
                               (_iso(now), row["case_id"], row["closed_at"]))
        return [{**row, "proposed_at": _iso(now)} for row in fresh]

    def forget(self, cursor: Any, case_id: UUID | str) -> None:
        """Drop a disposed case's row, inside the caller's transaction."""
        cursor.execute("DELETE FROM retention_cases WHERE case_id = ?", (str(case_id),))


def _allowed(schedule: RetentionSchedule, row: dict[str, Any]) -> Any:
    return disposal_allowed_from(schedule, DisposalCandidate(
        "closed", row["region"], row["outcome"], datetime.fromisoformat(row["closed_at"])))
