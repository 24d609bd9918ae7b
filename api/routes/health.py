"""Health: `/health` says the process serves (cheap, for liveness probes);
`/health/ready` says whether it can do its work, 503 when the event store or
Temporal does not answer (for readiness probes and load balancers)."""

from fastapi import APIRouter, Response

from api.deps import CasesDep, GatewayDep
from api.schemas import Health, Liveness
from api.threads import in_thread

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Liveness)
async def health() -> Liveness:
    """Touches nothing: a liveness probe must not fail because a dependency did."""
    return Liveness(status="ok")


@router.get("/health/ready", response_model=Health,
            responses={503: {"model": Health, "description": "the store or Temporal is down"}})
async def ready(cases: CasesDep, gateway: GatewayDep, response: Response) -> Health:
    try:
        await in_thread(cases.ping)
        store = "up"
    except Exception:  # noqa: BLE001 - any failure means "down"
        store = "down"
    temporal = "up" if gateway is not None and await gateway.healthy() else "down"
    ok = store == "up" and temporal == "up"
    response.status_code = 200 if ok else 503
    return Health(status="ok" if ok else "unavailable", event_store=store, temporal=temporal)
