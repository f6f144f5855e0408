"""Decoding the parts of a credential: base64url and JSON, each refused with one clear 401."""

import base64
import binascii
from typing import Any

import orjson

from todo_api.errors import AuthenticationFailed

# Every credential form is base64url segments joined by dots; anything else is refused before
# any decoding (urlsafe_b64decode would otherwise skip stray characters without a word).
_TOKEN_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


def token_bytes(token: str) -> bytes:
    try:
        encoded = token.encode("ascii")
    except UnicodeEncodeError as error:
        raise malformed() from error
    if encoded.translate(None, _TOKEN_ALPHABET):
        raise malformed()
    return encoded


def decode_segment(segment: bytes) -> bytes:
    """One base64url segment (already checked by `token_bytes`), without its padding."""
    try:
        return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as error:
        raise malformed() from error


def json_object(document: bytes) -> dict[str, Any]:
    """A JSON object, or the 'malformed' refusal (a list, a number, bad JSON, too deep...)."""
    try:
        value = orjson.loads(document)
    except orjson.JSONDecodeError as error:
        raise malformed() from error
    if not isinstance(value, dict):
        raise malformed()
    return value


def malformed() -> AuthenticationFailed:
    return AuthenticationFailed("The token is malformed.")
