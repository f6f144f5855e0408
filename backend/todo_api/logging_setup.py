"""Process-wide logging: readable text in development, JSON lines in production.

The configuration is one `dictConfig` dictionary, handed to uvicorn as its `log_config`:
uvicorn applies it in its own process and again in every worker it spawns (workers start
as fresh interpreters and never run the parent's set-up), so `--workers N` logs exactly
like one worker.
"""

import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

import orjson

# Attributes every LogRecord has; anything else was passed through `extra=` and is logged.
# uvicorn adds `color_message` (its message with terminal colour codes) to its own records.
_NOT_EXTRA = frozenset(vars(logging.makeLogRecord({})).keys()) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s %(message)s"

# No format here shows threads or processes: skip collecting them for every record (the
# access log writes one per request). The logging docs list these switches for this. Set
# on import, because every process that formats with this module imports it, workers too.
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in record.__dict__.items() if key not in _NOT_EXTRA
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)


def logging_config(level: str, *, json_lines: bool) -> dict[str, Any]:
    """Everything to the root logger's one handler on stderr; uvicorn's loggers propagate."""
    formatter = JsonLinesFormatter if json_lines else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
        "root": {"level": level, "handlers": ["stderr"]},
        # uvicorn's own set-up gives these handlers of their own; none here, so one format.
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(level: str, *, json_lines: bool) -> dict[str, Any]:
    """Configure this process; returns the configuration, for uvicorn to apply in workers."""
    config = logging_config(level, json_lines=json_lines)
    logging.config.dictConfig(config)
    return config
