"""Session cookie-cache values made the way Better Auth 1.7 makes them (cookies/index.ts,
crypto/jwt.ts), for variants of the captured fixtures: an earlier session expiry, a bigger
session, another secret. The captured values themselves come from a real Better Auth."""

import base64
import hashlib
import hmac
import json
from typing import Any

from joserfc import jwe

from todo_api.auth.jwe_cookie import derive_session_key


def _stringify(value: object) -> bytes:
    """JSON.stringify's bytes for the plain data a session holds."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def compact_cookie(
    session_data: dict[str, Any], expires_at_ms: int, secret: str, *, signature: str | None = None
) -> str:
    """The `compact` strategy: HMAC-SHA256 over `{...sessionData, expiresAt}`, or `signature`
    instead of that HMAC (a forgery)."""
    if signature is None:
        signed = _stringify(session_data | {"expiresAt": expires_at_ms})
        mac = hmac.digest(secret.encode(), signed, hashlib.sha256)
        signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    document = {"session": session_data, "expiresAt": expires_at_ms, "signature": signature}
    return base64.urlsafe_b64encode(_stringify(document)).rstrip(b"=").decode()


def read_compact_cookie(value: str) -> tuple[dict[str, Any], int, str]:
    """The session data, expiresAt and signature of a compact cookie (not verified)."""
    document = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    return document["session"], document["expiresAt"], document["signature"]


def jwe_cookie(payload: dict[str, Any], secret: str, *, with_kid: bool = True) -> str:
    """The `jwe` strategy: dir + A256CBC-HS512 under the HKDF-derived key."""
    key = derive_session_key(secret)
    header = {"alg": "dir", "enc": "A256CBC-HS512"}
    if with_kid:
        header["kid"] = key.thumbprint()
    return jwe.encrypt_compact(header, _stringify(payload), key)


def read_jwe_cookie(value: str, secret: str) -> dict[str, Any]:
    plaintext = jwe.decrypt_compact(value, derive_session_key(secret)).plaintext
    assert plaintext is not None
    payload: dict[str, Any] = json.loads(plaintext)
    return payload


def jwt_payload(value: str) -> dict[str, Any]:
    """The claims of a JWS (not verified)."""
    segment = value.split(".")[1]
    payload: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return payload
