"""The FastAPI application. `create_app` wires it; `app` is what uvicorn serves."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from fastapi import FastAPI
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from api import errors, openapi
from api.access_reads import CaseReads
from api.middleware import AccessLog, BodyLimit, SecurityHeaders, TracedRequests
from api.references import CaseByReference
from api.routes import access_log as access_log_routes
from api.routes import cases as case_routes
from api.routes import checkpoints as checkpoint_routes
from api.routes import commands as command_routes
from api.routes import disposals as disposal_routes
from api.routes import documents as document_routes
from api.routes import health, metrics, users
from api.routes import policy as policy_routes
from api.routes import reassignments as reassignment_routes
from api.routes import redactions as redaction_routes
from api.routes import registers as register_routes
from api.text import NoDuplicateKeys, PlainQuery
from api.threads import in_thread
from api.throttling import Gate
from api.web import mount as web
from services.audit.checkpoints import CheckpointLedger
from services.bootstrap import Services, build_services
from services.caselist.inbox_marks import InboxMarks
from services.caselist.saved_views import SavedViews
from services.cases.document_sweep import sweep
from services.cases.handler import CaseCommandHandler
from services.cases.idempotency import IdempotencyStore
from services.cases.workflow_gateway import WorkflowGateway, connect
from services.identity.service import IdentityService, OidcVerifier
from services.identity.web_sessions import SessionStore
from services.platform.logs import configure_logging
from services.platform.settings import Settings
from services.platform.tracing import tracer_provider
from services.records.disposal import Disposals

log = logging.getLogger("casework.api")


async def _connect_in_background(app: FastAPI, settings: Settings,
                                 interceptors: list[Interceptor]) -> None:
    """Keep trying to reach Temporal; /health/ready says 'down' until it answers."""
    while app.state.gateway is None:
        try:
            client = await connect(settings, attempts=1, interceptors=interceptors)
            app.state.gateway = WorkflowGateway(client, settings.task_queue)
        except Exception:  # noqa: BLE001 - retry until it comes up
            await asyncio.sleep(1)


async def _checkpoint_periodically(app: FastAPI, every: float) -> None:
    """Sign the streams' heads every `every` seconds, when anything was written since."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(app.state.checkpoints.write, app.state.cases,
                                    only_if_changed=True)
        except Exception:  # noqa: BLE001 - logged; the next round tries again
            log.exception("casework: writing a checkpoint failed")


def _oidc(settings: Settings) -> OidcVerifier | None:
    """OIDC tokens are accepted only when both an issuer and its JWKS URL are set."""
    if not (settings.oidc_issuer and settings.oidc_jwks_url):
        return None
    return OidcVerifier(issuer=settings.oidc_issuer, jwks_url=settings.oidc_jwks_url,
                        audience=settings.oidc_audience)


def _origin(url: str) -> str:
    """The scheme and host of a URL: where the pages' sign-out form may lead (the
    identity provider's end-session endpoint)."""
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


async def _sweep_documents(built: Services) -> None:
    """Documents' files an upload cut short or a refused command left, removed at start
    (services/cases/document_sweep.py); a sweep that fails is logged, never fatal."""
    try:
        await asyncio.to_thread(sweep, built.documents, built.cases)
    except Exception:  # noqa: BLE001 - the next start sweeps again
        log.exception("documents: the start-up sweep of unrecorded files failed")


def _warn_if_no_users(identity: IdentityService, oidc: OidcVerifier | None) -> None:
    if oidc is None and not identity.has_users():
        log.warning("casework: no users yet. Create the first coordinator and print a token:\n"
                    "  .venv/bin/casework users add YOU --role coordinator "
                    "--region 'North West'")


