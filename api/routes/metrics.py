"""`/metrics`: this API process's Prometheus metrics, and the read model's lag.

The lag (events in the log that the case list has not applied yet) is read at
scrape time: two small reads, no lock.
"""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from api.threads import in_thread
from services.caselist.projection import CaseListView
from services.cases.service import CaseService

router = APIRouter(tags=["health"])

READ_MODEL_LAG = Gauge("casework_read_model_lag_events",
                       "Events in the notification log not yet applied to the case list.")


def _lag(cases: CaseService, case_list: CaseListView) -> int:
    return max(0, (cases.recorder.max_notification_id() or 0) - case_list.position())


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(request: Request) -> Response:
    try:
        READ_MODEL_LAG.set(await in_thread(_lag, request.app.state.cases,
                                           request.app.state.case_list))
    except Exception:  # noqa: BLE001 - the store being down must not hide the other metrics
        READ_MODEL_LAG.set(float("nan"))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
