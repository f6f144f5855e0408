"""An optional request header a handler takes as a typed parameter (`if_match: IfMatch`).

The parameter is a FastAPI dependency whose value is the parsed header. HeadFirstRoute finds
the ones in a handler's signature and checks them before the body is read, so a malformed
header is a 400 that never waits for the body; api/openapi.py publishes each as the header
parameter its `schema` describes.
"""

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from fastapi import Request

T = TypeVar("T")


class OptionalHeader(Generic[T]):
    def __init__(
        self, name: str, parse: Callable[[str | None], T], description: str, schema: dict[str, Any]
    ) -> None:
        self.name = name
        self.parse = parse
        self.parameter = {
            "name": name,
            "in": "header",
            "required": False,
            "description": description,
            "schema": schema,
        }

    async def __call__(self, request: Request) -> T:
        return self.parse(request.headers.get(self.name))