def create_app(settings: Settings | None = None, *, services: Services | None = None
               ) -> FastAPI:
    """The API and pages; with `services` (a test's), those are served and left open."""
    settings = settings or Settings()
    tracing = tracer_provider(settings, "casework-api")
    tracer = tracing.get_tracer("casework.api") if tracing else None
    interceptors: list[Interceptor] = [TracingInterceptor(tracer)] if tracer else []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built: Services = (services if services is not None
                           else await asyncio.to_thread(build_services, settings))
        app.state.cases = built.cases
        app.state.identity = built.identity
        app.state.registers = built.registers
        app.state.sign_in_links = built.sign_in_links
        app.state.sign_in_mail = built.sign_in_mail
        app.state.idempotency = IdempotencyStore(built.cases)
        app.state.commands = CaseCommandHandler(
            built.cases, app.state.idempotency, gateway=lambda: app.state.gateway,
            blocking=in_thread, redactor=built.redactor,
            tell_delay_seconds=settings.workflow_tell_delay)
        app.state.case_list = built.case_list
        app.state.documents = built.documents  # documents' bytes, by their hash
        app.state.access_log = built.access_log  # who has seen what (api/access_reads.py)
        app.state.document_size_limit = settings.document_size_limit
        await _sweep_documents(built)
        app.state.oidc = _oidc(settings)
        app.state.checkpoints = CheckpointLedger.configured(settings)
        app.state.retention = built.retention  # closed cases, and when each may be disposed of
        app.state.disposals = Disposals(built.cases, built.case_list, built.retention,
                                        built.documents, app.state.checkpoints,
                                        settings.retention_schedule())
        app.state.web_sessions = SessionStore(settings,
                                              idle_seconds=settings.session_idle_minutes * 60)
        app.state.saved_views = SavedViews(settings)  # My work's saved views
        app.state.inbox_marks = InboxMarks(settings)  # notifications marked seen or done
        app.state.gateway = None
        _warn_if_no_users(app.state.identity, app.state.oidc)
        connecting = asyncio.create_task(_connect_in_background(app, settings, interceptors))
        background = [connecting]
        if app.state.checkpoints.key is not None and settings.checkpoint_interval > 0:
            background.append(asyncio.create_task(
                _checkpoint_periodically(app, settings.checkpoint_interval)))
        yield
        await app.state.commands.close()  # workflows still to be told, for a few seconds
        for task in background:
            task.cancel()
        if tracing is not None:
            tracing.shutdown()  # sends the spans still buffered
        app.state.checkpoints.close()
        app.state.web_sessions.close()
        app.state.saved_views.close()
        app.state.inbox_marks.close()
        if services is None:
            built.close()

    app = FastAPI(
        title="casework",
        summary="Support cases for struggling councils: concern to closure, with escalation.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by api/web from the service's own Swagger UI and Redoc
        redoc_url=None,
    )
    app.state.throttle = Gate(settings)  # failed credentials, per address and account
    errors.install(app)
    openapi.install(app)
    # innermost: sees the id a reference stands for, and what the route found
    app.add_middleware(CaseReads, recording=settings.access_log_recording)
    app.add_middleware(CaseByReference)  # so every route and page sees a case's id
    app.add_middleware(NoDuplicateKeys)  # inside BodyLimit: sees only bodies within the limit
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(PlainQuery)
    app.add_middleware(AccessLog)
    if tracer is not None:
        app.add_middleware(TracedRequests, tracer=tracer)
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds,
                       form_targets=_origin(settings.oidc_issuer))
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(case_routes.router)
    app.include_router(checkpoint_routes.router)
    app.include_router(access_log_routes.router)
    app.include_router(reassignment_routes.router)
    app.include_router(disposal_routes.router)
    app.include_router(command_routes.router)
    app.include_router(document_routes.router)
    app.include_router(redaction_routes.router)
    app.include_router(users.router)
    app.include_router(policy_routes.router)
    app.include_router(register_routes.router)
    web.install(app, settings)
    return app



def production_app() -> FastAPI:
    """What `make run`, the image and the manifests serve: JSON logs, then the app."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
