"""An optional request header a handler takes as a typed parameter (`if_match: IfMatch`): a
dependency whose value is the parsed header. HeadFirstRoute parses it before the body is read;
api/openapi.py publishes it as the header parameter `schema` describes."""

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
