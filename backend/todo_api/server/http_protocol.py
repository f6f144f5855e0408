"""Uvicorn's httptools protocol with bounds on the request head (size, time) and on body pauses.

httptools keeps every header of a head in memory, without limit, and uvicorn's only timer
stops at a connection's first byte. So each head is counted as it arrives (431 past
`MAX_REQUEST_HEAD_BYTES`), one watchdog per connection answers 408 when a head, or a body the
app waits for, stalls for `REQUEST_HEAD_TIMEOUT_SECONDS`, and an HTTP/1.1 request needs exactly
one `Host` (RFC 9112). These answers are written here, before the app runs, in its problem+json
shape. `uvicorn_internals.py` names the uvicorn internals this relies on and checks them.
"""

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from todo_api.api.problems import PROBLEM_MEDIA_TYPE, default_code
from todo_api.config import Settings
from todo_api.schemas.problem import Problem, status_title

# Its warnings (a head refused or timed out) are client-caused: logging_setup.py rate-limits them.
logger = logging.getLogger(__name__)

# Header fields per request (Apache's default): each one costs a Python call to parse, and
# Starlette looks headers up by a linear scan, so thousands of tiny ones cost like a big body.
MAX_HEADER_FIELDS = 100


class _RequestRefused(Exception):
    """Raised inside a parser callback to stop parsing a request that was just answered."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A problem+json answer built once: everything but the Date header, which uvicorn keeps."""

    head: bytes
    body: bytes

    @classmethod
    def problem(cls, status: int, detail: str) -> "Answer":
        body = Problem(
            title=status_title(status), status=status, detail=detail, code=default_code(status)
        ).model_dump_json(exclude_none=True)
        head = (
            f"content-type: {PROBLEM_MEDIA_TYPE}\r\ncontent-length: {len(body)}\r\n"
            "cache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n"
        )
        return cls(STATUS_LINE[status] + head.encode(), body.encode())

    def bytes_with(self, default_headers: list[tuple[bytes, bytes]]) -> bytes:
        headers = b"".join(name + b": " + value + b"\r\n" for name, value in default_headers)
        return self.head + headers + b"\r\n" + self.body


@dataclass(frozen=True, slots=True)
class HeadLimits:
    max_head_bytes: int
    timeout_seconds: float
    too_large: Answer
    timed_out: Answer
    without_host: Answer
    malformed: Answer


@functools.cache
def head_limits() -> HeadLimits:
    """The limits in force, read from the settings once per (worker) process."""
    settings = Settings()
    size = settings.max_request_head_bytes
    return HeadLimits(
        max_head_bytes=size,
        timeout_seconds=settings.request_head_timeout_seconds,
        too_large=Answer.problem(
            431, f"The request line and headers exceed {size} bytes, or {MAX_HEADER_FIELDS} fields."
        ),
        timed_out=Answer.problem(408, "The request did not arrive in time."),
        without_host=Answer.problem(400, "An HTTP/1.1 request needs exactly one Host header."),
        malformed=Answer.problem(400, "The request is not valid HTTP/1.1."),
    )


class BoundedHttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = head_limits()
        # Bytes of the current request head received so far; None from the end of a head
        # until the end of its message (body bytes are not head bytes).
        self._head_bytes: int | None = 0
        # When the connection last started waiting for the client: ready for a new request
        # (connected, or the previous response sent), the head just parsed, or body bytes.
        self._waiting_since = 0.0
        self._watchdog: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._waiting_since = self.loop.time()
        self._watchdog = self.loop.call_later(self._limits.timeout_seconds, self._check_deadline)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is not None:
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_head_bytes:
                self._receive_past_head_limit(data)
                return
        super().data_received(data)

    def _receive_past_head_limit(self, data: bytes) -> None:
        """Parse only as much of `data` as the limit allows; the head must end within it."""
        assert self._head_bytes is not None
        allowed = len(data) - (self._head_bytes - self._limits.max_head_bytes)
        super().data_received(data[:allowed])
        if self.transport.is_closing():
            return
        if self._head_bytes is not None and self._head_bytes > self._limits.max_head_bytes:
            logger.warning("request head refused: over %d bytes", self._limits.max_head_bytes)
            self._refuse(self._limits.too_large)
        else:  # the head ended in time: the rest is its body, or the next request
            self.data_received(data[allowed:])

    # Parser callbacks (httptools calls them by name)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        self._waiting_since = self.loop.time()  # from now on, for the body
        headers = self.headers
        if len(headers) > MAX_HEADER_FIELDS:
            logger.warning("request head refused: over %d header fields", MAX_HEADER_FIELDS)
            self._refuse(self._limits.too_large)
            raise _RequestRefused
        hosts = [name for name, _ in headers].count(b"host")
        if hosts != 1 and (hosts > 1 or self.parser.get_http_version() == "1.1"):
            self._refuse(self._limits.without_host)
            raise _RequestRefused  # uvicorn logs it as an invalid request
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._waiting_since = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._head_bytes = 0  # whatever follows is the next request's head
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._waiting_since = self.loop.time()
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to bytes that are not HTTP, in the problem+json shape."""
        self._refuse(self._limits.malformed)

    def _check_deadline(self) -> None:
        self._watchdog = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            waiting = True  # for the next request's head (or the rest of an ignored body)
        else:  # a request is in the app: only its unfinished body is the client's to send
            # (not while the body waits for our `100 Continue`, or for us to read again)
            waiting = (
                cycle.more_body and not cycle.waiting_for_100_continue and not self.flow.read_paused
            )
        if not waiting:
            self._rearm(self._limits.timeout_seconds)
        elif now - self._waiting_since < self._limits.timeout_seconds:
            self._rearm(self._waiting_since + self._limits.timeout_seconds - now)
        elif cycle is not None and not cycle.response_complete:
            logger.warning("request body stalled for %s s", self._limits.timeout_seconds)
            # The app waiting for the body hears a disconnect, and its answer goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
            if cycle.response_started:
                self.transport.close()
            else:
                self._refuse(self._limits.timed_out, cycle_in_flight=True)
        elif self._head_bytes:  # part of a head arrived, and no more in time
            logger.warning("request head incomplete after %s s", self._limits.timeout_seconds)
            self._refuse(self._limits.timed_out)
        else:  # idle, or still sending a body the app did not read: nothing to answer
            self.transport.close()

    def _rearm(self, delay: float) -> None:
        self._watchdog = self.loop.call_later(delay, self._check_deadline)

    def _refuse(self, answer: Answer, *, cycle_in_flight: bool = False) -> None:
        """Send `answer` and close, unless another response is being sent on this connection."""
        if self.transport.is_closing():
            return
        if cycle_in_flight or self.cycle is None or self.cycle.response_complete:
            self.transport.write(answer.bytes_with(self.server_state.default_headers))
        self.transport.close()
