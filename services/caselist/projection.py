"""Read models for the case list and the regional picture.

A projector follows the event store's notification log (polling: the SQLite
recorder cannot subscribe) and keeps one row per case. The row and the
tracking position are written in one transaction, under a lock on the
tracking row, so every event is applied exactly once even across crashes and
with several projectors running. Rows are computed from the case as the domain
itself sees it at that version, so no rule is written twice.

A stream the projector cannot apply (a deleted row, a value the database
refuses) is set aside rather than stopping the list for everyone: the reason is
recorded in `case_list_problems`, the case's row shows what could be applied
and is flagged as failing verification, and an error is logged and counted.

`casework rebuild` rebuilds the tables from scratch.
"""

import contextlib
import logging
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import OriginatorIDError, OriginatorVersionError
from eventsourcing.persistence import DataError
from eventsourcing.utils import TopicError, resolve_topic

from domain.errors import DomainError
from domain.vocabulary import Deadline
from services.caselist import search
from services.caselist import tally as case_tally
from services.caselist.tally import TALLY_TABLE
from services.caselist.worklist import (
    AWAITING_COLUMNS,
    AWAITING_DECISION,
    AWAITING_INDEX,
    DUE_KEY,
    TASK_COLUMNS,
    TASKS_INDEX,
    WORKLIST_INDEXES,
    CaseFilter,
    CaseOrder,
    WorklistCounts,
    after,
    cursor_after,
    order_by,
    waiting_on,
)
from services.cases.service import CaseService, case_view
from services.eventstore.pg_vacuum import vacuum_unseen
from services.eventstore.side_tables import SideTables
from services.eventstore.store import mutate_each
from services.platform.metrics import STREAMS_SET_ASIDE
from services.platform.settings import Settings

log = logging.getLogger("casework.read_models")

CASE_TOPIC_PREFIX = "domain.case:Case."
# What a stream's own content can cause (a gap in its versions, an undecodable or
# refused value); anything else, such as a lost connection, stops the batch instead.
STREAM_ERRORS = (OriginatorIDError, OriginatorVersionError, AggregateNotFoundError, DomainError,
                 DataError, psycopg.DataError, ValueError, KeyError, TypeError, AttributeError,
                 AssertionError)
PROJECTION = "case_list"

_COLUMNS = ("case_id", "authority", "region", "stage", "status", "issue_type",
            "risk_score", "risk_band", "raised_at", "next_due", "version", "owner",
            *AWAITING_COLUMNS, *TASK_COLUMNS, "reference")
LISTED_COLUMNS = _COLUMNS
"""What a page of the list carries of each case (with a stream's problem, if any)."""
REFERENCE_INDEX = "CREATE INDEX IF NOT EXISTS case_list_reference ON case_list (reference)"
"""For finding a case by the reference someone quotes (GET /cases/NW-2026-0042)."""
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS case_list (
        case_id TEXT PRIMARY KEY, authority TEXT NOT NULL, region TEXT NOT NULL,
        stage TEXT NOT NULL, status TEXT NOT NULL, issue_type TEXT NOT NULL,
        risk_score INTEGER, risk_band TEXT, raised_at TEXT NOT NULL, next_due TEXT,
        version INTEGER NOT NULL, owner TEXT, escalation_proposed_to TEXT,
        escalation_proposed_at TEXT, joint_meeting_proposed_at TEXT, red_flag_raised_at TEXT,
        agreement_requested_at TEXT, agreement_requested_by TEXT, joint_summary_due TEXT,
        review_due TEXT, adviser TEXT, reference TEXT)""",
    "CREATE INDEX IF NOT EXISTS case_list_stage_risk ON case_list (stage, risk_band, raised_at)",
    *WORKLIST_INDEXES,
    AWAITING_INDEX,
    TASKS_INDEX,
    REFERENCE_INDEX,
    "CREATE INDEX IF NOT EXISTS case_list_order ON case_list (raised_at, case_id)",
    """CREATE TABLE IF NOT EXISTS read_model_tracking (
        projection TEXT PRIMARY KEY, position INTEGER NOT NULL)""",
    TALLY_TABLE,
    """CREATE TABLE IF NOT EXISTS case_list_problems (
        case_id TEXT PRIMARY KEY, version INTEGER NOT NULL, problem TEXT NOT NULL,
        noticed_at TEXT NOT NULL)""",
]


def _iso(value: Any) -> str | None:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def _risk(view: dict[str, Any]) -> tuple[int | None, str | None]:
    """The residual risk if assessed, else the inherent one."""
    risk = view.get("risk") or {}
    latest = risk.get("residual") or risk.get("inherent") or {}
    return latest.get("score"), latest.get("band")


def _awaiting(view: dict[str, Any]) -> tuple[str | None, ...]:
    """What waits on the case (an escalation proposed, to which stage and when; a joint
    local meeting proposed) and when its red flag was raised: for My work to list without
    reading each case."""
    escalation = view.get("pending_escalation") or {}
    joint = view.get("joint_meeting_proposal") or {}
    flag = view.get("red_flag") or {}
    return (escalation.get("to_stage"), _iso(escalation.get("proposed_at")),
            _iso(joint.get("proposed_at")), _iso(flag.get("raised_at")))


def _tasks(view: dict[str, Any]) -> tuple[str | None, ...]:
    """What waits on people (TASK_COLUMNS): for My work to list without reading each case."""
    asked = view.get("agreement_requested") or {}
    deadlines = view.get("deadlines") or {}
    advisers = view.get("advisers") or []
    return (_iso(asked.get("requested_at")), asked.get("requested_by"),
            _iso(deadlines.get(Deadline.JOINT_MEETING_SUMMARY.value)),
            _iso(deadlines.get(Deadline.NEXT_REVIEW.value)),
            advisers[0] if advisers else None)


class _Row(tuple):
    """A case's list row, carrying its search index row (`document`) with it: written in
    the same transaction as the list row."""

    document: tuple | None = None


def listed(view: dict[str, Any]) -> tuple:
    """The case's list row, with its search index row."""
    row = _Row(row_for(view))
    row.document = search.document(view)
    return row


