"""The parts of uvicorn's httptools protocol that `BoundedHttpProtocol` drives, and a check
that the installed uvicorn still has them, with the same meaning. They are not uvicorn's
public API, so pyproject.toml bounds uvicorn to the releases whose protocol was read and
tested, and `todo-api serve` runs the check first: an install outside the bound stops with
one line instead of failing on requests."""

import asyncio
import re
from collections.abc import Mapping
from importlib.metadata import requires, version
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send
from uvicorn.config import Config

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

# A request that waits for `100 Continue` before its body, and what the state must say about
# it once its head is parsed: the watchdog's reading of "the client owes us bytes".
PROBE_HEAD = (
    b"POST /probe HTTP/1.1\r\nHost: probe\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"
)
CYCLE_AFTER_HEAD = {
    "more_body": True,
    "waiting_for_100_continue": True,
    "response_started": False,
    "response_complete": False,
    "disconnected": False,
}
FLOW_AFTER_HEAD = {"read_paused": False}

_ABSENT = object()


def unsupported_uvicorn(protocol_class: type["HttpToolsProtocol"] | None = None) -> str | None:
    """One line naming the installed uvicorn and what it lacks; None if it has everything."""
    lacking = missing_internals(protocol_class)
    if not lacking:
        return None
    return (
        f"uvicorn {version('uvicorn')} is not supported: its httptools protocol lacks "
        f"{', '.join(lacking)}; install {supported_uvicorn()}"
    )


def supported_uvicorn() -> str:
    """The uvicorn requirement this package was built with: pyproject.toml's, from its metadata."""
    return next(r for r in requires("todo-api") or () if re.match(r"uvicorn\b", r))


def missing_internals(protocol_class: type["HttpToolsProtocol"] | None = None) -> list[str]:
    """What `BoundedHttpProtocol` relies on that `protocol_class` (uvicorn's httptools protocol
    unless told otherwise) lacks: methods, state, or the meaning of that state."""
    try:  # here, not at the top: a uvicorn without them must still get its one line
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
        from uvicorn.server import ServerState

        from todo_api.server.http_protocol import BoundedHttpProtocol
    except ImportError as error:
        if not (error.name or "").startswith("uvicorn"):
            raise  # our own code is broken, not uvicorn: say so, not "unsupported"
        return [f"{error.name}: {error}"]
    protocol_class = protocol_class or HttpToolsProtocol
    # Every public method of BoundedHttpProtocol overrides one of uvicorn's.
    lacking = [
        f"{protocol_class.__name__}.{name}()"
        for name in vars(BoundedHttpProtocol)
        if not name.startswith("_") and not callable(getattr(protocol_class, name, None))
    ]
    status_line = STATUS_LINE.get(431) if isinstance(STATUS_LINE, dict) else None
    if not (isinstance(status_line, bytes) and status_line.startswith(b"HTTP/1.1 431 ")):
        lacking.append("STATUS_LINE")
    if lacking:
        return lacking
    try:
        return asyncio.run(_exchange_one_head(protocol_class, ServerState()))
    except Exception as error:  # the constructor or a callback changed shape
        return [f"a working exchange ({type(error).__name__}: {error})"]


async def _exchange_one_head(
    protocol_class: type["HttpToolsProtocol"], server_state: "ServerState"
) -> list[str]:
    """Uvicorn's own protocol through one request head, on a transport that sends nothing."""
    name = protocol_class.__name__
    loop = asyncio.get_running_loop()
    config = Config(app=_no_answer, ws="none", lifespan="off", log_config=None)
    protocol = protocol_class(config, server_state, {}, loop)
    transport = _Sink()
    protocol.connection_made(transport)
    lacking = _differences(name, protocol, {"loop": loop, "transport": transport, "cycle": None})
    protocol.data_received(PROBE_HEAD)
    try:
        parser, cycle = getattr(protocol, "parser", None), getattr(protocol, "cycle", None)
        state = getattr(protocol, "server_state", None)
        expectations = {
            f"{name}.headers": (b"host", b"probe") in getattr(protocol, "headers", ()),
            f"{name}.parser": getattr(parser, "get_http_version", lambda: None)() == "1.1",
            f"{name}.cycle": cycle is not None,
            "RequestResponseCycle.message_event": isinstance(
                getattr(cycle, "message_event", None), asyncio.Event
            ),
            "ServerState.default_headers": isinstance(
                getattr(state, "default_headers", None), list
            ),
        }
        lacking += [what for what, holds in expectations.items() if not holds]
        lacking += _differences("RequestResponseCycle", cycle, CYCLE_AFTER_HEAD)
        lacking += _differences("FlowControl", getattr(protocol, "flow", None), FLOW_AFTER_HEAD)
    finally:
        protocol.connection_lost(None)  # the app's task hears a disconnect and returns
        await asyncio.gather(*server_state.tasks)
    return lacking


def _differences(owner: str, instance: object, expected: Mapping[str, object]) -> list[str]:
    """The attributes of `instance` that are missing or not the expected object."""
    return [
        f"{owner}.{name}"
        for name, value in expected.items()
        if getattr(instance, name, _ABSENT) is not value
    ]


async def _no_answer(scope: Scope, receive: Receive, send: Send) -> None:
    """The probe's app: its request is disconnected before it could answer."""


class _Sink(asyncio.Transport):
    """A transport that sends nothing anywhere."""

    def __init__(self) -> None:
        super().__init__()
        self._closing = False

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass
