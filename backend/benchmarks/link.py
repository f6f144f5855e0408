"""A database "far away": the test suite's delay proxy, run on an event loop of its own.

`tests.support.tcp_proxy.TcpProxy` is written for the test's event loop. The benchmark's
main thread blocks on wrk and on its own client, so the proxies live on a uvloop loop in a
daemon thread of the benchmark process; the main thread only starts and stops them and reads
their round-trip counters (an int attribute: a read needs no lock under the GIL).
"""

import asyncio
import threading
import time
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

import uvloop

from benchmarks import procfs
from tests.support.tcp_proxy import TcpProxy

T = TypeVar("T")
_CALL_SECONDS = 10.0
_QUIET_POLL_SECONDS = 0.01
_MAX_SETTLE_SECONDS = 5.0


class DelayLink:
    """One proxy: a listening port in front of PostgreSQL, `rtt_ms` away, that counts."""

    def __init__(self, proxy: TcpProxy, rtt_ms: float) -> None:
        self._proxy = proxy
        self.rtt_ms = rtt_ms

    @property
    def port(self) -> int:
        return self._proxy.port

    def round_trips(self) -> int:
        return self._proxy.round_trips

    def settled_round_trips(self) -> int:
        """The counter once the link has been quiet for a while.

        Requests still in flight when a load ends (wrk stops, the server finishes them)
        would otherwise land in the next measurement; quiet means no new exchange for five
        round-trip times (at least 50 ms).
        """
        quiet_for = max(0.05, 5 * self.rtt_ms / 1000)
        deadline = time.monotonic() + _MAX_SETTLE_SECONDS
        last, last_change = self.round_trips(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(_QUIET_POLL_SECONDS)
            now_count, now = self.round_trips(), time.monotonic()
            if now_count != last:
                last, last_change = now_count, now
            elif now - last_change >= quiet_for:
                break
        return last


class LinkLoop:
    """The background event loop that hosts every DelayLink of a run."""

    def __init__(self) -> None:
        self._loop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="links", daemon=True)
        self._proxies: list[TcpProxy] = []
        self._thread.start()

    def open(self, host: str, port: int, rtt_ms: float) -> DelayLink:
        proxy = self._call(self._start(host, port, rtt_ms / 2000))
        self._proxies.append(proxy)
        return DelayLink(proxy, rtt_ms)

    def cpu_seconds(self) -> float:
        """CPU of the proxy thread alone (its share of the benchmark process)."""
        native_id = self._thread.native_id
        return procfs.thread_cpu_seconds(native_id) if native_id is not None else 0.0

    def close(self) -> None:
        for proxy in self._proxies:
            self._call(proxy.close())
        self._proxies.clear()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_CALL_SECONDS)
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def _start(self, host: str, port: int, one_way_seconds: float) -> TcpProxy:
        proxy = TcpProxy(host, port, one_way_delay_seconds=one_way_seconds)
        await proxy.start()
        return proxy

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_CALL_SECONDS)
