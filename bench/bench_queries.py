"""The case list and regional picture over 100,000 cases, beside raw indexed SQL."""

import random
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from bench.common import Result, best_time, progress
from services.caselist.projection import LISTED_COLUMNS, CaseListView

STAGES = ["local", "RIEP", "government meeting"]
BANDS = ["immediate action needed", "key risk", "monitor", "no action", None]
REGIONS = ["North East", "North West", "Yorkshire and the Humber", "East Midlands",
           "West Midlands", "East of England", "London", "South East", "South West"]


def fill(view: CaseListView, n_cases: int) -> None:
    """Rows straight into the read-model table: what the projector would have written."""
    rnd = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(n_cases):
        band = rnd.choice(BANDS)
        raised = start + timedelta(minutes=n)
        rows.append((str(uuid.UUID(int=rnd.getrandbits(128))), f"Council {rnd.randrange(400)}",
                     rnd.choice(REGIONS), rnd.choice(STAGES),
                     "open" if rnd.random() < 0.7 else "closed",
                     rnd.choice(["coasting", "service-specific issue"]),
                     None if band is None else rnd.randint(1, 9), band, raised.isoformat(),
                     (raised + timedelta(days=rnd.randint(-30, 90))).isoformat(), 3))
    sql = ("INSERT INTO case_list (case_id, authority, region, stage, status, issue_type, "
           "risk_score, risk_band, raised_at, next_due, version) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
    with view._transaction(lock=True) as cursor:
        if view.postgres:
            cursor.cursor.executemany(sql.replace("?", "%s"), rows)
        else:
            cursor.executemany(sql, rows)
    with view._transaction() as cursor:
        cursor.execute("ANALYZE case_list" if view.postgres else "ANALYZE")


def raw_query(settings):
    """The same filtered page as one indexed SQL query on a kept-open connection: the
    list's columns and a stream's problem, as the page carries them."""
    sql = (f"SELECT {', '.join('c.' + c for c in LISTED_COLUMNS)}, p.problem FROM case_list c "
           "LEFT JOIN case_list_problems p ON p.case_id = c.case_id WHERE c.stage = ? AND "
           "c.risk_band = ? ORDER BY c.raised_at, c.case_id LIMIT 51")
    if settings.store == "postgres":
        conn = psycopg.connect(settings.postgres_url, autocommit=True)
        conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        sql = sql.replace("?", "%s")
    else:
        conn = sqlite3.connect(settings.sqlite_path)
    return conn, lambda: conn.execute(sql, ("RIEP", "key risk")).fetchall()


PICTURE = [
    "SELECT stage, COALESCE(risk_band, 'not assessed'), COUNT(*) FROM case_list "
    "WHERE status = 'open' GROUP BY stage, risk_band ORDER BY stage",
    "SELECT authority, COUNT(*) FROM case_list WHERE status = 'open' GROUP BY authority "
    "HAVING COUNT(*) > 1 ORDER BY 2 DESC",
    "SELECT DISTINCT authority FROM case_list WHERE status = 'open' AND issue_type = 'coasting' "
    "ORDER BY authority",
    "SELECT COUNT(*) FROM case_list WHERE status = 'open' AND next_due < '2025-01-01'",
]


def raw_picture(conn):
    """The regional picture's four queries, raw, on a kept-open connection."""
    return lambda: [conn.execute(sql).fetchall() for sql in PICTURE]


def queries(store: str, settings, *, n_cases: int = 100_000) -> list[Result]:
    progress(f"queries on {store}: filling the case list with {n_cases:,} cases")
    view = CaseListView(settings)
    fill(view, n_cases)
    progress(f"queries on {store}: filtered case list and regional picture against raw SQL")
    conn, raw = raw_query(settings)
    raw_list = best_time(raw, repeat=5, number=20)
    listed = best_time(lambda: view.list_cases(stage="RIEP", risk_band="key risk"),
                       repeat=5, number=20)
    raw_pic = best_time(raw_picture(conn), repeat=3, number=3)
    picture = best_time(lambda: view.regional_picture(), repeat=3, number=3)
    conn.close()
    return [
        Result("queries", f"{store}: case list by stage and risk, {n_cases:,} cases",
               listed * 1000, raw_list * 1000, "ms", "within 3x of the raw indexed query"),
        Result("queries", f"{store}: regional picture, {n_cases:,} cases", picture * 1000,
               raw_pic * 1000, "ms", "within 3x of the raw queries",
               notes="the picture is four grouped queries; the baseline runs the same four raw"),
    ]
