"""`observatory serve`: run the FastAPI app under uvicorn."""

from __future__ import annotations

import os

import typer

from observatory.settings import get_settings


def serve(
    host: str = typer.Option(None, help="Address to bind (default API_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default API_PORT or 8000)."),
    workers: int = typer.Option(None, help="Worker processes (default API_WORKERS or 2)."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
) -> None:
    """Serve the API (OGC API - Features, spatial queries, maps, the finder at /trova/)."""
    import uvicorn

    from api.protocol import LimitedHttpToolsProtocol

    settings = get_settings()
    address = f"http://{host or settings.api_host}:{port or settings.api_port}"
    base = settings.public_base_url or address
    typer.echo(f"Trova servizi (public finder): {base.rstrip('/')}/trova/")
    # few malloc arenas in the workers (read by glibc when each starts): the threads of an
    # upload then give their memory back instead of each keeping its own peak
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=None if reload else (workers or settings.api_workers),
        timeout_worker_healthcheck=settings.api_worker_healthcheck_s,
        reload=reload,
        http=LimitedHttpToolsProtocol,  # httptools with head size and time limits
        loop="uvloop",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or "",
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        timeout_keep_alive=settings.http_keep_alive_s,
        limit_concurrency=settings.http_limit_concurrency,
        timeout_graceful_shutdown=settings.http_graceful_shutdown_s,
        server_header=False,
        log_level="info",
    )
