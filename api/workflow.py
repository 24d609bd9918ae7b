"""Telling the case's escalation workflow that something happened."""

from uuid import UUID

from services.cases.workflow_gateway import WorkflowGateway


async def tell_workflow(gateway: WorkflowGateway | None, case_id: UUID, *, start: bool) -> None:
    """Best effort: the worker's reconciler starts any workflow this misses."""
    if gateway is None:
        return
    try:
        if start:
            await gateway.ensure_started(str(case_id))
        else:
            await gateway.case_changed(str(case_id))
    except Exception:  # noqa: BLE001 - the event is stored; the reconciler catches up
        pass
