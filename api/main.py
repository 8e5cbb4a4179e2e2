"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import register_error_handlers
from api.finder.routes import router as finder_router
from api.middleware import HeadAsGetMiddleware, PublicOriginMiddleware
from api.openapi import install_openapi_30
from api.routes import (
    change,
    docs,
    health,
    hsds,
    maps,
    ogc,
    ogc_edit,
    spatial,
    tiles,
    trends,
    upload,
)
from observatory import __version__
from observatory.pool import open_pool
from observatory.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the async connection pool for the app's life; freeze start-up objects.

    Frozen objects are never traversed again, so a full garbage collection costs well under
    a millisecond instead of tens: no such pause in the latency tail.
    """
    settings = get_settings()
    app.state.pool = await open_pool(
        settings.sqlalchemy_url, settings.db_wait_s, settings.db_pool_size
    )
    app.state.database_url = settings.sqlalchemy_url  # sync sessions of the analysis routes
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        await app.state.pool.close()


def create_app() -> FastAPI:
    """Build the app: routers, problem-details errors, CORS (closed unless configured).

    Links come from PUBLIC_BASE_URL (or the server's own address), never from `Host`;
    HEAD is answered on every GET route.
    """
    settings = get_settings()
    app = FastAPI(
        title="Osservatorio API",
        version=__version__,
        description=(
            "Servizi per cittadini stranieri nel Sud Italia: OGC API - Features, "
            "query spaziali, analisi ed esportazioni."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        root_path_in_servers=False,  # the OpenAPI server is PUBLIC_BASE_URL itself
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET"]
        )
    app.include_router(health.router)
    app.include_router(docs.router)
    docs.mount_assets(app)
    app.include_router(ogc.router)
    app.include_router(ogc_edit.router)
    app.include_router(tiles.router)
    app.include_router(spatial.router)
    app.include_router(hsds.router)
    app.include_router(upload.router)
    app.include_router(maps.router)
    app.include_router(finder_router)
    app.include_router(trends.router)
    app.include_router(change.router)
    register_error_handlers(app)
    install_openapi_30(app, settings.public_base_url)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(  # outermost: no later layer sees the client's Host
        PublicOriginMiddleware,
        public_base_url=settings.public_base_url,
        fallback=f"{settings.api_host}:{settings.api_port}",
    )
    return app
