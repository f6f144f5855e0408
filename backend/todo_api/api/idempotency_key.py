"""The `Idempotency-Key` request header of a create (draft-ietf-httpapi-idempotency-key-header).

The key itself is kept with the task it made (models/task.py); here it is only read and
checked, by AuthenticatedRoute before the body, on the routes that declare IDEMPOTENCY_KEY_HEADER.
"""

import re

from fastapi import HTTPException

from todo_api.models.task import IDEMPOTENCY_KEY_MAX_LENGTH

# The parameter as the contract publishes it (a route's `openapi_extra`).
IDEMPOTENCY_KEY_HEADER = {
    "name": "idempotency-key",
    "in": "header",
    "required": False,
    "description": "Optional: a key the client makes once per task it means to create (a UUID) "
    "and sends again on every retry of that create; a repeat with the same body answers the "
    "task the first one made, without writing. 1 to 255 visible ASCII characters.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
        "pattern": "^[!-~]+$",
    },
}
_IDEMPOTENCY_KEY = re.compile(f"[!-~]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")


def parse_idempotency_key(header: str | None) -> str | None:
    """The key, or None when the header is absent; a malformed key is a bad request."""
    if header is not None and _IDEMPOTENCY_KEY.fullmatch(header) is None:
        raise HTTPException(
            400,
            f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII "
            "characters (a UUID will do).",
        )
    return header
