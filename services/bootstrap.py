"""The one wiring point: builds the real adapters from configuration."""

from domain.calendar import PolicyDuration
from services.cases.service import CaseService
from services.platform.settings import Settings


def build_case_service(settings: Settings) -> CaseService:
    return CaseService(
        settings.eventsourcing_env(),
        diagnosis_deadline=PolicyDuration.parse(
            settings.diagnosis_deadline, field="CASEWORK_DIAGNOSIS_DEADLINE"
        ),
    )
