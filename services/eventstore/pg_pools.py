"""One pool of PostgreSQL connections per process for casework's own tables.

PostgreSQL counts every connection against `max_connections` (100 by default), and
each idle one costs it a backend. A process holds several side-table stores
(sessions, sign-in links, saved views, checkpoints, wake positions): a pool each
kept two connections open apiece, so that two APIs and two workers beside them used
up a default server before serving anyone. (The document store keeps a pool of its
own: its connections are not in autocommit.) They share one pool per
database and schema instead, handed out and released by reference count, and
closed when the last user closes.
"""

import threading
from dataclasses import dataclass

from psycopg_pool import ConnectionPool

SIDE_POOL_MAX = 8
"""Connections the side tables of one process may hold at once: each query takes one
for a few milliseconds, so eight serve far more threads than two cores can run."""


@dataclass
class _Held:
    pool: ConnectionPool
    users: int = 0


_pools: dict[tuple[str, str], _Held] = {}
_lock = threading.Lock()


def side_pool(url: str, schema: str) -> ConnectionPool:
    """The process's pool for this database and schema (opened on first use);
    every caller gives it back with `release_side_pool`."""
    key = (url, schema)
    with _lock:
        held = _pools.get(key)
        if held is None:
            options = {"options": f"-c search_path={schema}"} if schema else {}
            pool = ConnectionPool(url, min_size=1, max_size=SIDE_POOL_MAX, open=True,
                                  kwargs={"autocommit": True, **options})
            held = _pools[key] = _Held(pool)
        held.users += 1
        return held.pool


def release_side_pool(pool: ConnectionPool) -> None:
    """One user is done with the pool; the last one closes it."""
    with _lock:
        for key, held in list(_pools.items()):
            if held.pool is pool:
                held.users -= 1
                if held.users > 0:
                    return
                del _pools[key]
                break
    pool.close()
