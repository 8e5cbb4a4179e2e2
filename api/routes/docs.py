"""Interactive API documentation (Swagger UI) from files served here: it works offline."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from maps.assets import SERVED_ASSETS, STATIC_DIR, VENDOR_DIR

ASSETS = "/assets/swagger-ui"
router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, its script and style from the vendored npm package."""
    root = request.scope.get("root_path", "")  # the public base URL's path, e.g. /api
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="Osservatorio API",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
    )


def mount_assets(app: FastAPI) -> None:
    """Serve the vendored Swagger UI files and the served maps' Leaflet, VectorGrid and CSS
    (make maps-assets fetches them)."""
    app.mount(
        ASSETS,
        StaticFiles(directory=VENDOR_DIR / "swagger-ui-dist", check_dir=False),
        name="swagger-ui",
    )
    app.mount(SERVED_ASSETS, StaticFiles(directory=STATIC_DIR, check_dir=False), name="map-assets")
