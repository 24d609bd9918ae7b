"""The suite runs in parallel (pytest-xdist): each worker's ports are its own.

A test asks `free_port()` for a port and binds it a little later; if two workers
could be handed the same port in that gap, a server would fail to start, now and
then, on a busy machine. These check the guarantee rather than wait for the flake.
"""

import socket

import pytest

from tests import conftest

EPHEMERAL_START = 32768  # Linux's default: where bind(0) and outgoing connections take ports


def test_a_worker_is_handed_ports_from_its_own_block_and_never_the_same_one_twice(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    ports = [conftest.free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert all(21000 <= port < 22000 for port in ports)


def test_the_workers_blocks_do_not_overlap_and_stay_below_the_kernels_own_ports(
        monkeypatch: pytest.MonkeyPatch):
    blocks = []
    for worker in range(12):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
        blocks.append(set(conftest._port_block()))
    assert sum(len(block) for block in blocks) == len(set().union(*blocks))
    assert max(max(block) for block in blocks) < EPHEMERAL_START


def test_a_run_without_workers_uses_the_first_block(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert 20000 <= conftest.free_port() < 21000


def test_a_port_something_already_listens_on_is_not_handed_out(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    block = conftest._port_block()
    port = next(port for port in block if conftest._free(port))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        monkeypatch.setattr(conftest.random, "randrange", lambda _: block.index(port))
        handed = conftest.free_port()
    assert handed != port and handed in block
