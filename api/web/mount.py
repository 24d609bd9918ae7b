"""Mounting the pages, their assets and the local API documentation on the app."""

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.web import (
    access_log_pages,
    case_file,
    case_pages,
    document_pages,
    handover_pages,
    national_pages,
    notification_pages,
    oidc,
    overview_pages,
    people_pages,
    policy_pages,
    records_pages,
    redaction_pages,
    saved_view_pages,
    search_pages,
    sign_in,
    support_pages,
)
from api.web.assets import SITE_ASSETS, VENDOR
from services.platform.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    app.state.settings = settings
    app.mount("/assets", StaticFiles(directory=SITE_ASSETS, check_dir=False), name="assets")
    app.mount("/vendor", StaticFiles(directory=VENDOR, check_dir=False), name="vendor")
    app.include_router(sign_in.router)
    app.include_router(oidc.router)
    app.include_router(overview_pages.router)
    app.include_router(saved_view_pages.router)
    app.include_router(notification_pages.router)
    app.include_router(national_pages.router)
    app.include_router(handover_pages.router)
    app.include_router(case_pages.router)
    app.include_router(document_pages.router)
    app.include_router(case_file.router)
    app.include_router(support_pages.router)
    app.include_router(policy_pages.router)
    app.include_router(people_pages.router)
    app.include_router(search_pages.router)
    app.include_router(access_log_pages.router)
    app.include_router(records_pages.router)
    app.include_router(redaction_pages.router)
    _documentation(app)


def _documentation(app: FastAPI) -> None:
    """/docs and /redoc from the service's own copies of Swagger UI and Redoc: no CDN.

    FastAPI's own pages start Swagger UI from an inline script and style Redoc's body
    inline; these carry the request's CSP nonce instead (api/middleware.py). Redoc's
    styled-components read the nonce for the styles it adds from the csp-nonce meta
    element. Redoc 3's standalone bundle is an ES module, so it loads as one."""

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        return HTMLResponse(_SWAGGER.format(nonce=request.state.csp_nonce, title=app.title,
                                            openapi=app.openapi_url or "/openapi.json"))

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return HTMLResponse(_REDOC.format(nonce=request.state.csp_nonce, title=app.title,
                                          openapi=app.openapi_url or "/openapi.json"))


_SWAGGER = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="/vendor/swagger-ui-dist/swagger-ui.css">
<link rel="icon" href="/assets/images/favicon.ico">
<title>{title} - API</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/vendor/swagger-ui-dist/swagger-ui-bundle.js"></script>
<script nonce="{nonce}">
SwaggerUIBundle({{url: "{openapi}", dom_id: "#swagger-ui", layout: "BaseLayout",
  deepLinking: true, showExtensions: true, showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]}})
</script>
</body>
</html>
"""

_REDOC = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/assets/images/favicon.ico">
<title>{title} - API</title>
<meta property="csp-nonce" nonce="{nonce}">
<style nonce="{nonce}">body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>Redoc needs JavaScript: the same document is at {openapi}.</noscript>
<redoc spec-url="{openapi}" disable-telemetry="true"></redoc>
<script type="module" src="/vendor/redoc/bundles/redoc.standalone.js"></script>
</body>
</html>
"""
