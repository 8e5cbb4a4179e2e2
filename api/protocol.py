"""The HTTP protocol of `observatory serve`: httptools with request-head limits and timeout.

uvicorn's httptools protocol has no limit on the size of a request head and no deadline for
receiving it (`h11_max_incomplete_event_size` applies to h11 only), and it answers a request
it cannot parse in text/plain. This subclass refuses, with a problem document and a closed
connection: a request target over HTTP_MAX_URL_BYTES (414), a head over HTTP_MAX_HEADER_BYTES
(431), a head not received within HTTP_HEADER_TIMEOUT_S (408, the slow-loris client), and a
malformed request (400).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.errors import PROBLEM_JSON, problem_body
from observatory.settings import get_settings


class RequestRefused(Exception):
    """A request head refused before it reaches the app, with its status and reason."""

    def __init__(self, status: int, detail: str) -> None:
        """Keep the status and the reason sent to the client."""
        super().__init__(detail)
        self.status = status
        self.detail = detail


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head, read within a deadline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Read the limits from the settings."""
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.max_url_bytes = settings.http_max_url_bytes
        self.max_header_bytes = settings.http_max_header_bytes
        self.header_timeout_s = settings.http_header_timeout_s
        self.reading_head = True
        self.head_bytes = 0
        self.head_timer: asyncio.TimerHandle | None = None
        self.refusal: RequestRefused | None = None

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self.head_timer = self.loop.call_later(self.header_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.reading_head and not self.transport.is_closing():
            self.refuse(
                RequestRefused(
                    408, f"the request head was not received within {self.header_timeout_s:g} s"
                )
            )

    def refuse(self, refusal: RequestRefused) -> None:
        """Answer `refusal` as a problem document and close the connection."""
        self._cancel_head_timer()
        self.logger.warning("request refused: %s %s", refusal.status, refusal.detail)
        body = orjson.dumps(problem_body(refusal.status, refusal.detail))
        head = [STATUS_LINE[refusal.status]]
        head += [
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        ]
        head += [
            b"content-type: " + PROBLEM_JSON.encode() + b"\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """Answer a request the parser refused: the limit it broke, or a malformed request."""
        refusal, self.refusal = self.refusal, None
        self.refuse(refusal or RequestRefused(400, "malformed HTTP request"))

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the deadline of the first request head."""
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the deadline."""
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Count the bytes of an unfinished head; refuse it once over the limit."""
        if self.reading_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if (
            self.reading_head
            and self.head_bytes > self.max_header_bytes
            and not self.transport.is_closing()
        ):
            self.refuse(_head_too_large(self.max_header_bytes))

    def _refuse_in_parser(self, refusal: RequestRefused) -> None:
        """Stop the parser: it reports a callback error, answered by `send_400_response`."""
        self.refusal = refusal
        raise refusal

    def on_message_begin(self) -> None:
        """Start the deadline of this request's head (a keep-alive connection's next one)."""
        super().on_message_begin()
        self.reading_head = True
        if self.head_timer is None:
            self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        """Refuse a request target over the limit."""
        super().on_url(url)
        if len(self.url) > self.max_url_bytes:
            self._refuse_in_parser(
                RequestRefused(414, f"the request URL is longer than {self.max_url_bytes} bytes")
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        """Refuse a head over the limit, counted exactly."""
        super().on_header(name, value)
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > self.max_header_bytes:
            self._refuse_in_parser(_head_too_large(self.max_header_bytes))

    def on_headers_complete(self) -> None:
        """The head arrived in time and within limits: hand the request to the app."""
        self.reading_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """Bytes after this message belong to the next request's head."""
        super().on_message_complete()
        self.reading_head = True
        self.head_bytes = 0


def _head_too_large(limit: int) -> RequestRefused:
    return RequestRefused(431, f"the request headers are larger than {limit} bytes")
