"""A casework process holds few PostgreSQL connections, and none once it closes.

PostgreSQL allows 100 connections by default. Each application of a process (cases,
registers, policies, people) and each table of casework's own (sessions, sign-in
links, saved views, checkpoints) once had a pool of its own, kept open: 22 idle
connections a process, so two APIs and two workers used up a default server before
they served anyone ("sorry, too many clients already"). Now the side tables share one
pool a process and each application's pool keeps one connection at rest (two, once
it has created its tables under the schema lock): about a dozen.
"""

import os
from pathlib import Path

import pytest

from services.audit.checkpoints import CheckpointLedger
from services.bootstrap import build_services
from services.caselist.saved_views import SavedViews
from services.identity.web_sessions import SessionStore
from services.platform.settings import Settings

POSTGRES_PORT = 5432
ESTABLISHED = "01"


def postgres_connections() -> int:
    """This process's open TCP connections to PostgreSQL's port (from /proc)."""
    ours = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            ours.add(target[8:-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == POSTGRES_PORT and fields[3] == ESTABLISHED and fields[9] in ours:
                count += 1
    return count


@pytest.mark.postgres
def test_a_process_holds_half_the_connections_it_did_and_none_once_closed(
        tmp_path: Path, postgres_url: str, postgres_schema: str):
    settings = Settings(data_dir=tmp_path / "var", store="postgres", postgres_url=postgres_url,
                        postgres_schema=postgres_schema)
    before = postgres_connections()
    services = build_services(settings)
    side = [CheckpointLedger.configured(settings), SessionStore(settings, idle_seconds=60),
            SavedViews(settings)]
    try:
        held = postgres_connections() - before
        assert 0 < held <= 14, f"{held} connections held by one process's services"
    finally:
        for store in side:
            store.close()
        services.close()
    assert postgres_connections() == before
