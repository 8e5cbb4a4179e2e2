"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import register_error_handlers
from api.routes import health, hsds, maps, upload
from observatory import __version__
from observatory.settings import get_settings


def create_app() -> FastAPI:
    """Build the app: routers, CORS (closed unless configured)."""
    settings = get_settings()
    app = FastAPI(
        title="Osservatorio API",
        version=__version__,
        description=(
            "Servizi per cittadini stranieri nel Sud Italia: OGC API - Features, "
            "query spaziali, analisi ed esportazioni."
        ),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET"]
        )
    app.include_router(health.router)
    app.include_router(hsds.router)
    app.include_router(upload.router)
    app.include_router(maps.router)
    register_error_handlers(app)
    return app