def row_for(view: dict[str, Any]) -> tuple:
    score, band = _risk(view)
    due = [d for d in (view.get("deadlines") or {}).values() if d is not None]
    return (str(view["id"]), view["authority"], view["region"], view["stage"], view["status"],
            view["issue_type"], score, band, _iso(view["raised_at"]),
            _iso(min(due)) if due else None, view["version"], view.get("owner"),
            *_awaiting(view), *_tasks(view), view.get("reference") or None)


class CaseListView(SideTables):
    """The case list and regional picture, in the event store's own database."""

    schema = _SCHEMA

    def __init__(self, settings: Settings) -> None:
        self.schema = [*_SCHEMA, *search.SCHEMA[settings.store]]
        super().__init__(settings)
        self.set_aside_total = 0  # streams set aside by this process: the alert's counter

    def position(self) -> int:
        with self._read() as cursor:
            cursor.execute("SELECT position FROM read_model_tracking WHERE projection = ?",
                           (PROJECTION,))
            row = cursor.fetchone()
        return row[0] if row else 0

    # -- projecting ----------------------------------------------------------------

    def catch_up(self, cases: CaseService, *, batch_size: int = 500) -> int:
        """Apply every event not yet applied; returns how many notifications were read."""
        if self.position() >= (cases.recorder.max_notification_id() or 0):
            return 0  # up to date: two cheap reads, no write lock taken
        # Folded as the rebuild folds: a case touched again and again in a long lag (a
        # list emptied by a migration, say) is read back once, not once per page.
        folded: OrderedDict[UUID, Any] = OrderedDict()
        total = 0
        while True:
            read = self._apply_folded_page(cases, folded, batch_size)
            total += read
            if read < batch_size:
                self._analyse_after(total)
                return total

    def _analyse_after(self, applied: int) -> None:
        """After a long catch-up (a list projected again by a migration, a bulk import),
        PostgreSQL's planner is told what the list now holds, rather than planning with
        the statistics of an empty table until autovacuum comes round: with those, it
        reads a whole region to count the overdue cases instead of a range of the due
        index."""
        if self.postgres and applied >= ANALYSE_AFTER:
            with self._read() as db:
                db.execute("ANALYZE case_list")

    def _next_page(self, cursor: Any, cases: CaseService, size: int) -> list[Any]:
        """The next page of the notification log after the tracked position, read with
        the tracking row locked, so that concurrent projectors take turns."""
        position = self._locked_position(cursor)
        return list(cases.recorder.select_notifications(start=position + 1, limit=size))

    def _locked_position(self, cursor: Any) -> int:
        """The tracked position, with its row locked until the transaction ends."""
        cursor.execute("INSERT INTO read_model_tracking VALUES (?, 0) "
                       "ON CONFLICT (projection) DO NOTHING", (PROJECTION,))
        cursor.execute("SELECT position FROM read_model_tracking WHERE projection = ?"
                       + (" FOR UPDATE" if self.postgres else ""), (PROJECTION,))
        return int(cursor.fetchone()[0])

    def _project(self, cursor: Any, cases: CaseService, case_id: UUID, version: int) -> None:
        """Write the case's row; a stream that cannot be applied is set aside, not fatal."""
        try:
            with _savepoint(cursor):
                self._upsert_rows(cursor, [listed(cases.case_as_of(case_id, version=version))])
        except STREAM_ERRORS as error:  # one broken stream must not stop the list
            self._set_aside(cursor, cases, case_id, version, error)

    def _set_aside(self, cursor: Any, cases: CaseService, case_id: UUID, version: int,
                   error: Exception) -> None:
        problem = _plain(f"{_broken_link(cases, case_id)}; version {version} could not be "
                         f"projected ({type(error).__name__}: {error})")[:1000]
        self.set_aside_total += 1
        STREAMS_SET_ASIDE.inc()
        log.error("case list: set aside case %s at version %s: %s", case_id, version, problem)
        partial = cases.as_far_as_it_applies(case_id, version)
        if partial is not None:
            with contextlib.suppress(Exception), _savepoint(cursor):
                self._upsert_rows(cursor, [listed(case_view(partial))])
        cursor.execute(
            "INSERT INTO case_list_problems VALUES (?, ?, ?, ?) ON CONFLICT (case_id) DO UPDATE "
            "SET version = excluded.version, problem = excluded.problem, "
            "noticed_at = excluded.noticed_at",
            (str(case_id), version, problem, _iso(datetime.now(UTC))))

    def set_aside_unreadable(self, case_id: UUID, version: int, reason: str) -> None:
        """A reader found an event of the case it cannot read (a row altered after it was
        projected, say, so the catch-up never sees it again): its row is flagged, logged
        and counted as the catch-up would, once per version found."""
        problem = _plain(f"its history fails verification at version {version}: the event "
                         f"cannot be read: {reason}")[:1000]
        with self._read() as cursor:
            cursor.execute("SELECT version FROM case_list_problems WHERE case_id = ?",
                           (str(case_id),))
            known = cursor.fetchone()
        if known is not None and known[0] <= version:
            return  # flagged already, at this version or before
        with self._transaction(lock=True) as cursor:
            cursor.execute(
                "INSERT INTO case_list_problems VALUES (?, ?, ?, ?) ON CONFLICT (case_id) DO "
                "UPDATE SET version = excluded.version, problem = excluded.problem, "
                "noticed_at = excluded.noticed_at",
                (str(case_id), version, problem, _iso(datetime.now(UTC))))
        self.set_aside_total += 1
        STREAMS_SET_ASIDE.inc()
        log.error("case list: set aside case %s at version %s: %s", case_id, version, problem)

    def problems(self) -> list[dict[str, Any]]:
        """Every case set aside, with why: for operators (and the alert's follow-up)."""
        with self._read() as cursor:
            cursor.execute("SELECT case_id, version, problem, noticed_at FROM case_list_problems "
                           "ORDER BY noticed_at")
            return [dict(zip(("case_id", "version", "problem", "noticed_at"), r, strict=True))
                    for r in cursor.fetchall()]

    _upsert = (
        f"INSERT INTO case_list ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
        "ON CONFLICT (case_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
        + " WHERE case_list.version < excluded.version"
    )

    def rebuild(self, cases: CaseService, *, progress: Any = None,
                page_size: int = 1000, write_every: int | None = None) -> int:
        """Drop every row and re-apply the whole log, reporting progress as it goes.

        It reads the notification log in pages and folds each case's events in
        memory as they pass, instead of reading each touched case back from its
        stream (one round trip per case: most of a rebuild's time on PostgreSQL).
        Rows are written once `write_every` (WRITE_EVERY) cases have changed, or
        WRITE_EVERY_EVENTS events were read, not after every page: a case whose
        events are spread over the log is written once per write rather than once
        per page, and writing rows was most of what was left of a rebuild's time.
        """
        with self._transaction(lock=True) as cursor:
            cursor.execute("DELETE FROM case_list")
            cursor.execute("DELETE FROM case_list_tally")
            cursor.execute("DELETE FROM case_list_problems")
            cursor.execute("DELETE FROM case_search")
            cursor.execute("DELETE FROM case_search_councils")
            cursor.execute("DELETE FROM read_model_tracking WHERE projection = ?", (PROJECTION,))
        folded: OrderedDict[UUID, Any] = OrderedDict()
        total, every = 0, WRITE_EVERY if write_every is None else write_every
        while read := self._apply_folded_page(cases, folded, page_size, write_every=every):
            total += read
            if progress:
                progress(total)
        self._analyse_after(total)
        return total

    def _apply_folded_page(self, cases: CaseService, folded: "OrderedDict[UUID, Any]",
                           page_size: int, *, write_every: int = 0) -> int:
        """Pages of the log applied from cases folded in memory (a bounded LRU; a case
        that fell out is read back from its stream, as catch_up does), in one
        transaction under the tracking lock: one page, or more until `write_every`
        cases have changed, WRITE_EVERY_EVENTS events were read or the log ends. A
        stream that cannot be folded is set aside at its first event that fails, as
        catch_up sets it aside."""
        with self._transaction(lock=True) as cursor:
            fold = _Folding(cases, folded)
            position = self._locked_position(cursor)
            while page := list(cases.recorder.select_notifications(start=position + 1,
                                                                    limit=page_size)):
                fold.page(page)
                position = page[-1].id
                if (len(page) < page_size or fold.changed >= write_every
                        or fold.read >= WRITE_EVERY_EVENTS[self.settings.store]):
                    break
            if not fold.read:
                return 0
            self._upsert_folded(cursor, cases, fold.touched)
            for case_id, (version, failure) in fold.broken.items():
                self._set_aside(cursor, cases, case_id, version, failure)
            cursor.execute("UPDATE read_model_tracking SET position = ? WHERE projection = ?",
                           (position, PROJECTION))
            return fold.read

    def _upsert_folded(self, cursor: Any, cases: CaseService, touched: dict[Any, Any]) -> None:
        """All the write's rows in one statement; if a row is refused, each on its own,
        so that only the case at fault is set aside."""
        try:
            rows = [listed(_row_view(c)) for c in touched.values()]
            with _savepoint(cursor):
                self._upsert_rows(cursor, rows)
        except STREAM_ERRORS:
            for case_id, case in touched.items():
                self._project(cursor, cases, case_id, case.version)

    def _upsert_rows(self, cursor: Any, rows: list[tuple]) -> None:
        """Many rows in one statement on PostgreSQL (a column of arrays: one round trip);
        SQLite, in process, takes them one by one. The rows are of distinct cases. The
        tally and the search index move with them, in the same transaction."""
        if not rows:
            return
        moved = case_tally.changes(cursor, [dict(zip(_COLUMNS, r, strict=True)) for r in rows])
        documents = [d for r in rows if (d := getattr(r, "document", None)) is not None]
        if not self.postgres:
            cursor.executemany(self._upsert, rows)
            cursor.executemany(search.UPSERT, documents)
            cursor.executemany(search.NAME_COUNCILS, {d[3:5] for d in documents})
        else:
            columns = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(_UPSERT_ARRAYS, columns)
            if documents:
                cursor.execute(search.UPSERT_ARRAYS, search.joined(documents))
                cursor.execute(search.NAME_COUNCILS_ARRAYS,
                               search.joined({d[3:5] for d in documents}))
        case_tally.apply(cursor, moved)

    # -- forgetting: disposal and redaction ------------------------------------------

    def forget_case(self, case_id: UUID) -> bool:
        """Take a case out of the list and the search index (its case disposed of): its
        row, its indexed text, its problem, and its council's name if no other case
        names it; the tally moves with it. On SQLite the freed bytes are zeroed, the
        full-text index is merged so no deleted word is left in it, and the write-ahead
        log is emptied. Whether the list held the case. A later event of the case (there
        is none once its stream is erased) would list it again."""
        return self.forget_cases([case_id]) == 1

    def forget_cases(self, case_ids: Iterable[UUID | str], *,
                     also: Callable[[Any, str], None] | None = None) -> int:
        """`forget_case` for each, in one transaction, with `also(cursor, case_id)` to take
        a case's rows out of another side table in it (the retention list); how many the
        list held."""
        with self._forgetting() as cursor:
            found = 0
            for case_id in case_ids:
                found += self._remove(cursor, str(case_id))
                if also is not None:
                    also(cursor, str(case_id))
        self._purge()
        return found

    def refresh_case(self, case_id: UUID, cases: CaseService) -> None:
        """Project one case again from its history as it now stands (a field redacted
        in its stored events): its rows are replaced, not updated in place, so none of
        the old text is left, on SQLite neither in the file's free space, nor in the
        full-text index, nor in the write-ahead log. Read from the store, never from a
        cache that may hold the case as it was."""
        latest = list(cases.recorder.select_events(case_id, desc=True, limit=1))
        with self._forgetting() as cursor:
            self._remove(cursor, str(case_id))
            if latest:
                self._project(cursor, cases, case_id, latest[0].originator_version)
        self._purge()

    @contextmanager
    def _forgetting(self) -> Iterator[Any]:
        """A transaction that holds the projector's lock (SQLite: the write lock;
        PostgreSQL: the tracking row), so that no catch-up interleaves its rows."""
        with self._transaction(lock=True) as cursor:
            self._locked_position(cursor)
            yield cursor

    def _remove(self, cursor: Any, case_id: str) -> bool:
        cursor.execute(f"SELECT {', '.join(case_tally.TALLIED)}, authority FROM case_list "
                       "WHERE case_id = ?", (case_id,))
        row = cursor.fetchone()
        if row is not None:
            case_tally.apply(cursor, Counter({case_tally.key_of(row[:-1]): -1}))
        cursor.execute("SELECT authority FROM case_search WHERE case_id = ?", (case_id,))
        named = {str(r[0]) for r in cursor.fetchall()} | ({str(row[-1])} if row else set())
        for table in ("case_list", "case_search", "case_list_problems"):
            cursor.execute(f"DELETE FROM {table} WHERE case_id = ?", (case_id,))  # noqa: S608
        for authority in named:
            cursor.execute("DELETE FROM case_search_councils WHERE authority = ? AND NOT "
                           "EXISTS (SELECT 1 FROM case_search WHERE authority = ?)",
                           (authority, authority))
        return row is not None

    def _purge(self) -> None:
        """SQLite: the full-text index merged into one segment (deleting a row leaves its
        words in the index's older segments until a merge), then the log emptied.
        PostgreSQL: the search index's dead row versions vacuumed, so their space is
        reused (their bytes stay in its files until then)."""
        if self.postgres:
            with self._read() as db:
                vacuum_unseen(db, "case_search")
            return
        with self._transaction(lock=True) as cursor:
            cursor.execute(f"INSERT INTO {search.FTS_TABLE} ({search.FTS_TABLE}) "
                           "VALUES ('optimize')")
        if not self.settle():
            log.warning("case list: the write-ahead log could not be emptied after forgetting "
                        "a case's text (other connections kept it busy); it will be at the "
                        "next checkpoint")

    # -- queries -----------------------------------------------------------------

    def list_cases(self, *, stage: str | None = None, risk_band: str | None = None,
                   region: str | None = None, authority: str | None = None,
                   status: str | None = None, overdue: bool | None = None,
                   owner: str | None = None, due_by: datetime | None = None,
                   red_flag: bool | None = None,
                   now: datetime | None = None, order: CaseOrder = CaseOrder.RAISED,
                   cursor: str | None = None,
                   limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
        """A page of cases in the order asked (oldest concern first unless told), and the
        cursor of the next page.

        `due_by`: only cases whose next deadline falls between now and then (a
        deadline already missed is `overdue`, not due).
        """
        chosen = CaseFilter(stage=stage, risk_band=risk_band, region=region,
                            authority=authority, status=status, owner=owner,
                            overdue=overdue, due_by=due_by, red_flag=red_flag)
        where, params = chosen.where(now or datetime.now(UTC))
        if cursor:
            condition, values = after(order, cursor)
            where.append(condition)
            params += values
        rows = self._select(where, params, order_by(order), limit + 1)
        page, more = rows[:limit], len(rows) > limit
        return page, cursor_after(order, page[-1]) if more else None

    def case_with_reference(self, reference: str) -> str | None:
        """The id of the case given `reference` (as the list has it so far), or None."""
        with self._read() as db:
            db.execute("SELECT case_id FROM case_list WHERE reference = ?", (reference,))
            found = db.fetchone()
        return str(found[0]) if found else None

    def councils_of(self, case_ids: Collection[str]) -> dict[str, str]:
        """The council each listed case is about, by case id: how a page names a case
        it has only the id of (the access log's reads, say)."""
        wanted = sorted({str(c) for c in case_ids})
        if not wanted:
            return {}
        with self._read() as db:
            db.execute("SELECT case_id, authority FROM case_list WHERE case_id IN ("
                       + ", ".join("?" for _ in wanted) + ")", tuple(wanted))
            return {str(row[0]): str(row[1]) for row in db.fetchall()}

    def awaiting_decision(self, chosen: CaseFilter, *, now: datetime | None = None,
                          limit: int = 50) -> list[dict[str, Any]]:
        """The cases the filter matches with an escalation or a joint local meeting
        proposed and not yet decided, longest waiting first: read from the list's own
        columns through a partial index, not case by case."""
        where, params = chosen.where(now or datetime.now(UTC))
        where.append(AWAITING_DECISION)
        return self._select(where, params, " ORDER BY COALESCE(c.escalation_proposed_at, "
                            "c.joint_meeting_proposed_at), c.case_id", limit)

    def tasks_waiting(self, chosen: CaseFilter, *, role: Any, username: str, soon: datetime,
                      now: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The open cases the filter matches with a task waiting on this person, from the
        list's own columns (a partial index), not case by case."""
        condition = waiting_on(role, username, soon)
        if condition is None:
            return []
        where, params = chosen.where(now or datetime.now(UTC))
        where.append(condition[0])
        return self._select(where, [*params, *condition[1]], " ORDER BY c.case_id", limit)

    def _select(self, where: list[str], params: list[Any], order: str,
                limit: int) -> list[dict[str, Any]]:
        sql = (f"SELECT {', '.join('c.' + c for c in _COLUMNS)}, p.problem FROM case_list c "
               "LEFT JOIN case_list_problems p ON p.case_id = c.case_id"
               + (" WHERE " + " AND ".join(where) if where else "") + order + " LIMIT ?")
        with self._read() as db:
            db.execute(sql, (*params, limit))
            return [_listed(r) for r in db.fetchall()]

    def search(self, query: search.Query, chosen: CaseFilter, *, offset: int = 0,
               limit: int = 20, now: datetime | None = None,
               count: bool = True) -> tuple[list[dict[str, Any]], int | None]:
        """The cases the filter matches that the query finds, best first (a reference
        matched exactly, then the council's name, then the words), a page from `offset`,
        each with its indexed text (`body`) for a snippet; and how many match in all."""
        if query.empty:
            return [], 0
        where, params = chosen.where(now or datetime.now(UTC))
        scope = " WHERE " + " AND ".join(where) if where else ""
        with self._read() as db:
            councils: list[str] = []
            if query.words:
                db.execute(search.COUNCILS, (query.council_part(),))
                councils = [name for name, folded in db.fetchall()
                            if not query.finds_words_of(folded)]  # the index finds the rest
            hits, hit_params = search.matches(query, councils, postgres=self.postgres)
            # The count comes with the page (every match is read to rank it anyway).
            db.execute(f"SELECT {', '.join('c.' + c for c in _COLUMNS)}, "
                       f"COUNT(*) OVER (), p.problem FROM ({hits}) h "
                       "JOIN case_list c ON c.case_id = h.case_id "
                       "LEFT JOIN case_list_problems p ON p.case_id = c.case_id"
                       f"{scope} ORDER BY h.score DESC, c.raised_at DESC, c.case_id "
                       "LIMIT ? OFFSET ?", (*hit_params, *params, limit, offset))
            found = db.fetchall()
            rows = [_listed((*r[:len(_COLUMNS)], r[-1])) for r in found]
            total = int(found[0][-2]) if found else None
            # The page's own text, read for its rows only, not for every match ranked.
            if rows:
                db.execute("SELECT case_id, reference, body FROM case_search WHERE case_id IN ("
                           + ", ".join("?" * len(rows)) + ")", [r["case_id"] for r in rows])
                text = {case_id: (reference, body) for case_id, reference, body in db.fetchall()}
                for row in rows:
                    reference, row["body"] = text.get(row["case_id"], ("", ""))
                    row["reference"] = reference or None
            if count and total is None:  # a page past the last: counted on its own
                ids, id_params = search.matches(query, councils, postgres=self.postgres,
                                                scored=False)
                db.execute(f"SELECT COUNT(*) FROM ({ids}) h JOIN case_list c ON "
                           f"c.case_id = h.case_id{scope}", (*id_params, *params))
                total = int(db.fetchone()[0])
        return rows, total if count else None

    def worklist_counts(self, chosen: CaseFilter, *, soon: datetime,
                        now: datetime | None = None) -> WorklistCounts:
        """Over every case the filter matches: how many (from the tally where the filter
        allows), how many overdue, how many due between now and `soon`."""
        moment = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
        where, params = chosen.where(now or datetime.now(UTC))
        with self._read() as db:
            total = case_tally.total(db, chosen)
            if total is None:
                db.execute("SELECT COUNT(*) FROM case_list c WHERE "
                           + " AND ".join(where or ["1 = 1"]), params)
                total = int(db.fetchone()[0])
            # The two counts that move with the clock, together: one range of the due index.
            db.execute(f"SELECT COUNT(CASE WHEN {DUE_KEY} < ? THEN 1 END), COUNT(CASE WHEN "
                       f"{DUE_KEY} >= ? THEN 1 END) FROM case_list c WHERE "
                       + " AND ".join([*where, f"{DUE_KEY} <= ?"]),
                       (moment, moment, *params, soon.astimezone(UTC).isoformat()))
            overdue, due_soon = db.fetchone()
        return WorklistCounts(total, int(overdue), int(due_soon))

    def regional_picture(self, *, region: str | None = None,
                         now: datetime | None = None) -> dict[str, Any]:
        """Open cases by stage and risk, hot spots, coasting authorities, overdue cases."""
        scope, params = ("AND region = ?", [region]) if region else ("", [])
        moment = _iso(now or datetime.now(UTC))
        with self._transaction() as db:
            db.execute("SELECT stage, COALESCE(risk_band, 'not assessed'), COUNT(*) "
                       f"FROM case_list WHERE status = 'open' {scope} "
                       "GROUP BY stage, risk_band ORDER BY stage", params)
            by_stage: dict[str, dict[str, int]] = {}
            for stage, band, count in db.fetchall():
                by_stage.setdefault(stage, {})[band] = count
            db.execute("SELECT authority, COUNT(*) FROM case_list WHERE status = 'open' "
                       f"{scope} GROUP BY authority HAVING COUNT(*) > 1 ORDER BY 2 DESC", params)
            hot_spots = [{"authority": a, "open_cases": n} for a, n in db.fetchall()]
            db.execute("SELECT DISTINCT authority FROM case_list WHERE status = 'open' "
                       f"AND issue_type = 'coasting' {scope} ORDER BY authority", params)
            coasting = [a for (a,) in db.fetchall()]
            db.execute("SELECT COUNT(*) FROM case_list WHERE status = 'open' "
                       f"AND next_due < ? {scope}", [moment, *params])
            overdue = db.fetchone()[0]
        return {"region": region, "open_cases_by_stage_and_risk": by_stage,
                "hot_spots": hot_spots, "coasting_authorities": coasting,
                "overdue_cases": overdue}

    def national_counts(self, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Open cases counted by region, stage and risk band, each with how many are overdue
        and how many carry a red flag: the national picture, in one grouped query."""
        with self._transaction() as db:
            db.execute("SELECT region, stage, risk_band, COUNT(*), "
                       "SUM(CASE WHEN next_due < ? THEN 1 ELSE 0 END), "
                       "SUM(CASE WHEN red_flag_raised_at IS NOT NULL THEN 1 ELSE 0 END) "
                       "FROM case_list WHERE status = 'open' "
                       "GROUP BY region, stage, risk_band", [_iso(now or datetime.now(UTC))])
            return [{"region": region, "stage": stage, "risk_band": band, "open": int(n),
                     "overdue": int(overdue), "red_flags": int(flagged)}
                    for region, stage, band, n, overdue, flagged in db.fetchall()]


FOLDED_CASES = 20_000  # cases a rebuild keeps folded in memory
# A rebuild writes rows once this many cases have changed, or this many events were read:
# on SQLite every command waits while it writes (one writer for the whole database), so
# it writes more often there; PostgreSQL locks only the tracking row.
WRITE_EVERY = 5_000
WRITE_EVERY_EVENTS = {"postgres": 50_000, "sqlite": 10_000}
ANALYSE_AFTER = 10_000  # events applied at once after which PostgreSQL's statistics are renewed


def _row_view(case: Any) -> dict[str, Any]:
    """The part of `case_view` that `row_for` reads, without copying the rest."""
    return {"id": case.id, "version": case.version, "authority": case.authority,
            "region": case.region, "stage": case.stage, "status": case.status,
            "issue_type": case.issue_type, "raised_at": case.raised_at,
            "deadlines": case.deadlines, "risk": case.risk, "owner": case.owner,
            "pending_escalation": getattr(case, "pending_escalation", None),
            "joint_meeting_proposal": case.joint_meeting_proposal, "red_flag": case.red_flag,
            "agreement_requested": case.agreement_requested, "advisers": case.advisers,
            # what the search index reads (services/caselist/search.py)
            "summary": case.summary, "intelligence": case.intelligence,
            "diagnosis": case.diagnosis, "plan": case.plan, "agreed_plan": case.agreed_plan,
            "reference": case.reference, "documents": getattr(case, "documents", ())}


_ARRAY_TYPES = ("text", "text", "text", "text", "text", "text", "int", "text", "text", "text",
                "int", "text", "text", "text", "text", "text", "text", "text", "text", "text",
                "text", "text")
_UPSERT_ARRAYS = (
    f"INSERT INTO case_list ({', '.join(_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"?::{t}[]" for t in _ARRAY_TYPES) + ") ON CONFLICT (case_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
    + " WHERE case_list.version < excluded.version"
)


def _fold(cases: CaseService, folded: "OrderedDict[UUID, Any]", notification: Any) -> Any:
    """The case as of this notification's event: the folded case with it applied."""
    case_id, version = notification.originator_id, notification.originator_version
    case = folded.pop(case_id, None)
    if case is not None and case.version == version - 1:
        case = mutate_each(case, [cases.mapper.to_domain_event(notification)])
    elif version == 1:
        case = mutate_each(None, [cases.mapper.to_domain_event(notification)])
    else:
        case = cases.aggregate_as_of(case_id, version=version)
    folded[case_id] = case
    if len(folded) > FOLDED_CASES:
        folded.popitem(last=False)
    return case


class _Folding:
    """The cases a write will project, folded page by page: `touched` keeps each case as
    of its latest event read, `broken` each stream that failed, at the version that
    failed (its later events are passed over until the next write)."""

    def __init__(self, cases: CaseService, folded: "OrderedDict[UUID, Any]") -> None:
        self.cases, self.folded, self.read = cases, folded, 0
        self.touched: dict[Any, Any] = {}
        self.broken: dict[Any, tuple[int, Exception]] = {}

    @property
    def changed(self) -> int:
        return len(self.touched) + len(self.broken)

    def page(self, page: list[Any]) -> None:
        self.read += len(page)
        for notification in page:
            case_id = notification.originator_id
            if case_id in self.broken or not self._of_a_case(notification):
                continue
            try:
                self.touched[case_id] = _fold(self.cases, self.folded, notification)
            except STREAM_ERRORS as error:
                self.folded.pop(case_id, None)
                self.touched.pop(case_id, None)
                self.broken[case_id] = (notification.originator_version, error)


    def _of_a_case(self, notification: Any) -> bool:
        """Whether the event belongs to a case's stream. By its topic, unless the topic
        names no known type (an altered row, say): then by the stream's first event, so
        that a case whose event was given a foreign topic is still set aside."""
        if notification.topic.startswith(CASE_TOPIC_PREFIX):
            return True
        case_id = notification.originator_id
        if case_id in self.folded or case_id in self.touched:
            return True
        try:
            resolve_topic(notification.topic)
            return False
        except (TopicError, ValueError, ImportError, AttributeError):
            first = list(self.cases.recorder.select_events(case_id, lte=1))
            return bool(first) and first[0].topic.startswith(CASE_TOPIC_PREFIX)


def _listed(record: tuple) -> dict[str, Any]:
    """A row of the list; a case set aside says so, and that its history fails verification."""
    row = dict(zip(_COLUMNS, record[:-1], strict=True))
    row["red_flag"] = row["red_flag_raised_at"] is not None
    if record[-1] is not None:
        row["verification"] = {"ok": False, "problem": record[-1]}
    return row


def _plain(text: str) -> str:
    """A reason fit to store in a text column: control characters (NUL above all) dropped."""
    return re.sub("[\x00-\x1f\x7f-\x9f]", "?", text)


def _broken_link(cases: CaseService, case_id: UUID) -> str:
    try:
        result = cases.verify(case_id)
    except Exception as error:  # noqa: BLE001 - the reason is what matters here
        return f"its history could not be verified ({type(error).__name__})"
    if result.ok:
        return "its history verifies"
    return f"its history fails verification at version {result.first_broken_version}: " \
           f"{result.problem}"


@contextmanager
def _savepoint(cursor: Any) -> Iterator[None]:
    """A failed statement undoes only itself (PostgreSQL aborts the whole transaction else)."""
    cursor.execute("SAVEPOINT case_row")
    try:
        yield
    except BaseException:
        cursor.execute("ROLLBACK TO SAVEPOINT case_row")
        cursor.execute("RELEASE SAVEPOINT case_row")
        raise
    cursor.execute("RELEASE SAVEPOINT case_row")
