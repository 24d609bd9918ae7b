"""The composition root: every service of a process, built once from one `Settings`.

The API, the worker and the command line each call `build_services` once, and
hand its parts to what needs them; collaborators go in through constructors and
nothing is wired afterwards. So one register service serves a process, and the
rule that a case (or a council liaison) names a registered council holds in
every process that records one.
"""

from dataclasses import dataclass

from domain.calendar import PolicyDuration
from services.audit.access_log import AccessLogBook
from services.caselist.migrations import migrate
from services.caselist.projection import CaseListView
from services.caselist.retention import RetentionBook
from services.cases.redaction import Redactor
from services.cases.service import CaseService
from services.documents.blobs import BlobStore, build_blob_store
from services.identity.service import IdentityService, build_identity_service
from services.identity.sign_in_links import SignInLinks
from services.platform.settings import Settings
from services.policy.service import PolicyService
from services.registers.service import RegisterService
from services.reminders.sign_in_mail import SignInMail


@dataclass(frozen=True)
class Services:
    """What one process uses; `close` closes each, the case service last."""

    settings: Settings
    registers: RegisterService
    policies: PolicyService
    identity: IdentityService
    cases: CaseService
    case_list: CaseListView
    sign_in_links: SignInLinks
    sign_in_mail: SignInMail
    documents: BlobStore
    """The bytes of documents attached to cases, by their SHA-256 (services/documents/)."""
    access_log: AccessLogBook  # who read which case, or searched
    retention: RetentionBook  # closed cases, and when each may be disposed of
    redactor: Redactor  # carries out the redactions cases record (services/cases/redaction.py)

    def close(self) -> None:
        for service in (self.retention, self.access_log, self.documents, self.sign_in_links,
                        self.case_list, self.identity, self.policies, self.registers,
                        self.cases):
            service.close()


def build_services(settings: Settings) -> Services:
    """Brings the side tables up to date, then opens the stores: call it off the event
    loop. A case found with an unreadable event is set aside in the case list."""
    migrate(settings)
    env = settings.eventsourcing_env()
    registers = RegisterService(env)
    policies = PolicyService(env)
    links = SignInLinks(settings)
    identity = build_identity_service(settings, authorities=registers.authority_region,
                                      links=links)
    case_list = CaseListView(settings)
    cases = CaseService(
        env,
        diagnosis_deadline=PolicyDuration.parse(
            settings.diagnosis_deadline, field="CASEWORK_DIAGNOSIS_DEADLINE"),
        authorities=registers.authority_region,
        people=identity.person,
        registers=registers,
        policies=policies,
        unreadable_found=case_list.set_aside_unreadable,
    )
    documents = build_blob_store(settings)
    redactor = Redactor(cases, cases.key_store, documents,
                        views=[lambda case_id: case_list.refresh_case(case_id, cases)])
    return Services(settings, registers, policies, identity, cases, case_list, links,
                    SignInMail(settings, identity, links), documents,
                    access_log=AccessLogBook(settings), retention=RetentionBook(settings),
                    redactor=redactor)
