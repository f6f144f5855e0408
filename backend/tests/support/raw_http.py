"""Raw HTTP/1.1 over blocking loopback sockets, for what an HTTP client library will not send.

Everything here is bounded: each socket has a timeout, and a sender stops at a byte budget.
Blocking sockets (run in threads) rather than asyncio streams, so that a test pushing
megabytes does not also stall the event loop that times another client.
"""

import contextlib
import http.client
import socket
import time
from dataclasses import dataclass

CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Exchange:
    answer: bytes  # everything the server sent before closing (or before the timeout)
    sent: int  # bytes of the request the server took before it closed
    closed: bool  # the server closed the connection (EOF or reset) within the timeout
    seconds: float  # from connecting to the close (or the timeout)

    @property
    def status(self) -> int:
        return int(self.answer.split(b" ", 2)[1]) if self.answer else 0

    @property
    def head(self) -> str:
        return self.answer.partition(b"\r\n\r\n")[0].decode("latin-1").lower()

    @property
    def body(self) -> bytes:
        return self.answer.partition(b"\r\n\r\n")[2]


def connect(port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def exchange(
    port: int, *parts: bytes, pause_seconds: float = 0.0, timeout: float = 10.0
) -> Exchange:
    """Send `parts` (pausing between them), then read until the server closes."""
    started = time.monotonic()
    sent = 0
    with connect(port, timeout) as sock:
        try:
            for number, part in enumerate(parts):
                if number and pause_seconds:
                    time.sleep(pause_seconds)
                for offset in range(0, len(part), CHUNK):
                    sent += sock.send(part[offset : offset + CHUNK])
        except OSError:  # reset or broken pipe: the server stopped reading
            pass
        answer, closed = _read_until_closed(sock)
    return Exchange(answer, sent, closed, time.monotonic() - started)


def _read_until_closed(sock: socket.socket) -> tuple[bytes, bool]:
    answer = bytearray()
    try:
        while chunk := sock.recv(CHUNK):
            answer += chunk
    except TimeoutError:
        return bytes(answer), False
    except OSError:  # a reset after the answer still means closed
        pass
    return bytes(answer), True


def send_head_of(port: int, head_bytes: int, timeout: float = 10.0) -> int:
    """Send up to `head_bytes` of one endless header line; how many the server took."""
    line = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Flood: "
    filler = b"a" * CHUNK
    sent = 0
    with connect(port, timeout) as sock, contextlib.suppress(OSError):
        sent += sock.send(line)
        while sent < head_bytes:
            sent += sock.send(filler)
    return sent


def request(
    sock: socket.socket, method: str, path: str, *headers: str, body: bytes = b""
) -> http.client.HTTPResponse:
    """One request on an open (keep-alive) connection; the response is read in full."""
    if body:
        headers = (*headers, "Content-Type: application/json", f"Content-Length: {len(body)}")
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    sock.sendall("\r\n".join(lines).encode() + body)
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    response.read()
    return response


def get(sock: socket.socket, path: str, *headers: str) -> http.client.HTTPResponse:
    return request(sock, "GET", path, *headers)
