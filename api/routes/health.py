"""Health: 200 only when both the event store and Temporal answer."""

from fastapi import APIRouter, Response
from api.threads import in_thread

from api.deps import CasesDep, GatewayDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health(cases: CasesDep, gateway: GatewayDep, response: Response) -> Health:
    try:
        await in_thread(cases.ping)
        store = "up"
    except Exception:  # noqa: BLE001 - any failure means "down"
        store = "down"
    temporal = "up" if gateway is not None and await gateway.healthy() else "down"
    ok = store == "up" and temporal == "up"
    response.status_code = 200 if ok else 503
    return Health(status="ok" if ok else "unavailable", event_store=store, temporal=temporal)
