"""How many cases the list holds for each region, council, owner, stage, risk band and status.

Counting a region's 100,000 cases reads 100,000 index entries, on every My work
page after any change anywhere. The projector instead keeps a tally per
combination, moved by one in the same transaction as each row it writes, so a
worklist's total is a sum over a few tally rows. A filter on the clock (overdue,
due by) or on the red flag is still counted over the list itself.
"""

from collections import Counter
from dataclasses import astuple
from typing import Any

from services.caselist.worklist import CaseFilter

TALLIED = ("region", "authority", "status", "owner", "stage", "risk_band")
"""The list's columns a tally is kept by: the worklist filters that are plain equalities."""
TALLY_TABLE = f"""CREATE TABLE IF NOT EXISTS case_list_tally (
    {', '.join(f'{column} TEXT NOT NULL' for column in TALLIED)}, cases INTEGER NOT NULL,
    PRIMARY KEY ({', '.join(TALLIED)}))"""
_NONE = ""  # a column with no value (no owner, not assessed), as the tally keys it
_CHUNK = 500

Key = tuple[str, ...]


def changes(cursor: Any, rows: list[dict[str, Any]]) -> Counter[Key]:
    """What writing these rows (each a newer version of its case, or a new case) moves:
    the case's old combination down one, its new one up one. A row no newer than the
    one stored is not written, so moves nothing."""
    stored: dict[str, tuple[int, Key]] = {}
    ids = [row["case_id"] for row in rows]
    for first in range(0, len(ids), _CHUNK):
        chunk = ids[first:first + _CHUNK]
        cursor.execute(f"SELECT case_id, version, {', '.join(TALLIED)} FROM case_list "
                       f"WHERE case_id IN ({', '.join('?' * len(chunk))})", chunk)
        for case_id, version, *values in cursor.fetchall():
            stored[case_id] = (version, _key(values))
    moved: Counter[Key] = Counter()
    for row in rows:
        version, old = stored.get(row["case_id"], (None, None))
        if version is not None and version >= row["version"]:
            continue
        if old is not None:
            moved[old] -= 1
        moved[_key([row[column] for column in TALLIED])] += 1
    return moved


def apply(cursor: Any, moved: Counter[Key]) -> None:
    for key, by in moved.items():
        if by:
            cursor.execute(
                f"INSERT INTO case_list_tally VALUES ({', '.join('?' * (len(TALLIED) + 1))}) "
                f"ON CONFLICT ({', '.join(TALLIED)}) DO UPDATE SET "
                "cases = case_list_tally.cases + excluded.cases", (*key, by))


def total(cursor: Any, chosen: CaseFilter) -> int | None:
    """The filter's total from the tally; None when the filter is not one the tally keeps
    (the clock, the red flag, an empty value)."""
    asked = {column: getattr(chosen, column) for column in TALLIED}
    rest = [value for name, value in zip(_FIELDS, astuple(chosen), strict=True)
            if name not in TALLIED]
    if any(value is not None for value in rest) or _NONE in asked.values():
        return None
    where = [f"{column} = ?" for column, value in asked.items() if value is not None]
    cursor.execute("SELECT COALESCE(SUM(cases), 0) FROM case_list_tally"
                   + (" WHERE " + " AND ".join(where) if where else ""),
                   [value for value in asked.values() if value is not None])
    return int(cursor.fetchone()[0])


_FIELDS = tuple(CaseFilter.__dataclass_fields__)


def key_of(values: Any) -> Key:
    """The tally key of a row's TALLIED columns, in that order."""
    return _key(list(values))


def _key(values: list[Any]) -> Key:
    return tuple(_NONE if value is None else str(value) for value in values)
