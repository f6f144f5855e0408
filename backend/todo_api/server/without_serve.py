"""The warning of an app that runs without `todo-api serve` around it.

`todo-api serve` runs the app behind `BoundedHttpProtocol` (the request head's size and field
limits, the head and body deadline, Host required) and applies the service's logging.
Started another way, as `uvicorn --factory todo_api.main:create_app`, the app has none of
that, and cannot add the protocol itself: uvicorn chose it before it loaded the app. So in
production it says so, once per process at start-up; the factory that `serve` hands uvicorn
tells it that it needs not.
"""

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
