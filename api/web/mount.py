"""Mounting the pages, their assets and the local API documentation on the app."""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.web import case_pages, oidc, overview_pages, policy_pages, sign_in, support_pages
from api.web.assets import SITE_ASSETS, VENDOR
from services.platform.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    app.state.settings = settings
    app.mount("/assets", StaticFiles(directory=SITE_ASSETS, check_dir=False), name="assets")
    app.mount("/vendor", StaticFiles(directory=VENDOR, check_dir=False), name="vendor")
    app.include_router(sign_in.router)
    app.include_router(oidc.router)
    app.include_router(overview_pages.router)
    app.include_router(case_pages.router)
    app.include_router(support_pages.router)
    app.include_router(policy_pages.router)
    _documentation(app)


def _documentation(app: FastAPI) -> None:
    """/docs and /redoc from the service's own copies of Swagger UI and Redoc: no CDN."""

    @app.get("/docs", include_in_schema=False)
    async def swagger(_: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - API",
            swagger_js_url="/vendor/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url="/assets/images/favicon.ico")

    @app.get("/redoc", include_in_schema=False)
    async def redoc(_: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - API",
            redoc_js_url="/vendor/redoc/bundles/redoc.standalone.js",
            redoc_favicon_url="/assets/images/favicon.ico", with_google_fonts=False)
