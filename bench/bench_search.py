"""Search over 100,000 cases, beside the raw full-text query in the same run.

The index is filled directly with generated rows (what the projector would have
written), not by opening 100,000 cases through the domain. The search is timed as
the API and the page run it (the ranked page, the council-name part match, the
reach filter, the count); the baseline is the bare full-text query for the same
ranked page and its count, on a kept-open connection.
"""

import random
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench.bench_queries import REGIONS, STAGES
from bench.common import Result, best_time, progress
from services.caselist import search
from services.caselist.projection import CaseListView
from services.caselist.worklist import CaseFilter

PLACES = ["North", "South", "East", "West", "Upper", "Lower", "Great", "Little", "Old",
          "New", "Kings", "Bromley", "Ash", "Oak", "Elm", "Stone", "Mill", "Bridge", "Brook",
          "Market"]
ENDINGS = ["shire", "vale", "field", "bury", "ton", "ham", "ford", "wick", "by-Bow", "port"]
KINDS = ["County Council", "District Council", "Borough Council", "City Council"]
COMMON = ("leadership budget gap children services inadequate ofsted governance capacity "
          "housing planning backlog finance section notice audit adult social care peer "
          "review improvement board interim director chief executive turnover resigned "
          "overspend reserves savings procurement contract waste highways schools").split()


def councils() -> list[str]:
    return [f"{p}{e} {k}" for p in PLACES for e in ENDINGS for k in KINDS][:400]


def _text(rnd: random.Random, rare: list[str], n: int) -> str:
    return " ".join(rnd.choice(COMMON) if rnd.random() < 0.3 else rnd.choice(rare)
                    for _ in range(n)).capitalize()


def fill(view: CaseListView, n_cases: int) -> None:
    """The case list and its search index, straight into their tables."""
    rnd = random.Random(11)
    names = councils()
    rare = [f"{rnd.choice('bcdfghklmnprstvw')}{rnd.choice('aeiou')}"
            f"{rnd.choice('bcdfghklmnprstvw')}{rnd.choice('aeiou')}{rnd.choice('lmnrst')}"
            for _ in range(5000)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    listed, indexed = [], []
    for n in range(n_cases):
        case_id = str(uuid.UUID(int=rnd.getrandbits(128)))
        authority, region = rnd.choice(names), rnd.choice(REGIONS)
        raised = start + timedelta(minutes=n)
        listed.append((case_id, authority, region, rnd.choice(STAGES),
                       "open" if rnd.random() < 0.7 else "closed", "coasting",
                       raised.isoformat(), 3))
        body = "\n".join(_text(rnd, rare, rnd.randint(8, 40)) for _ in range(rnd.randint(1, 4)))
        reference = f"{region[:1]}{region.split()[-1][:1]}-2026-{n:05d}".upper()
        indexed.append((case_id, 3, reference, authority, search.fold(authority), body,
                        search.fold(body)))
    named = sorted({(a, search.fold(a)) for a in names})
    sql = ("INSERT INTO case_list (case_id, authority, region, stage, status, issue_type, "
           "raised_at, version) VALUES (?,?,?,?,?,?,?,?)")
    with view._transaction(lock=True) as cursor:
        if view.postgres:
            cursor.cursor.executemany(sql.replace("?", "%s"), listed)
            cursor.cursor.executemany(search.UPSERT.replace("?", "%s"), indexed)
            cursor.cursor.executemany(search.NAME_COUNCILS.replace("?", "%s"), named)
        else:
            cursor.executemany(sql, listed)
            cursor.executemany(search.UPSERT, indexed)
            cursor.executemany(search.NAME_COUNCILS, named)
    with view._transaction() as cursor:
        cursor.execute("ANALYZE" if not view.postgres else "ANALYZE case_list")
        if view.postgres:
            cursor.execute("ANALYZE case_search")


def raw_part(settings, query: search.Query):
    """A part of a council's name has no full-text counterpart (the index holds whole
    words): its baseline is the plain scan a LIKE over every case's council makes."""
    like = query.council_part()
    page = ("SELECT case_id FROM case_search WHERE authority_folded LIKE ? "
            "ORDER BY case_id LIMIT 20")
    count = "SELECT COUNT(*) FROM case_search WHERE authority_folded LIKE ?"
    if settings.store == "postgres":
        conn: Any = psycopg.connect(settings.postgres_url, autocommit=True)
        conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        page, count = page.replace("?", "%s"), count.replace("?", "%s")
    else:
        conn = sqlite3.connect(settings.sqlite_path)
    return conn, lambda: (conn.execute(page, (like,)).fetchall(),
                          conn.execute(count, (like,)).fetchone())


def raw_search(settings, query: search.Query):
    """The bare full-text query: the same ranked page of 20 and the count of matches."""
    if settings.store == "postgres":
        conn = psycopg.connect(settings.postgres_url, autocommit=True)
        conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        tsq = query.tsquery()
        page = ("SELECT case_id FROM case_search WHERE document @@ to_tsquery('simple', %s) "
                "ORDER BY ts_rank(document, to_tsquery('simple', %s)) DESC LIMIT 20")
        count = "SELECT COUNT(*) FROM case_search WHERE document @@ to_tsquery('simple', %s)"
        return conn, lambda: (conn.execute(page, (tsq, tsq)).fetchall(),
                              conn.execute(count, (tsq,)).fetchone())
    lite = sqlite3.connect(settings.sqlite_path)
    fts = query.fts5()
    page = ("SELECT rowid FROM case_search_fts WHERE case_search_fts MATCH ? "
            "ORDER BY rank LIMIT 20")
    count = "SELECT COUNT(*) FROM case_search_fts WHERE case_search_fts MATCH ?"
    return lite, lambda: (lite.execute(page, (fts,)).fetchall(),
                          lite.execute(count, (fts,)).fetchone())


SEARCHES = {"words": "budget gap", "council name": "northshire", "council part": "shire"}


def searches(store: str, settings, *, n_cases: int = 100_000) -> list[Result]:
    progress(f"search on {store}: filling the case list and its index with {n_cases:,} cases")
    view = CaseListView(settings)
    fill(view, n_cases)
    results = []
    for what, text in SEARCHES.items():
        query = search.Query.of(text)
        conn, raw = (raw_part if what == "council part" else raw_search)(settings, query)
        progress(f"search on {store}: {what} ({text!r}) against the raw full-text query")
        baseline = best_time(raw, repeat=5, number=5)
        found = best_time(lambda q=query: view.search(q, CaseFilter(region="North West"),
                                                      limit=20), repeat=5, number=5)
        _, total = view.search(query, CaseFilter(region="North West"), limit=20)
        conn.close()
        results.append(Result(
            "search", f"{store}: search by {what}, {n_cases:,} cases", found * 1000,
            baseline * 1000, "ms", "within 3x of the raw full-text query"
            if what != "council part" else "within 3x of a raw LIKE over every case",
            notes=f"{total:,} matches in the region; the baseline is the bare ranked page "
                  "and count over every region"))
    view.close()
    return results
