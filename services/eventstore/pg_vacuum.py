"""Vacuuming a PostgreSQL table so that a row just deleted or overwritten leaves no bytes
in its pages.

A vacuum removes a dead row version only once no transaction could still see it: one
that began before the delete committed, on any connection to the database, keeps it in
the table's pages (the vacuum passes over it and says nothing). Disposal, redaction and
a destroyed key vacuum straight after their own commit, while other people's requests
are running, so they first wait, briefly, for every snapshot older than that commit to
end. Transactions here last milliseconds; a session left idle in a transaction for
longer than the wait is logged, and its reader still cannot open what it would see.
"""

import logging
import time
from typing import Any

log = logging.getLogger(__name__)

SNAPSHOT_WAIT = 10.0
"""Seconds to wait for the snapshots older than the change to end before vacuuming."""

_OLDER_SNAPSHOTS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
    "AND (age(backend_xmin) > age(%(horizon)s::text::xid) "
    "OR age(backend_xid) > age(%(horizon)s::text::xid))")
"""Other sessions holding a snapshot, or running a transaction that writes, from before
the given transaction id: either keeps a vacuum from removing what was deleted since.
Only client sessions: a vacuum of its own passes over autovacuum's and other vacuums'.
A role that may not read other roles' sessions sees neither, and so waits for none."""

_HORIZON = ("SELECT mod(pg_snapshot_xmax(pg_current_snapshot())::text::numeric, 4294967296)"
            "::bigint::text")
"""The next transaction id, as a 32-bit `xid`: the 64-bit id counts wraparounds, and from
PostgreSQL 16 a value past 2^32 no longer casts to `xid`."""


def vacuum_unseen(cursor: Any, *tables: str, wait: float = SNAPSHOT_WAIT) -> bool:
    """VACUUM `tables` once no other session holds a snapshot from before now; `cursor`
    is in autocommit (VACUUM runs outside a transaction). False when some session still
    held one after `wait` seconds (the vacuum runs anyway)."""
    cursor.execute(_HORIZON)
    horizon = _first(cursor)
    deadline = time.monotonic() + wait
    while True:
        cursor.execute(_OLDER_SNAPSHOTS, {"horizon": horizon})
        clear = _first(cursor) == 0
        if clear or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    if not clear:
        log.warning("vacuuming %s while a session still holds a snapshot from before the "
                    "change: its old row versions stay until the next vacuum",
                    ", ".join(tables))
    for table in tables:
        cursor.execute(f"VACUUM {table}")
    return clear


def _first(cursor: Any) -> Any:
    """The first column of the row just read, whether rows come as tuples or dicts."""
    row = cursor.fetchone()
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
