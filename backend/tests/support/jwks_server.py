"""A real HTTP server on 127.0.0.1 that plays Better Auth's JWKS endpoint in tests.

It runs in a daemon thread, so the event loop under test is never blocked by it, and
counts the requests it receives so tests can assert how often keys were fetched. Besides
answering, it can misbehave as a hostile or broken endpoint would: drip its answer a byte at
a time, hang, or stream an endless body. Every such answer ends when the server stops.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

JWKS_PATH = "/api/auth/jwks"


class LoopbackJwksServer:
    """Serves a JWKS document (or a failure) at `url`. Use it as a context manager;
    `stop()` closes the port, which is what an outage looks like to a client."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._status = 200
        self._body = json.dumps(document or {"keys": []}).encode()
        self._delay_seconds = 0.0
        self._behaviour = "answer"
        self._drip_interval_seconds = 0.0
        self._stopping = threading.Event()
        self._hits = 0
        self._accept_encodings: list[str | None] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}{JWKS_PATH}"

    @property
    def hits(self) -> int:
        with self._lock:
            return self._hits

    @property
    def accept_encodings(self) -> list[str | None]:
        """The `Accept-Encoding` of each request received, in order (None: not sent)."""
        with self._lock:
            return list(self._accept_encodings)

    def serve(self, document: dict[str, Any]) -> None:
        """Answer 200 with `document` from now on (e.g. after a key rotation)."""
        self.respond_with(200, json.dumps(document).encode())

    def respond_with(self, status: int, body: bytes) -> None:
        """Answer every request with `status` and the raw `body`, promptly."""
        with self._lock:
            self._status, self._body, self._behaviour = status, body, "answer"

    def delay_responses(self, seconds: float) -> None:
        """Make each answer take `seconds`, so concurrent fetches would overlap."""
        with self._lock:
            self._delay_seconds = seconds

    def drip(self, interval_seconds: float) -> None:
        """Send the headers, then the body one byte per `interval_seconds`."""
        with self._lock:
            self._behaviour, self._drip_interval_seconds = "drip", interval_seconds

    def hang(self) -> None:
        """Accept the request and never answer (until the server stops)."""
        with self._lock:
            self._behaviour = "hang"

    def stream_endlessly(self) -> None:
        """Answer 200 with a body (the start of a key set) that never ends."""
        with self._lock:
            self._behaviour = "endless"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, accept_encoding: str | None) -> tuple[int, bytes, float, str, float]:
        with self._lock:
            self._hits += 1
            self._accept_encodings.append(accept_encoding)
            return (
                self._status,
                self._body,
                self._delay_seconds,
                self._behaviour,
                self._drip_interval_seconds,
            )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class JwksHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = server._answer(self.headers.get("Accept-Encoding"))
                status, body, delay_seconds, behaviour, interval = answer
                time.sleep(delay_seconds)
                if behaviour == "hang":
                    server._stopping.wait()
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if behaviour != "endless":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if behaviour == "drip":
                        self._drip(body, interval)
                    elif behaviour == "endless":
                        self._stream_endlessly()
                    else:
                        self.wfile.write(body)
                except OSError:
                    pass  # the client gave up, as it should

            def _drip(self, body: bytes, interval_seconds: float) -> None:
                for offset in range(len(body)):
                    self.wfile.write(body[offset : offset + 1])
                    self.wfile.flush()
                    if server._stopping.wait(interval_seconds):
                        return

            def _stream_endlessly(self) -> None:
                self.wfile.write(b'{"keys": [{"kid": "')
                chunk = b"k" * 65536
                while not server._stopping.is_set():
                    self.wfile.write(chunk)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        return JwksHandler
