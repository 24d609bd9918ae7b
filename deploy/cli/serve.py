"""`casework run` and `casework worker`: the service, whole or one worker."""

import argparse


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    run = commands.add_parser(
        "run", help="start the whole service: Temporal dev server, worker and API",
        description="Start the whole service on the embedded default (SQLite and the "
                    "Temporal CLI dev server), supervised: a part that dies is restarted. "
                    "Set TEMPORAL_ADDRESS to use a Temporal server of your own. Ctrl-C stops "
                    "it. Ports: CASEWORK_API_PORT, CASEWORK_DEV_TEMPORAL_PORT, "
                    "CASEWORK_DEV_TEMPORAL_UI_PORT, CASEWORK_WORKER_METRICS_PORT.")
    run.set_defaults(handler=_run)
    worker = commands.add_parser(
        "worker", help="start one worker against TEMPORAL_ADDRESS (for scaling out)",
        description="Start one worker: the case workflows, their activities and the "
                    "reconciler, against the Temporal server at TEMPORAL_ADDRESS.")
    worker.set_defaults(handler=_worker)


def _run(_args: argparse.Namespace) -> int:
    from deploy import run  # imported here: it installs signal handlers as it starts

    run.main()
    return 0


def _worker(_args: argparse.Namespace) -> int:
    from workflows import worker

    worker.main()
    return 0
