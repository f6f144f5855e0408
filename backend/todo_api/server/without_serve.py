"""The warning of an app started without `todo-api serve` (say, `uvicorn --factory
todo_api.main:create_app`): it cannot put `BoundedHttpProtocol` around itself, since uvicorn
chose the protocol before it loaded the app, so in production it says what is missing, once
per process; the factory that `serve` hands uvicorn tells it that it needs not."""

import logging

from todo_api.config import Settings

logger = logging.getLogger(__name__)

STARTED_WITHOUT_SERVE = (
    "started without `todo-api serve`: no limit on request heads (MAX_REQUEST_HEAD_BYTES and "
    "a field count), no deadline for them or a stalled body (REQUEST_HEAD_TIMEOUT_SECONDS), "
    "no Host check, and not the service's logging (LOG_LEVEL, LOG_JSON); "
    "`todo-api serve` applies all of these"
)


def warn_started_without_serve(settings: Settings) -> None:
    if settings.environment == "production":
        logger.warning(STARTED_WITHOUT_SERVE)
