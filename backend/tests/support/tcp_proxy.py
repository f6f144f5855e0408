"""A loopback TCP proxy that a test can switch between forwarding, refusing and hanging.

It runs on the test's event loop and sits between the app and PostgreSQL, so a test can
make the database "go away" in the ways a network does, and come back, without touching
the server itself:

- forwarding: bytes flow both ways, as if the proxy were not there;
- refusing: the listener is closed (new connections get ECONNREFUSED) and every open
  connection is reset (RST), like a server that crashed or restarted;
- hanging: connections are accepted but nothing is forwarded in either direction (bytes
  wait, nothing is lost), like a partitioned network or a stalled server.

It can also play distance: with `one_way_delay_seconds`, every chunk is delivered that much
later in each direction (order kept, nothing throttled), so a round trip costs twice that,
as to a database across a network. And it counts round trips: a client-to-server burst that
follows an answer from the server (or opens the connection) is one exchange.
"""

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

_CHUNK_BYTES = 64 * 1024


class TcpProxy:
    def __init__(
        self, upstream_host: str, upstream_port: int, *, one_way_delay_seconds: float = 0.0
    ) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._delay = one_way_delay_seconds
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepted = 0
        self.round_trips = 0

    @property
    def port(self) -> int:
        return self._port

    @property
    def open_connections(self) -> int:
        return len(self._tasks)

    async def start(self) -> None:
        await self._listen()

    async def forward(self) -> None:
        """Forward bytes again; reopen the listener (same port) if it was refusing."""
        if self._server is None:
            await self._listen()
        self._flowing.set()

    def hang(self) -> None:
        """Accept connections but forward nothing, on new and existing connections alike."""
        self._flowing.clear()

    async def refuse(self) -> None:
        """Close the listener and reset every open connection."""
        await self._stop_listening()
        self._flowing.set()

    async def close(self) -> None:
        await self._stop_listening()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self._port, reuse_address=True
        )
        self._port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        """Stop accepting, reset every open connection, then wait for the listener to go.

        In that order: since Python 3.12, `wait_closed()` also waits for every connection
        the listener accepted, so waiting first would hang on a connection left open.
        """
        if self._server is not None:
            self._server.close()
        self._reset_all()
        await self._cancel_all()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _reset_all(self) -> None:
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    async def _cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(client)
        self.accepted += 1
        upstream: asyncio.StreamWriter | None = None
        try:
            await self._flowing.wait()  # hanging: the client waits for a greeting forever
            upstream_reader, upstream = await asyncio.open_connection(*self._upstream)
            self._writers.add(upstream)
            turns = _Turns(self)
            await asyncio.gather(
                self._pipe(client_reader, upstream, on_data=turns.client_sent),
                self._pipe(upstream_reader, client, on_data=turns.server_sent),
            )
        except OSError:
            pass
        except asyncio.CancelledError:
            # Reset by `refuse()`/`close()`. This task is the connection's own top level, and
            # asyncio's start_server reports a task that ends cancelled as an error.
            pass
        finally:
            self._tasks.discard(task)
            for writer in (client, upstream):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.close()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        on_data: Callable[[], None],
    ) -> None:
        if self._delay > 0:
            await self._pipe_delayed(reader, writer, on_data=on_data)
            return
        try:
            while data := await reader.read(_CHUNK_BYTES):
                on_data()
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            # One side is done: end the other too, so neither end waits on a half-open pair.
            writer.close()

    async def _pipe_delayed(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        on_data: Callable[[], None],
    ) -> None:
        """Deliver each chunk `delay` after it arrived: a queue keeps order and lets reading
        run ahead, so latency is added without limiting throughput."""
        in_flight: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await in_flight.get()
                if not data:
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()

        delivery = asyncio.create_task(deliver())
        try:
            while data := await reader.read(_CHUNK_BYTES):
                on_data()
                in_flight.put_nowait((time.monotonic() + self._delay, data))
            in_flight.put_nowait((0.0, b""))
            await delivery
        except OSError:
            pass
        finally:
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await delivery
            writer.close()


class _Turns:
    """Who spoke last on one connection: a client burst after the server's is a round trip."""

    def __init__(self, proxy: TcpProxy) -> None:
        self._proxy = proxy
        self._server_spoke_last = True

    def client_sent(self) -> None:
        if self._server_spoke_last:
            self._proxy.round_trips += 1
            self._server_spoke_last = False

    def server_sent(self) -> None:
        self._server_spoke_last = True


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN, the way a crashed peer's kernel answers."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
