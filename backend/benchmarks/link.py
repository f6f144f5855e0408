"""A database "far away": the test suite's delay proxy, one per server, counting round trips,
on an event loop in a thread of its own (the main thread blocks on the load)."""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvloop

from tests.support.tcp_proxy import TcpProxy

_CALL_SECONDS = 10.0
_MAX_SETTLE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class DelayLink:
    proxy: TcpProxy
    rtt_ms: float

    def settled_round_trips(self) -> int:
        """The counter once no exchange has happened for five round-trip times (at least
        50 ms), so requests still in flight when a load ends do not land in the next one."""
        quiet_for = max(0.05, 5 * self.rtt_ms / 1000)
        deadline = time.monotonic() + _MAX_SETTLE_SECONDS
        last, last_change = self.proxy.round_trips, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last_change < quiet_for:
            time.sleep(0.01)
            if self.proxy.round_trips != last:
                last, last_change = self.proxy.round_trips, time.monotonic()
        return last


@contextmanager
def delay_links(
    host: str, port: int, rtt_ms: float, names: tuple[str, ...]
) -> Iterator[tuple[dict[str, DelayLink], Callable[[], float]]]:
    """A link to `host:port` per name, and the CPU seconds of the thread that runs them."""
    loop = uvloop.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="links", daemon=True)
    thread.start()

    async def start() -> TcpProxy:
        proxy = TcpProxy(host, port, one_way_delay_seconds=rtt_ms / 2000)
        await proxy.start()
        return proxy

    def cpu_seconds() -> float:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident or 0))

    links: dict[str, DelayLink] = {}
    try:
        for name in names:
            proxy = asyncio.run_coroutine_threadsafe(start(), loop).result(_CALL_SECONDS)
            links[name] = DelayLink(proxy, rtt_ms)
        yield links, cpu_seconds
    finally:
        for link in links.values():
            asyncio.run_coroutine_threadsafe(link.proxy.close(), loop).result(_CALL_SECONDS)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_CALL_SECONDS)
        loop.close()
