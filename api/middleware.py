"""Pure-ASGI middleware: links from the public origin, never `Host`; HEAD answered as GET."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_PORTS = {"http": 80, "https": 443}


def _netloc(host: str, port: int | None, scheme: str) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"


class PublicOriginMiddleware:
    """Set the scope's scheme, `Host` and root path from the configured public base URL.

    Starlette builds `request.url`, `base_url`, `url_for` and slash redirects from the `Host`
    header: rewriting it here means no client-sent `Host` reaches a link or a `Location`.
    Without a public base URL the origin is the server's own address (the socket's, or
    `fallback`), with the scheme uvicorn set (X-Forwarded-Proto only from trusted proxies).
    """

    def __init__(self, app: ASGIApp, public_base_url: str | None, fallback: str) -> None:
        """Parse the public base URL once."""
        self.app = app
        self.fallback = fallback
        self.scheme: str | None = None
        self.netloc: str | None = None
        self.prefix = ""
        if public_base_url:
            parts = urlsplit(public_base_url)
            self.scheme = parts.scheme
            self.netloc = _netloc(parts.hostname or "", parts.port, parts.scheme)
            self.prefix = parts.path.rstrip("/")

    def origin(self, scope: Scope) -> tuple[str, str]:
        """The scheme and host[:port] of links for this request."""
        if self.scheme and self.netloc:
            return self.scheme, self.netloc
        scheme = scope.get("scheme", "http")
        server = scope.get("server")
        if not server or server[1] is None:
            return scheme, self.fallback
        return scheme, _netloc(server[0], server[1], scheme)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite an HTTP scope's origin, then call the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scheme, netloc = self.origin(scope)
        headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
        scope = {**scope, "scheme": scheme, "headers": [(b"host", netloc.encode()), *headers]}
        if self.prefix:
            path = scope["path"]
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                path = self.prefix + path
            scope.update(root_path=self.prefix, path=path)
        await self.app(scope, receive, send)


class HeadAsGetMiddleware:
    """Answer HEAD on every GET route: the GET's status and headers, without its body."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a HEAD request as GET and drop the body it writes."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def send_headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] != "http.response.body":
                await send(message)
            elif not finished and not message.get("more_body", False):
                finished = True
                await send({"type": "http.response.body", "body": b""})

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
