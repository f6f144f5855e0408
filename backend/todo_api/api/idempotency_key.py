"""The `Idempotency-Key` request header of a create (draft-ietf-httpapi-idempotency-key-header)."""

import re
from typing import Annotated

from fastapi import Depends, HTTPException

from todo_api.api.optional_header import OptionalHeader
from todo_api.models.task import IDEMPOTENCY_KEY_MAX_LENGTH

_IDEMPOTENCY_KEY = re.compile(f"[!-~]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")


def parse_idempotency_key(header: str | None) -> str | None:
    if header is not None and _IDEMPOTENCY_KEY.fullmatch(header) is None:
        raise HTTPException(
            400,
            f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII "
            "characters (a UUID will do).",
        )
    return header


IDEMPOTENCY_KEY = OptionalHeader(
    "idempotency-key",
    parse_idempotency_key,
    "Optional: a key the client makes once per task it means to create (a UUID) and sends "
    "again on every retry of that create; a repeat with the same body answers the task the "
    f"first one made, without writing. 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters.",
    {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
        "pattern": "^[!-~]+$",
    },
)
IdempotencyKey = Annotated[str | None, Depends(IDEMPOTENCY_KEY)]
