"""The FastAPI application. `create_app` wires it; `app` is what uvicorn serves."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from api import errors
from api.middleware import AccessLog, BodyLimit
from api.routes import cases as case_routes
from api.routes import commands as command_routes
from api.routes import registers as register_routes
from api.routes import health, users
from services.bootstrap import build_case_service
from services.cases import CaseService
from services.idempotency import IdempotencyStore
from services.identity import IdentityService, OidcVerifier, build_identity_service
from services.read_models import CaseListView
from services.settings import Settings
from services.workflow_gateway import WorkflowGateway, connect

log = logging.getLogger("casework.api")


async def _connect_in_background(app: FastAPI, settings: Settings) -> None:
    """Keep trying to reach Temporal; /health says 'down' until it answers."""
    while app.state.gateway is None:
        try:
            client = await connect(settings, attempts=1)
            app.state.gateway = WorkflowGateway(client, settings.task_queue)
        except Exception:  # noqa: BLE001 - retry until it comes up
            await asyncio.sleep(1)


def _oidc(settings: Settings) -> OidcVerifier | None:
    """OIDC tokens are accepted only when both an issuer and its JWKS URL are set."""
    if not (settings.oidc_issuer and settings.oidc_jwks_url):
        return None
    return OidcVerifier(issuer=settings.oidc_issuer, jwks_url=settings.oidc_jwks_url,
                        audience=settings.oidc_audience)


def _warn_if_no_users(identity: IdentityService, oidc: OidcVerifier | None) -> None:
    if oidc is None and not identity.has_users():
        log.warning("casework: no users yet. Create the first coordinator and print a token:\n"
                    "  .venv/bin/python -m services.identity add-user YOU --role coordinator "
                    "--region 'North West'")


def create_app(settings: Settings | None = None, *, cases: CaseService | None = None,
               identity: IdentityService | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.cases = cases or build_case_service(settings)
        app.state.identity = identity or build_identity_service(settings)
        app.state.idempotency = IdempotencyStore(app.state.identity)
        app.state.oidc = _oidc(settings)
        app.state.case_list = CaseListView(settings)
        app.state.gateway = None
        _warn_if_no_users(app.state.identity, app.state.oidc)
        connecting = asyncio.create_task(_connect_in_background(app, settings))
        yield
        connecting.cancel()
        app.state.case_list.close()
        if cases is None:
            app.state.cases.close()
        if identity is None:
            app.state.identity.close()

    app = FastAPI(
        title="casework",
        summary="Support cases for struggling councils: concern to closure, with escalation.",
        version="0.1.0",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(AccessLog)
    app.include_router(health.router)
    app.include_router(case_routes.router)
    app.include_router(command_routes.router)
    app.include_router(users.router)
    register_routes.install(app, settings)
    return app

