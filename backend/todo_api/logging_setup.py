"""Process-wide logging: readable text in development, JSON lines in production. The
configuration is one `dictConfig` dictionary, handed to uvicorn as its `log_config`: uvicorn
applies it again in every worker it spawns (fresh interpreters), so N workers log like one."""

import functools
import logging
import logging.config
import math
import time
from collections.abc import Callable
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s %(message)s"
CLIENT_CAUSED_WARNING_INTERVAL_SECONDS = 60.0

# No format here shows threads or processes: skip collecting them for every record. Set on
# import, because every process that formats with this module imports it, workers too.
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False


def json_lines_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, then whatever the call passed
    through `extra=`, and a formatted exception under `exception`."""
    return OrjsonFormatter(
        ["time", "levelname", "name", "message"],  # the order each line starts with
        rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
        timestamp="time",  # fills the first field: the record's creation, ISO 8601 in UTC
        # uvicorn adds `color_message` (its message with terminal colour codes) to its records.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        json_default=str,  # any other value as its text, never a failed line
    )


class OncePerInterval(logging.Filter):
    """Lets each WARNING (per message format) through at most once per `interval_seconds` in
    this process, and says on the next one how many were dropped meanwhile: an operator still
    sees that requests are refused, but a client in a loop does not write the log at its pace."""

    def __init__(
        self,
        interval_seconds: float = CLIENT_CAUSED_WARNING_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._interval = interval_seconds
        self._clock = clock
        self._next_at: dict[str, float] = {}
        self._dropped: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        kind, now = str(record.msg), self._clock()
        if now < self._next_at.get(kind, -math.inf):
            self._dropped[kind] = self._dropped.get(kind, 0) + 1
            return False
        self._next_at[kind] = now + self._interval
        dropped = self._dropped.pop(kind, 0)
        if dropped:
            record.msg = f"{record.getMessage()} ({dropped} more since the last such line)"
            record.args = None
        return True


@functools.cache
def client_caused_warnings() -> OncePerInterval:
    """The filter of the loggers whose warnings any client can cause. One per process: dictConfig
    runs twice in the first process (ours, then uvicorn's) and never adds one filter twice."""
    return OncePerInterval()


def configure_logging(level: str, *, json_lines: bool) -> dict[str, Any]:
    """Everything to the root logger's one handler on stderr; uvicorn's loggers propagate.
    Returns the configuration, for uvicorn to apply in workers."""
    line_format = (
        {"()": f"{__name__}.{json_lines_formatter.__name__}"}
        if json_lines
        else {"format": TEXT_FORMAT}
    )
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": line_format},
        "filters": {"client_caused": {"()": f"{__name__}.{client_caused_warnings.__name__}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # No handlers of their own (uvicorn's set-up gives some), so one format. Client-caused
            # warnings: a request that is not HTTP (uvicorn's), a head refused or timed out (ours).
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True, "filters": ["client_caused"]},
            "uvicorn.access": {"handlers": [], "propagate": True},
            "todo_api.server.http_protocol": {"filters": ["client_caused"]},
        },
    }
    logging.config.dictConfig(config)
    return config
